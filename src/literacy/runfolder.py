"""A run owns its output folder: lock, staging, marker, commit.

Why each part: the lock stops two runs interleaving their files; staging
(a hidden folder inside the output folder, so on the same filesystem and
moved with ``os.replace``) keeps a failed run's partial files away from a
complete result; the marker (``RUN-FAILED.txt``) tells a reader what a failed
run left; ``--force`` removes only what the previous run's manifest listed,
never an input; no output may land on one of the run's inputs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from literacy.errors import LiteracyError, spell
from literacy.io.tables import naming, os_error_message, process_is_running, remove_stale_temporaries, write_text


class StepTracker(Protocol):
    """What the folder needs of the runner: the name of the step running now."""

    current: str


LOCK_NAME = ".literacy-run.lock"
STAGING_PREFIX = ".literacy-staging."
MARKER_NAME = "RUN-FAILED.txt"
MANIFEST_NAME = "manifest.json"
_CONTENTS = {
    "previous": "The other files in this folder are the last complete run's, unchanged; manifest.json lists "
    "them with their SHA-256.",
    "none": "No run has completed in this folder, so it holds no results of one.",
    "mixed": "A run stopped while moving its files into place, so the files here may mix two runs and no "
    "manifest.json describes them; run again with --force (Python: force=True).",
}


class RunFolder:
    """Lock the output folder, stage the outputs, commit them or say why not.

    Why each part: the lock stops two runs interleaving their files; staging
    (a hidden folder inside the output folder, so on the same filesystem and
    moved with ``os.replace``) keeps a failed run's partial files away from a
    complete result; the marker tells a reader what a failed run left. The
    marker is also written *before* the files are moved and removed after, so
    even a run killed mid-move (SIGKILL) leaves a true account behind."""

    def __init__(
        self, folder: Path, *, force: bool, inputs: list[Path], configuration: str, steps: StepTracker
    ) -> None:
        self.folder = folder
        self.force = force
        self.inputs = inputs
        self.configuration = configuration
        self.staging = folder / f"{STAGING_PREFIX}{os.getpid()}"
        self.steps = steps
        self.started = time.strftime("%Y-%m-%d %H:%M:%S %z")
        self.contents = "none"
        self.previous: list[str] = []
        self.written: list[str] = []
        self.moving = False
        self._lock: int | None = None

    def __enter__(self) -> RunFolder:
        if self.folder.exists() and not self.folder.is_dir():
            raise LiteracyError(f"{self.folder} is a file; {spell('--out', 'output=')} needs a folder.")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise naming(error, self.folder) from error
        self._lock = _lock(self.folder)
        try:
            self._take_stock()
            self.staging.mkdir()
        except BaseException:
            self._unlock()
            raise
        return self

    def _take_stock(self) -> None:
        """Clear what killed runs left, then see what the folder holds."""
        for leftover in self.folder.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)  # we hold the lock: no other run is using it
        remove_stale_temporaries(self.folder)
        marker = self.folder / MARKER_NAME
        mixed = marker.is_file() and "contents: mixed" in marker.read_text(encoding="utf-8", errors="replace")
        others = [e.name for e in self.folder.iterdir() if e.name not in (LOCK_NAME, MARKER_NAME)]
        if others and not self.force:
            raise LiteracyError(
                f"The output folder {self.folder} is not empty; pass {spell('--force', 'force=True')} to replace its "
                f"results or choose another {spell('--out', 'output=')}."
            )
        self.previous = _manifest_outputs(self.folder / MANIFEST_NAME)
        if mixed:
            self.contents = "mixed"
        elif (self.folder / MANIFEST_NAME).is_file():
            self.contents = "previous"

    def commit(self) -> None:
        """Move the staged files into place; remove what the previous run's
        manifest listed and this run did not write (never an input)."""
        self.steps.current = "commit"
        self.written = sorted(entry.name for entry in self.staging.iterdir())
        self._mark("commit", "The run was stopped while moving its files into place.", "mixed")
        self.moving = True
        manifest = self.folder / MANIFEST_NAME
        if manifest.exists() and not self._is_input(manifest):
            manifest.unlink()  # first, so that no manifest describes a half-moved folder
        for name in self.written:
            if name != MANIFEST_NAME:
                os.replace(self.staging / name, self.folder / name)
        for name in sorted(set(self.previous) - set(self.written)):
            old = self.folder / name
            if old.is_file() and not old.is_symlink() and not self._is_input(old):
                old.unlink()
        os.replace(self.staging / MANIFEST_NAME, manifest)
        (self.folder / MARKER_NAME).unlink()
        self.moving = False

    def __exit__(self, kind: Any, error: BaseException | None, trace: Any) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        try:
            if error is not None:
                self._record_failure(error)
        finally:
            self._unlock()

    def _record_failure(self, error: BaseException) -> None:
        if isinstance(error, OSError) and error.filename:
            # Name the file the user will look for, not its staging copy.
            error.filename = str(error.filename).replace(str(self.staging), str(self.folder))
        if isinstance(error, KeyboardInterrupt) and type(error) is KeyboardInterrupt:
            message = "Interrupted by SIGINT (Ctrl-C)."
        elif isinstance(error, OSError):
            message = os_error_message(error)
        elif isinstance(error, MemoryError):
            message = "Out of memory."
        else:
            message = str(error) or type(error).__name__
        contents = "mixed" if self.moving else self.contents
        if self._mark(self.steps.current, message, contents):
            error.literacy_marker = self.folder / MARKER_NAME  # type: ignore[attr-defined]

    def _mark(self, step: str, message: str, contents: str) -> bool:
        """Write the marker; best effort when failing (the disk may be full),
        so it never hides the error that stopped the run."""
        lines = [
            "This literacy run did not finish; its results are not in this folder.",
            f"step: {step}",
            f"message: {' '.join(message.split())}",
            f"process: {os.getpid()}",
            f"started: {self.started}",
            f"stopped: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
            f"configuration: {self.configuration}",
            f"contents: {contents}",
            _CONTENTS[contents],
        ]
        try:
            write_text(self.folder / MARKER_NAME, "\n".join(lines) + "\n", force=True)
        except (OSError, LiteracyError):
            if step == "commit" and not self.moving:
                raise  # before moving anything: stop rather than move without the guard
            return False
        return True

    def _is_input(self, path: Path) -> bool:
        return any(same_file(path, source) for source in self.inputs)

    def _unlock(self) -> None:
        if self._lock is not None:
            _unlock(self.folder, self._lock)
            self._lock = None


def _lock(folder: Path) -> int:
    """Take the folder's lock: ``flock`` on ``.literacy-run.lock`` (released
    by the kernel when the process dies, so a killed run never blocks the
    next), with the holder's pid in the file for the refusal message."""
    import fcntl

    path = folder / LOCK_NAME
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise naming(error, folder) from error
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(descriptor)
            os.close(descriptor)
            who = f"process {holder}" if holder else "another process"
            raise LiteracyError(
                f"Another literacy run ({who}) is writing to {folder}; wait for it to finish or choose another "
                f"{spell('--out', 'output=')}."
            ) from None
        try:
            current = os.stat(path)
        except FileNotFoundError:
            current = None
        opened = os.fstat(descriptor)
        if current is None or (current.st_ino, current.st_dev) != (opened.st_ino, opened.st_dev):
            os.close(descriptor)  # the holder removed the file as we opened it; lock the new one
            continue
        previous = _lock_holder(descriptor, wait=False)
        if previous and previous != os.getpid():
            state = "no longer running" if not process_is_running(previous) else "no longer holding it"
            print(
                f"Took over the lock of {folder} from process {previous}, {state}; its unfinished files are removed.",
                file=sys.stderr,
            )
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        return descriptor


def _lock_holder(descriptor: int, *, wait: bool = True) -> int | None:
    """The pid in the lock file; the holder writes it just after locking, so
    wait a moment for it."""
    for _ in range(20 if wait else 1):
        text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
        if text.isdigit():
            return int(text)
        if wait:
            time.sleep(0.05)
    return None


def _unlock(folder: Path, descriptor: int) -> None:
    # Remove the file while still holding the lock; a run that opened it in
    # the meantime notices (inode check in _lock) and locks a fresh one.
    with contextlib.suppress(OSError):
        os.unlink(folder / LOCK_NAME)
    os.close(descriptor)


def _manifest_outputs(manifest: Path) -> list[str]:
    """Names of the files a previous run's manifest lists: plain names in the
    folder only, so a hand-edited manifest cannot point --force elsewhere."""
    if not manifest.is_file():
        return []
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8")).get("outputs") or {}
    except (OSError, ValueError, AttributeError):
        return []
    names = [str(name) for name in listed] + [MANIFEST_NAME]
    return [n for n in names if n == Path(n).name and n not in ("", ".", "..", LOCK_NAME, MARKER_NAME)]


def refuse_outputs_over_inputs(folder: Path, inputs: list[Path], names: set[str] | frozenset[str]) -> None:
    """Refuse, before anything is written, a run whose output would replace
    one of its own inputs (resolved paths, and the same file under another
    name through a hard or symbolic link)."""
    for name in sorted(names):
        target = folder / name
        for source in inputs:
            if same_file(target, source):
                raise LiteracyError(
                    f"The input {source} is where this run writes {name}; move the input out of {folder} or "
                    "choose another --out."
                )


def same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return os.path.realpath(one) == os.path.realpath(other)
