"""A bounded, thread-safe buffer of log lines that fans out to subscribers, and the splitter
that turns a log source's bytes into those lines, each of bounded length.

The launcher's reader thread appends every line the server prints; subscribers (the logs pane, the
model error tracker, `serve`'s printer) get each line in order. A subscriber that joins late is
replayed the history still held, so nothing since the first line is missed while it fits.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from tui.core.util.sanitize import clean
from tui.core.util.units import size

Subscriber = Callable[[int, str], None]
# The most of one log line kept, in bytes: its start says what it is (a line wider than a hundred
# screens is read by no one), and 100 000 lines of history stay within memory. One 300 MB line
# once held the console at 975 MB.
MAX_LINE = 16 * 1024


class LineSplitter:
    """Bytes of a log source (a pipe, a file, a container's stream) in, complete lines out,
    decoded, without the newline (or a carriage return before it). A line longer than `max_line`
    bytes keeps its start and ends with how much was cut, e.g. "… [312.0 MiB cut]"; what is
    held between feeds never exceeds `max_line` bytes, whatever the source sends without a
    newline (`--log-file /dev/zero` once grew without end)."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._pending = b""  # the unfinished line's start, at most max_line bytes
        self._cut = 0  # bytes of the unfinished line dropped past max_line

    @property
    def cutting(self) -> bool:
        """Whether the unfinished line is already longer than `max_line` (its rest is skipped)."""
        return self._cut > 0

    def feed(self, data: bytes) -> list[str]:
        """The lines `data` completes."""
        lines: list[str] = []
        if self._cut:  # skipping the rest of a line too long to keep
            end = data.find(b"\n")
            if end < 0:
                self._cut += len(data)
                return lines
            self._cut += end
            lines.append(self._finish())
            data = data[end + 1 :]
        if self._pending:
            data = self._pending + data
        *complete, rest = data.split(b"\n")
        if complete and max(map(len, complete)) > self.max_line:
            lines.extend(self._capped(raw) for raw in complete)
        else:
            lines.extend(raw.decode("utf-8", "replace").rstrip("\r") for raw in complete)
        self._pending = rest[: self.max_line]
        self._cut = len(rest) - len(self._pending)
        return lines

    def end(self) -> list[str]:
        """The unfinished line, if any, as a line (the source ended without a newline)."""
        if not self._pending and not self._cut:
            return []
        return [self._finish()]

    def _finish(self) -> str:
        line = self._text(self._pending, self._cut)
        self._pending, self._cut = b"", 0
        return line

    def _capped(self, raw: bytes) -> str:
        return self._text(raw[: self.max_line], max(0, len(raw) - self.max_line))

    @staticmethod
    def _text(kept: bytes, cut: int) -> str:
        text = kept.decode("utf-8", "replace").rstrip("\r")
        return f"{text} … [{size(cut)} cut]" if cut else text


class LineBuffer:
    def __init__(self, maxlen: int = 100_000) -> None:
        self._lines: deque[tuple[int, str]] = deque(maxlen=maxlen)
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        self._seq = 0
        self.closed = False

    @property
    def maxlen(self) -> int:
        return self._lines.maxlen or 0

    def append(self, line: str) -> None:
        """Add one line, cleaned of terminal control sequences (it will be shown)."""
        line = clean(line)
        with self._lock:
            self._seq += 1
            item = (self._seq, line)
            self._lines.append(item)
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback(*item)

    def close(self) -> None:
        self.closed = True

    def subscribe(self, callback: Subscriber, *, replay: bool = True) -> Callable[[], None]:
        """Register `callback(seq, line)`; returns a function that unsubscribes it."""
        with self._lock:
            history = list(self._lines) if replay else []
            self._subscribers.append(callback)
            # Replay under the lock so no new line can slip between history and live lines.
            for item in history:
                callback(*item)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def snapshot(self) -> list[tuple[int, str]]:
        with self._lock:
            return list(self._lines)

    def __len__(self) -> int:
        return len(self._lines)
