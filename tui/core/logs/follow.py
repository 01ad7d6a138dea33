"""Follow a log file like `tail -F`: keep reading across rotation (the name now points to a new
file) and truncation (the file got shorter), and wait for a file that does not exist yet.

Polls with a sleep (an `Event.wait`), never spins: `poll()`/`select()` report regular files as
always readable, which is how naive tailers burn a core.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

LineCallback = Callable[[str], None]
_CHUNK = 1 << 16


class FileFollower:
    """Calls `callback(line)` (without the newline) for every complete line of `path`.

    `from_start=False` skips what the file holds when following starts (like `tail -n0 -F`).
    `notice(text)`, when given, hears about rotation, truncation and a missing file."""

    def __init__(
        self,
        path: Path | str,
        callback: LineCallback,
        *,
        poll: float = 0.2,
        from_start: bool = True,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path).expanduser()
        self.callback = callback
        self.poll = poll
        self.from_start = from_start
        self.notice = notice or (lambda _text: None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.rotations = 0
        self.truncations = 0
        self.lines_read = 0

    def start(self) -> FileFollower:
        name = f"follow:{self.path.name}"
        self._thread = threading.Thread(target=self.run, name=name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # The loop ------------------------------------------------------------------------------
    def run(self) -> None:
        first = True
        missing_told = False
        while not self._stop.is_set():
            try:
                f = open(self.path, "rb")  # noqa: SIM115 - held across iterations
            except FileNotFoundError:
                if not missing_told:
                    self.notice(f"{self.path}: waiting for the file to appear")
                    missing_told = True
                self._stop.wait(self.poll)
                continue
            except OSError as exc:
                self.notice(f"{self.path}: {exc.strerror or exc}; retrying")
                self._stop.wait(max(self.poll, 1.0))
                continue
            missing_told = False
            with f:
                if first and not self.from_start:
                    f.seek(0, os.SEEK_END)
                first = False
                self._follow_open(f)

    def _follow_open(self, f) -> None:  # noqa: ANN001 - a binary file object
        ino = os.fstat(f.fileno()).st_ino
        pending = b""
        while not self._stop.is_set():
            chunk = f.read(_CHUNK)
            if chunk:
                pending = self._emit(pending + chunk)
                continue
            # At the end: has the file been rotated or truncated? While the name points to
            # nothing (between a rename and the new file), keep reading the old file.
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                self._stop.wait(self.poll)
                continue
            if st.st_ino != ino:
                # Rotated: drain what the old file still got, then follow the new one.
                pending = self._emit(pending + f.read())
                if pending:
                    self._line(pending)
                self.rotations += 1
                self.notice(f"{self.path}: rotated, following the new file")
                return
            if st.st_size < f.tell():
                self.truncations += 1
                self.notice(f"{self.path}: truncated, reading from the start")
                f.seek(0)
                pending = b""
                continue
            self._stop.wait(self.poll)

    def _emit(self, data: bytes) -> bytes:
        *complete, rest = data.split(b"\n")
        for raw in complete:
            self._line(raw)
        return rest

    def _line(self, raw: bytes) -> None:
        self.lines_read += 1
        self.callback(raw.decode("utf-8", errors="replace").rstrip("\r"))
