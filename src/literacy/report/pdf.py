"""The report as PDF, for circulation: the HTML printed by headless Chromium
(A4, page numbers in the footer), or, where only LibreOffice is installed,
the Word report converted by it. Without either, one sentence says what to
install.

Chromium is driven through the DevTools protocol over a pipe
(``--remote-debugging-pipe``: NUL-terminated JSON on file descriptors 3 and
4, no network port and no websocket library), because only
``Page.printToPDF`` takes a footer template: ``@page`` margin boxes are not
drawn by Chromium, and the ``--print-to-pdf`` switch's own footer prints the
temporary file's path. Should the protocol fail, the switch is the fallback
(its footer still numbers the pages)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from literacy.errors import LiteracyError
from literacy.io.tables import atomic_write, check_can_write
from literacy.report.data import ReportData

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
SOFFICE_NAMES = ("soffice", "libreoffice")
NO_RENDERER = (
    "Writing a PDF needs Chromium or LibreOffice and neither is installed: install one "
    "(on Debian: apt-get install chromium, or apt-get install libreoffice-writer-nogui) and try again."
)
TIMEOUT = 180.0
# Chromium on a server: no sandbox (often no user namespaces in containers),
# no GPU, and nothing that calls home.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
)
_FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#555;font-family:sans-serif">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


def chromium() -> str | None:
    """The Chromium (or Chrome) program on PATH, or None."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def soffice() -> str | None:
    """LibreOffice's program on PATH, or None."""
    return next((found for name in SOFFICE_NAMES if (found := shutil.which(name))), None)


def renderer() -> str | None:
    """Which renderer a PDF would be made with: chromium, libreoffice or None."""
    if chromium():
        return "chromium"
    if soffice():
        return "libreoffice"
    return None


def write_pdf(data: ReportData, path: Path, lang: str, *, force: bool = False, using: str | None = None) -> Path:
    """Write the report as PDF at ``path``: Chromium from the HTML when it is
    installed, else LibreOffice from the .docx (``using`` picks one)."""
    check_can_write([path], force=force)
    using = using or renderer()
    if using is None:
        raise LiteracyError(NO_RENDERER)
    with tempfile.TemporaryDirectory(prefix="literacy-pdf-") as folder:
        work = Path(folder)
        if using == "chromium":
            from literacy.report.html import render_html

            page = work / "report.html"
            page.write_text(render_html(data, lang, for_print=True), encoding="utf-8")
            pdf = html_to_pdf(page, work / "report.pdf")
        elif using == "libreoffice":
            from literacy.report.docx import write_docx

            document = work / "report.docx"
            with document.open("wb") as handle:
                write_docx(data, handle, lang)
            pdf = docx_to_pdf(document, work)
        else:
            raise LiteracyError(f"PDF renderer {using!r} is unknown; use chromium or libreoffice.")
        content = pdf.read_bytes()
    atomic_write(path, lambda handle: handle.write(content), binary=True)
    return path


def html_to_pdf(page: Path, out: Path) -> Path:
    """Print ``page`` to ``out`` with headless Chromium: A4, backgrounds (the
    status colours), page numbers in the footer."""
    program = chromium()
    if program is None:
        raise LiteracyError(NO_RENDERER)
    with tempfile.TemporaryDirectory(prefix="literacy-chromium-") as profile:
        try:
            out.write_bytes(_print_over_pipe(program, page, profile))
        except (OSError, RuntimeError, ValueError, TimeoutError) as error:
            if not _print_switch(program, page, out, profile):
                raise LiteracyError(
                    f"Chromium could not print the report ({error}); run `{program} --headless --version` to check "
                    "that it starts, or install LibreOffice (libreoffice-writer-nogui) for the PDF instead."
                ) from error
    return out


def _print_over_pipe(program: str, page: Path, profile: str) -> bytes:
    """Page.printToPDF through the DevTools pipe."""
    if sys.platform == "win32":  # pragma: no cover - no descriptors 3 and 4 for Chromium on Windows
        raise OSError("the DevTools pipe needs POSIX file descriptors")
    # Pipe ends above 4, so putting one at 3 or 4 never overwrites the other.
    to_chromium_read, to_chromium_write = (_high(fd) for fd in os.pipe())
    from_chromium_read, from_chromium_write = (_high(fd) for fd in os.pipe())

    # Chromium reads commands on descriptor 3 and writes replies on 4. A small
    # Python trampoline puts the pipe ends there and execs Chromium (a shell's
    # 3<&N takes one digit only in dash; a preexec_fn is not safe with threads).
    read_end, write_end = to_chromium_read, from_chromium_write
    arguments = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"]
    trampoline = "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); " \
                 "os.execv(sys.argv[3], sys.argv[3:])"  # fmt: skip
    command = [sys.executable, "-c", trampoline, str(read_end), str(write_end), program, *arguments]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        pass_fds=(read_end, write_end),
    )  # fmt: skip
    os.close(to_chromium_read)
    os.close(from_chromium_write)
    channel = _Pipe(to_chromium_write, from_chromium_read, time.monotonic() + TIMEOUT)
    try:
        target = channel.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = channel.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        channel.call("Page.enable", {}, session)
        channel.call("Page.navigate", {"url": page.resolve().as_uri()}, session)
        channel.wait_for("Page.loadEventFired", session)
        result = channel.call(
            "Page.printToPDF",
            {
                "paperWidth": 210 / 25.4,  # A4 in inches
                "paperHeight": 297 / 25.4,
                "marginTop": 0.6,
                "marginBottom": 0.7,
                "marginLeft": 0.45,
                "marginRight": 0.45,
                "printBackground": True,
                "displayHeaderFooter": True,
                "headerTemplate": "<span></span>",
                "footerTemplate": _FOOTER,
                "preferCSSPageSize": False,
            },
            session,
        )
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            channel.call("Browser.close", {})
        return base64.b64decode(result["data"])
    finally:
        channel.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _high(fd: int) -> int:
    """``fd`` moved to a descriptor number of 10 or more."""
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class _Pipe:
    """The DevTools protocol over a pair of pipes: messages are JSON, each
    ended by a NUL byte."""

    def __init__(self, write_fd: int, read_fd: int, deadline: float) -> None:
        self.write_fd, self.read_fd, self.deadline = write_fd, read_fd, deadline
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message).encode("utf-8") + b"\0"
        while data:
            data = data[os.write(self.write_fd, data) :]

    def receive(self) -> dict[str, Any]:
        while b"\0" not in self.buffer:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium in time")
            ready, _, _ = select.select([self.read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any], session: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.send(message)
        while True:
            reply = self.receive()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str, session: str) -> None:
        while True:
            for index, message in enumerate(self.events):
                if message.get("method") == event and message.get("sessionId") == session:
                    del self.events[index]
                    return
            self.events.append(self.receive())

    def close(self) -> None:
        for fd in (self.write_fd, self.read_fd):
            with contextlib.suppress(OSError):
                os.close(fd)


def _print_switch(program: str, page: Path, out: Path, profile: str) -> bool:
    """The fallback: ``--print-to-pdf`` (its default footer numbers pages)."""
    command = [program, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={out}", page.as_uri()]
    try:
        subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.is_file() and out.stat().st_size > 0


def docx_to_pdf(document: Path, folder: Path) -> Path:
    """Convert ``document`` (.docx) to PDF in ``folder`` with LibreOffice
    (headless, a private profile so a running LibreOffice does not block it)."""
    program = soffice()
    if program is None:
        raise LiteracyError(NO_RENDERER)
    with tempfile.TemporaryDirectory(prefix="literacy-soffice-") as profile:
        command = [program, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", str(folder), str(document)]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired as error:
            raise LiteracyError(f"LibreOffice took longer than {TIMEOUT:.0f} s to convert {document.name}.") from error
    out = folder / f"{document.stem}.pdf"
    if not out.is_file():
        detail = (done.stderr or done.stdout or "").strip().splitlines()
        raise LiteracyError(
            f"LibreOffice did not convert {document.name} to PDF ({detail[-1] if detail else 'no message'}); "
            f"run `{program} --headless --convert-to pdf {document.name}` to see why."
        )
    return out
