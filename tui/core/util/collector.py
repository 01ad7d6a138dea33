"""Garbage collection between keys, not in the middle of one.

Python collects its oldest generation whenever enough objects have survived the younger ones,
and a full collection scans every container the process holds: with a 20 000-line config open
(TextArea keeps lists per line) and a few thousand widgets' styles, one took 90-160 ms, on the
UI thread, at whatever moment the allocation count tipped it: often right inside a key press
(`just bench-keys`: 17 full collections during its journeys, the longest 156 ms).

`IdleCollector` turns the automatic collector off and collects itself, from the console's
timer: the young generations (cheap: they hold only what is new) whenever enough has piled up,
the full heap only once input has paused for a moment, and at the latest every few minutes.
Memory stays bounded: only objects in reference cycles wait for a collection at all, and they
wait seconds, not longer.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

COLLECT_EVERY_S = 0.5  # how often the console calls `tick`
YOUNG_EVERY = 20_000  # allocations (net, of containers) that make a young collection due
IDLE_S = 0.75  # no input for this long: a full collection is welcome
FULL_EVERY_S = 30.0  # a full collection when idle this often ...
FULL_AT_LATEST_S = 300.0  # ... and at the latest this often, idle or not


class IdleCollector:
    """Call `start` once, `input_seen` on each key or click, `tick` a few times a second, and
    `stop` on the way out (the automatic collector is back on)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._was_enabled = gc.isenabled()
        self._last_input = self._last_full = clock()
        self.young = self.full = 0  # collections made, for the tests and the benchmark

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def stop(self) -> None:
        if self._was_enabled:
            gc.enable()

    def input_seen(self) -> None:
        self._last_input = self._clock()

    def idle_for(self) -> float:
        """Seconds since the last key or click."""
        return self._clock() - self._last_input

    def tick(self) -> None:
        now = self._clock()
        since_full = now - self._last_full
        idle = self.idle_for() >= IDLE_S
        if (idle and since_full >= FULL_EVERY_S) or since_full >= FULL_AT_LATEST_S:
            gc.collect()
            self._last_full = now
            self.full += 1
        elif gc.get_count()[0] >= YOUNG_EVERY:
            gc.collect(1)
            self.young += 1
