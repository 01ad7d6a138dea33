"""`--concurrency-range` / `--request-rate-range` parsing, as perf_analyzer does it.

Up to three `:`-separated fields `start:end:step`; fields left out keep their default of 1, so
`4` means start=4, end=1: a single level. `end = 0` means "no limit" and needs a latency threshold.

What the machine cannot do is refused here, before anything is sent, for every caller (the bench
CLI, the Benchmark pane's form, deploy): a concurrency needs one socket per request in flight, so
it must fit the open-file limit (`most_connections`); a request rate must be finite and at most
MAX_RATE; a measurement window at most MAX_WINDOW_MS (`check_window`).
"""

from __future__ import annotations

import math
import resource
from collections.abc import Iterator
from dataclasses import dataclass

# The highest request rate we schedule, in infer/s: one send a microsecond. One load generator
# process keeps ~20 k/s on add_sub, and there are at most 64 of them, so any rate above it could
# only be missed (and 1e9 or more leaves no nanosecond between sends: a busy loop of connects).
MAX_RATE = 1_000_000.0
# Files a process keeps besides its load sockets: a load generator worker's pipe, epoll and
# Python's own, and, for a server launched here (it inherits the limit), its listening sockets,
# libraries and backend stubs' regions (~65 for the demo's add_sub).
FILE_MARGIN = 128
WINDOW_MS = 5000  # perf_analyzer's measurement window, the default of every benchmark we start
STABILITY_PCT = 10.0  # its allowed spread of the last windows, in percent
MAX_WINDOW_MS = 86_400_000  # a measurement window of a day; threading's waits overflow far above


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


def most_connections() -> int:
    """The most sockets a load may hold open: the soft open-file limit (RLIMIT_NOFILE) less
    FILE_MARGIN for the process's other files."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    return max(0, soft - FILE_MARGIN)


def check_concurrency(value: float, what: str) -> None:
    """RangeError, starting with `what`, when `value` requests in flight would pass the
    open-file limit, with the limit and how to raise it."""
    most = most_connections()
    if value <= most:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = int(value) + FILE_MARGIN
    raise_it = (
        f"raise it with `ulimit -n {need}` in the shell that starts triton-tui"
        if hard == resource.RLIM_INFINITY or need <= hard
        else f"the hard limit is {hard}, so only root can raise it that far"
    )
    raise RangeError(
        f"{what}: {int(value)} requests in flight need a socket each, more than the "
        f"open-file limit allows ({soft} files, {most} for connections after {FILE_MARGIN} "
        f"kept for other files); {raise_it}, or lower the range"
    )


def check_window(ms: float, what: str) -> int:
    """A measurement window in whole ms, at most MAX_WINDOW_MS; RangeError naming `what`."""
    if not 0 < ms <= MAX_WINDOW_MS:  # NaN too
        raise RangeError(f"{what} must be more than 0 and at most {MAX_WINDOW_MS} ms (a day)")
    return int(ms)


def _check_levels(rng: Range, text: str, flag: str) -> None:
    """What the machine cannot do: a concurrency past the open-file limit, a rate past MAX_RATE."""
    highest = rng.start if rng.unbounded else max(rng.start, rng.end)
    if rng.integral:
        check_concurrency(highest, f"{flag} {text!r}")
    elif highest > MAX_RATE:
        raise RangeError(
            f"{flag} {text!r}: {highest:,.10g} infer/s is more than any schedule here can keep "
            f"(at most {MAX_RATE:,.0f} infer/s, one send a microsecond)"
        )


def parse_range(text: str, *, integral: bool = True, flag: str = "--concurrency-range") -> Range:
    """Parse `start[:end[:step]]`; raise RangeError with perf_analyzer-like wording, or where
    the machine cannot run it (`_check_levels`)."""
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
        if isinstance(value, float) and not math.isfinite(value):  # float() takes inf, nan
            raise RangeError(f"{flag} {text!r}: {part!r} is not a finite number")
        if value < 0:
            raise RangeError(f"{flag} {text!r}: values must not be negative")
        try:
            values[i] = float(value)
        except OverflowError:  # an integer of hundreds of digits
            raise RangeError(f"{flag} {text!r}: {part!r} is too large") from None
    start, end, step = values
    if step == 0:
        raise RangeError(f"{flag} {text!r}: the step must be greater than 0")
    if start == 0:
        what = "concurrency" if integral else "request rate"
        raise RangeError(f"{flag} {text!r}: the {what} must start above 0")
    rng = Range(start, end, step, integral)
    _check_levels(rng, text, flag)
    return rng
