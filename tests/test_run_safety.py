"""A run owns its folder (issue 17 point 4): the lock, staging and the
failure marker, --force, outputs that would replace inputs, signals, a full
disk, read-only folders and unreadable inputs. Real processes and real
filesystems (a small tmpfs, a read-only mount, an unprivileged user) where
this machine allows them."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, run_config
from literacy.cli import main
from literacy.io import write_table
from literacy.pipeline import run, sample_data_dir
from literacy.runfolder import LOCK_NAME, MARKER_NAME

CLI = [sys.executable, str(REPO / "cli.py")]
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_manifest_matches(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    present = {p.name for p in folder.iterdir() if p.is_file() and p.name != "manifest.json"}
    assert set(manifest["outputs"]) <= present
    for name, entry in manifest["outputs"].items():
        assert _sha256(folder / name) == entry["sha256"], name


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.rglob("*") if p.name.endswith(".tmp") or ".literacy-staging." in str(p))


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def _start(arguments: list[str], **options: object) -> subprocess.Popen:
    return subprocess.Popen([*CLI, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **options)


def _wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _staged(folder: Path) -> bool:
    return any(p.is_file() for p in folder.glob(".literacy-staging.*/*"))


@contextlib.contextmanager
def _tmpfs(options: str):
    """A tmpfs mounted with ``options`` (root only); skip where mounting is impossible."""
    point = Path(tempfile.mkdtemp(prefix="literacy-mount-"))
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True)
    if result.returncode != 0:
        point.rmdir()
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode().strip() or 'not root'})")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)
        point.rmdir()


# -- the lock ---------------------------------------------------------------


def test_two_runs_into_one_folder_one_refuses_naming_the_other(tmp_path):
    config, out = run_config(tmp_path), tmp_path / "out"
    runs = [_start(["run", str(config), "--out", str(out)]) for _ in range(2)]  # started together
    codes = [child.wait(timeout=120) for child in runs]
    assert sorted(codes) == [0, 1], [child.stderr.read() for child in runs]
    winner, loser = (runs[0], runs[1]) if codes[0] == 0 else (runs[1], runs[0])
    assert loser.stderr.read().strip().splitlines() == [
        f"Error: Another literacy run (process {winner.pid}) is writing to {out}; wait for it to finish or choose "
        "another --out."
    ]
    assert not (out / LOCK_NAME).exists() and not (out / MARKER_NAME).exists()
    _assert_manifest_matches(out)  # only the winner's files, and they match


def test_a_lock_held_by_another_process_is_respected(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / LOCK_NAME, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        refused = CliRunner().invoke(main, ["run", str(run_config(tmp_path)), "--out", str(out)])
    assert refused.exit_code == 1
    assert f"(process {os.getpid()})" in refused.stderr and "Traceback" not in refused.output
    assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]


def test_a_killed_run_leaves_the_folder_to_the_next(tmp_path):
    """SIGKILL runs no cleanup: the staging folder, its temporaries and the
    lock file stay; the next run takes the lock over, says so and removes them."""
    config, out = run_config(tmp_path), tmp_path / "out"
    killed = _start(["run", str(config), "--out", str(out)])
    _wait_for(lambda: _staged(out) or killed.poll() is not None)
    killed.kill()
    killed.wait()
    assert (out / LOCK_NAME).read_text().strip() == str(killed.pid)
    assert _leftovers(out)
    stale = out / f".notes.csv.lit{_dead_pid()}.abcd1234.tmp"  # a killed `literacy ... -o out/notes.csv`
    stale.write_text("half", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Took over the lock of {out} from process {killed.pid}, no longer running" in result.stderr
    assert _leftovers(out) == [] and not (out / LOCK_NAME).exists()
    _assert_manifest_matches(out)


def test_stale_temporaries_of_dead_writers_are_removed_live_ones_kept(tmp_path):
    dead = tmp_path / f".t.csv.lit{_dead_pid()}.abcd1234.tmp"
    live = tmp_path / ".t.csv.lit1.abcd1234.tmp"  # pid 1 is always running
    dead.write_text("x", encoding="utf-8")
    live.write_text("x", encoding="utf-8")
    write_table(__import__("pandas").DataFrame({"a": [1]}), tmp_path / "t.csv")
    assert not dead.exists() and live.exists() and (tmp_path / "t.csv").is_file()


# -- staging, marker, --force, inputs -----------------------------------------


@pytest.mark.parametrize("name,code,previous", [("SIGTERM", 143, True), ("SIGINT", 130, False)])
def test_a_signal_mid_run_leaves_the_previous_result_or_nothing(tmp_path, name, code, previous):
    config, out = run_config(tmp_path), tmp_path / "out"
    if previous:
        run(config, output=out)
    before = {p.name: _sha256(p) for p in out.iterdir()} if previous else {}
    child = _start(["run", str(config), "--out", str(out), "--force"])
    _wait_for(lambda: _staged(out) or child.poll() is not None)
    child.send_signal(getattr(signal, name))
    assert child.wait(timeout=60) == code
    assert child.stderr.read().strip().splitlines() == [
        f"Stopped by {name}; unfinished files were removed and {out / MARKER_NAME} says what happened."
    ]
    assert _leftovers(tmp_path) == []
    after = {p.name: _sha256(p) for p in out.iterdir() if p.name not in (MARKER_NAME, LOCK_NAME)}
    assert after == before  # the previous complete result untouched, or nothing new
    assert not (out / LOCK_NAME).exists()
    marker = (out / MARKER_NAME).read_text(encoding="utf-8")
    assert "step: " in marker and f"process: {child.pid}" in marker
    if previous:
        assert "contents: previous" in marker
        _assert_manifest_matches(out)
    else:
        assert "contents: none" in marker


def test_a_failing_step_leaves_nothing_new_and_says_so(tmp_path):
    import pandas as pd

    margins = pd.read_csv(sample_data_dir() / "margins.csv", encoding="utf-8-sig")
    broken = tmp_path / "margins.csv"
    margins[margins["category"] != "rural"].to_csv(broken, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(run_config(tmp_path, margins=str(broken))), "--out", str(out)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: Step `weight` failed:")
    assert sorted(p.name for p in out.iterdir()) == [MARKER_NAME]
    marker = (out / MARKER_NAME).read_text(encoding="utf-8")
    assert "step: weight" in marker and "contents: none" in marker
    # A folder holding only the marker counts as empty: no --force needed.
    fixed = CliRunner().invoke(main, ["run", str(run_config(tmp_path)), "--out", str(out)])
    assert fixed.exit_code == 0, fixed.output
    assert not (out / MARKER_NAME).exists()


def test_force_removes_what_the_previous_manifest_listed_and_only_that(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    responses = out / "responses.xlsx"  # an input inside the output folder, under its own name
    shutil.copy(sample_data_dir() / "responses-wjx.xlsx", responses)
    victim = tmp_path / "victim.txt"
    victim.write_text("not the run's", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    config = run_config(tmp_path, inputs=[{"path": str(responses)}])
    run(config, output=out, force=True)
    assert (out / "weighted.csv").is_file() and (out / "weighting.json").is_file()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["outputs"].update({"../victim.txt": {}, "responses.xlsx": {}, "notes.txt.missing": {}})
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    unweighted = run_config(tmp_path, inputs=[{"path": str(responses)}], margins=None, weighting=None)
    result = CliRunner().invoke(main, ["run", str(unweighted), "--out", str(out), "--force"])
    assert result.exit_code == 0, result.output
    for gone in ("weighted.csv", "weighted.csv.meta.json", "weighting.json"):
        assert not (out / gone).exists(), gone
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # not listed: kept
    assert victim.read_text(encoding="utf-8") == "not the run's"  # outside the folder: never
    assert responses.is_file()  # an input: never
    _assert_manifest_matches(out)
    listed = set(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"])
    assert {p.name for p in out.iterdir()} == listed | {"manifest.json", "notes.txt", "responses.xlsx"}


@pytest.mark.parametrize("link", ["same path", "hard link"])
def test_an_output_that_would_replace_an_input_is_refused(tmp_path, link):
    out = tmp_path / "out"
    out.mkdir()
    if link == "same path":
        source = out / "scored.csv"
        shutil.copy(sample_data_dir() / "sample.csv", source)
    else:
        source = tmp_path / "responses.csv"
        shutil.copy(sample_data_dir() / "sample.csv", source)
        os.link(source, out / "weighted.csv")
    digest = _sha256(source)
    result = CliRunner().invoke(main, ["run", str(run_config(tmp_path, inputs=[{"path": str(source)}])), "--out",
                                       str(out), "--force"])  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: The input {source} is where this run writes ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert _sha256(source) == digest and MARKER_NAME not in os.listdir(out)


# -- full disk, read-only folder, unreadable input ---------------------------


def _validate(target: Path, rejects: Path) -> list[str]:
    """A `literacy validate` writing a clean file bigger than 200 KB (through TableSink)."""
    source = sample_data_dir() / "responses-wjx.xlsx"
    return ["validate", str(source), "-q", "cast-2024", "-o", str(target), "--rejects", str(rejects)]


def test_a_full_disk_ends_in_one_sentence_and_leaves_no_temporaries(tmp_path):
    with _tmpfs("size=200k") as disk:
        out = disk / "out"
        ran = CliRunner().invoke(main, ["run", str(run_config(tmp_path)), "--out", str(out)])
        assert (ran.exit_code == 1 and ran.exception is None) or isinstance(ran.exception, SystemExit)
        assert ran.stderr.strip().splitlines() == [
            f"Error: The disk is full while writing {out / 'clean.csv'}; free space or choose another -o/--out."
        ]
        assert _leftovers(disk) == [] and sorted(os.listdir(out)) == [MARKER_NAME]
        assert "contents: none" in (out / MARKER_NAME).read_text(encoding="utf-8")
        target = disk / "clean.csv"  # any command, not only run
        checked = CliRunner().invoke(main, _validate(target, tmp_path / "rejects.csv"))
        assert checked.exit_code == 1
        assert checked.stderr.strip().splitlines()[-1] == (
            f"Error: The disk is full while writing {target}; free space or choose another -o/--out."
        )
        assert _leftovers(disk) == [] and not target.exists()


def test_a_full_disk_simulated_at_the_lowest_write(tmp_path, monkeypatch):
    """Where no tmpfs can be mounted (not root), a write that raises ENOSPC
    stands in; the real one above runs where it can."""
    if IS_ROOT and _can_mount():
        pytest.skip("the real tmpfs test ran instead")
    import literacy.io.tables as tables

    real_fdopen = os.fdopen

    class Full:
        def __init__(self, handle):
            self.handle = handle

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

    monkeypatch.setattr(tables.os, "fdopen", lambda *a, **k: Full(real_fdopen(*a, **k)))
    target = tmp_path / "clean.csv"
    result = CliRunner().invoke(main, _validate(target, tmp_path / "rejects.csv"))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: The disk is full while writing {target}; free space or choose another -o/--out."
    )
    assert _leftovers(tmp_path) == []


def _can_mount() -> bool:
    point = tempfile.mkdtemp()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", point], capture_output=True).returncode
    if ok == 0:
        subprocess.run(["umount", point], check=False)
    os.rmdir(point)
    return ok == 0


def test_a_read_only_folder_ends_in_one_sentence(tmp_path):
    """Root ignores permission bits, so as root the folder is a tmpfs mounted
    read-only (EROFS); otherwise a folder without write permission (EACCES)."""
    if IS_ROOT:
        context = _tmpfs("ro,size=64k")
        expected = "Error: Cannot write {}: its disk is mounted read-only; choose another -o/--out."
    else:
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        context = contextlib.nullcontext(folder)
        expected = ("Error: No permission to write {}; choose a folder you can write to (-o/--out) or change "
                    "it.")  # fmt: skip
    with context as folder:
        out = folder / "out"
        ran = CliRunner().invoke(main, ["run", str(run_config(tmp_path)), "--out", str(out)])
        assert ran.exit_code == 1
        assert ran.stderr.strip().splitlines() == [expected.format(out)]
        target = folder / "clean.csv"
        checked = CliRunner().invoke(main, _validate(target, tmp_path / "rejects.csv"))
        assert checked.exit_code == 1 and checked.stderr.strip().splitlines()[-1] == expected.format(target)


def _without_root_file_powers() -> None:
    """In the child, before exec: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
    from the bounding set, so that root is held to the file's permission bits."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def test_an_unreadable_input_ends_in_one_sentence(tmp_path):
    """Root reads everything, so as root the command runs without the
    capabilities that bypass permissions (a real permission check, not a mock)."""
    source = tmp_path / "responses.xlsx"
    shutil.copy(sample_data_dir() / "responses-wjx.xlsx", source)
    source.chmod(0o000)
    config = run_config(tmp_path, inputs=[{"path": str(source)}])
    out = tmp_path / "out"
    options = {"preexec_fn": _without_root_file_powers} if IS_ROOT else {}
    try:
        ran = subprocess.run([*CLI, "run", str(config), "--out", str(out)], capture_output=True, text=True,
                             **options)  # fmt: skip
    except subprocess.SubprocessError as error:
        pytest.skip(f"cannot drop root's file capabilities here: {error}")
    assert ran.returncode == 1, ran.stderr
    assert ran.stderr.strip().splitlines() == [
        f"Error: No permission to read {source}; change its permissions or copy it somewhere readable."
    ]
    assert "step: start" in (out / MARKER_NAME).read_text(encoding="utf-8")


def test_a_failed_run_never_waits_for_ever_on_a_stuck_writer(tmp_path, monkeypatch):
    """CI once caught the table writer stuck on an import lock and the run joining it for ever:
    a failing or stopped run gives a running write a grace period, then goes on."""
    import threading

    import pandas as pd

    import literacy.pipeline as pipeline
    import literacy.threads as threads

    released = threading.Event()
    monkeypatch.setattr(threads, "WRITER_GRACE_SECONDS", 0.5)
    monkeypatch.setattr(pipeline, "write_table", lambda *args, **kwargs: released.wait(60))
    margins = pd.read_csv(sample_data_dir() / "margins.csv", encoding="utf-8-sig")
    broken = tmp_path / "margins.csv"
    margins[margins["category"] != "rural"].to_csv(broken, index=False)
    started = time.monotonic()
    try:
        result = CliRunner().invoke(main, ["run", str(run_config(tmp_path, margins=str(broken))),
                                           "--out", str(tmp_path / "out")])  # fmt: skip
    finally:
        released.set()
    assert result.exit_code == 1 and "Step `weight` failed" in result.stderr
    assert time.monotonic() - started < 30
