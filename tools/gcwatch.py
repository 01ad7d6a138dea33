"""Python's full (generation 2) garbage collections during a benchmark: how many, the longest.

Shared by the key-latency benchmarks (assets/bench/keys.py, tests/bench_config.py):
`with FullCollections() as full: ...`, then `full.count`, `full.longest_ms` or `str(full)`.
"""

from __future__ import annotations

import gc
import time


class FullCollections:
    def __init__(self) -> None:
        self.count, self.longest_ms, self._t0 = 0, 0.0, 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.count += 1
            self.longest_ms = max(self.longest_ms, (time.perf_counter() - self._t0) * 1000)

    def __enter__(self) -> FullCollections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)

    def __str__(self) -> str:
        return f"{self.count} full GC, longest {self.longest_ms:.0f} ms"
