"""`--concurrency-range` / `--request-rate-range` parsing, as perf_analyzer does it.

Up to three `:`-separated fields `start:end:step`; fields left out keep their default of 1, so
`4` means start=4, end=1: a single level. `end = 0` means "no limit" and needs a latency threshold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


class RangeError(ValueError):
    """A range flag that perf_analyzer would reject (exit code 3)."""


@dataclass(frozen=True)
class Range:
    start: float
    end: float
    step: float
    integral: bool = True

    @property
    def unbounded(self) -> bool:
        return self.end == 0

    def levels(self, limit: int = 10_000) -> Iterator[float | int]:
        """The load levels in sweep order: `do { v; v += step } while (v <= end || end == 0)`."""
        value = self.start
        for _ in range(limit):
            yield int(value) if self.integral else value
            value += self.step
            if not (value <= self.end or self.unbounded):
                return

    def count(self) -> int | None:
        """Number of levels, or None when the range is unbounded."""
        if self.unbounded:
            return None
        return sum(1 for _ in self.levels())

    def __str__(self) -> str:
        fmt = (lambda v: str(int(v))) if self.integral else (lambda v: f"{v:g}")
        return ":".join(fmt(v) for v in (self.start, self.end, self.step))


def parse_range(text: str, *, integral: bool = True, flag: str = "--concurrency-range") -> Range:
    """Parse `start[:end[:step]]`; raise RangeError with perf_analyzer-like wording."""
    parts = text.strip().split(":")
    if not text.strip() or len(parts) > 3:
        raise RangeError(f"{flag} {text!r}: expected start:end:step (at most three values)")
    values = [1.0, 1.0, 1.0]
    for i, part in enumerate(parts):
        try:
            value = int(part) if integral else float(part)
        except ValueError:
            kind = "a non-negative integer" if integral else "a number"
            raise RangeError(f"{flag} {text!r}: {part!r} is not {kind}") from None
        if value < 0 or value != value:
            raise RangeError(f"{flag} {text!r}: values must not be negative")
        values[i] = float(value)
    start, end, step = values
    if step == 0:
        raise RangeError(f"{flag} {text!r}: the step must be greater than 0")
    if start == 0:
        what = "concurrency" if integral else "request rate"
        raise RangeError(f"{flag} {text!r}: the {what} must start above 0")
    return Range(start, end, step, integral)
