"""A bounded, thread-safe buffer of log lines that fans out to subscribers.

The launcher's reader thread appends every line the server prints; subscribers (the logs pane, the
model error tracker, `serve`'s printer) get each line in order. A subscriber that joins late is
replayed the history still held, so nothing since the first line is missed while it fits.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from tui.core.sanitize import clean

Subscriber = Callable[[int, str], None]


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
