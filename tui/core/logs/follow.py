"""Follow a log file like `tail -F`: keep reading across rotation (the name now points to a new
file) and truncation (the file got shorter), and wait for a file that does not exist yet.

Polls with a sleep (an `Event.wait`), never spins: `poll()`/`select()` report regular files as
always readable, which is how naive tailers burn a core. Nor does a source that never ends
(`/dev/zero`): at most READ_BUDGET bytes are read between two waits. Lines are split by
`LineSplitter`, so a line is at most MAX_LINE bytes (its start and how much was cut) and no more
than that is held while a newline is awaited.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from tui.core.util.linebuffer import LineSplitter
from tui.core.util.units import size

LineCallback = Callable[[str], None]
_CHUNK = 1 << 16
# Bytes read between two waits of `poll` seconds: 80 MB/s at the default 0.2 s, some 500 000
# Triton lines a second (more than the pane parses), while an endless source costs ~2 % of a core.
READ_BUDGET = 16 << 20


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
        self._cutting = False  # a line past MAX_LINE is being skipped (its notice given)

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

    def _follow_open(self, f: BinaryIO) -> None:
        ino = os.fstat(f.fileno()).st_ino
        splitter = LineSplitter()
        read = 0  # bytes since the last wait
        while not self._stop.is_set():
            chunk = f.read(_CHUNK)
            if chunk:
                self._feed(splitter, chunk)
                read += len(chunk)
                if read >= READ_BUDGET:
                    read = 0
                    self._stop.wait(self.poll)
                continue
            read = 0
            # At the end: has the file been rotated or truncated? While the name points to
            # nothing (between a rename and the new file), keep reading the old file.
            try:
                st = os.stat(self.path)
            except FileNotFoundError:
                self._stop.wait(self.poll)
                continue
            if st.st_ino != ino:
                # Rotated: drain what the old file still got, then follow the new one.
                while chunk := f.read(_CHUNK):
                    self._feed(splitter, chunk)
                self._emit(splitter.end())
                self.rotations += 1
                self.notice(f"{self.path}: rotated, following the new file")
                return
            if st.st_size < f.tell():
                self.truncations += 1
                self.notice(f"{self.path}: truncated, reading from the start")
                f.seek(0)
                splitter = LineSplitter()
                continue
            self._stop.wait(self.poll)

    def _feed(self, splitter: LineSplitter, chunk: bytes) -> None:
        self._emit(splitter.feed(chunk))
        if splitter.cutting != self._cutting:  # said once per line too long
            self._cutting = splitter.cutting
            if self._cutting:
                self.notice(
                    f"{self.path}: a line longer than {size(splitter.max_line)}; its start is "
                    "kept, the rest skipped up to its end"
                )

    def _emit(self, lines: list[str]) -> None:
        self.lines_read += len(lines)
        for line in lines:
            self.callback(line)
