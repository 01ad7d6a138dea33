"""Bounded ring histories of samples (several minutes at one sample a second)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable

DEFAULT_CAPACITY = 300  # five minutes at 1 sample/s


class History:
    """A fixed-size ring of float samples; None marks a sample that had no value (N/A)."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"history capacity must be at least 1, got {capacity}")
        self._ring: deque[float | None] = deque(maxlen=capacity)

    @property
    def capacity(self) -> int:
        return self._ring.maxlen or 0

    def __len__(self) -> int:
        return len(self._ring)

    def append(self, value: float | None) -> None:
        self._ring.append(None if value is None else float(value))

    def extend(self, values: Iterable[float | None]) -> None:
        for value in values:
            self.append(value)

    def values(self) -> list[float]:
        """The samples that had a value, oldest first (what a sparkline draws)."""
        return [v for v in self._ring if v is not None]

    def raw(self) -> list[float | None]:
        return list(self._ring)

    @property
    def last(self) -> float | None:
        return self._ring[-1] if self._ring else None

    @property
    def peak(self) -> float | None:
        vals = self.values()
        return max(vals) if vals else None


class Histories:
    """Named histories created on first use, all with the same capacity; thread-safe."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        History(capacity)  # validate
        self.capacity = capacity
        self._series: dict[str, History] = {}
        self._lock = threading.Lock()

    def record(self, name: str, value: float | None) -> None:
        with self._lock:
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = History(self.capacity)
            series.append(value)

    def values(self, name: str) -> list[float]:
        with self._lock:
            series = self._series.get(name)
            return series.values() if series else []

    def last(self, name: str) -> float | None:
        with self._lock:
            series = self._series.get(name)
            return series.last if series else None

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._series)

    def __len__(self) -> int:
        return len(self._series)
