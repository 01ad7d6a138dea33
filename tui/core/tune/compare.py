"""Figures with their spread, and the interleaved A/B comparison that the tuner's final round and
the doctor's "try it" share.

An interval is the mean of repeated measurements with a two-sided 95 % Student-t interval around
it (mean ± t(0.975, n-1) · s / √n). With one value there is no spread to speak of, so its
interval is the value itself and nothing built on it can clear the noise.

An interleaved comparison measures the current config and a candidate alternately, round after
round, and each round's gain is the candidate's figure over the current one's from that same round:
a machine that slows down for a minute slows both halves of a round and the ratio holds. The order
within a round alternates (current first, then candidate first, ...) so that a steady drift does
not always favour the same side. The gain's interval comes from the per-round gains, so it is the
spread of what was compared, not of two independent averages.

A candidate clears the current config only when the whole gain interval lies above the minimum
practical margin (5 % unless the user says otherwise) and above zero.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

MIN_MARGIN_PCT = 5.0  # the smallest gain worth a config change, unless the user sets another
MIN_ROUNDS = 3

# Two-sided 95 % Student-t quantiles by degrees of freedom; beyond 30 the normal 1.96.
_T95 = {
    1: 12.706,
    2: 4.303,
    3: 3.182,
    4: 2.776,
    5: 2.571,
    6: 2.447,
    7: 2.365,
    8: 2.306,
    9: 2.262,
    10: 2.228,
    12: 2.179,
    15: 2.131,
    20: 2.086,
    25: 2.060,
    30: 2.042,
}


def t95(df: int) -> float:
    """The t quantile for `df` degrees of freedom (rounded to the next tabulated df below, which
    errs on the wide side)."""
    if df < 1:
        return math.inf
    if df > 30:
        return 1.96
    return _T95[max(k for k in _T95 if k <= df)]


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    n: int

    @property
    def half(self) -> float:
        return (self.high - self.low) / 2

    @property
    def spread_pct(self) -> float:
        """Half the interval as a share of the mean, in %."""
        return 100 * self.half / abs(self.mean) if self.mean else 0.0

    def words(self, digits: int = 1, unit: str = "") -> str:
        """'8449.6 ± 3.1 % infer/s (n=5)'."""
        unit = f" {unit}" if unit else ""
        if self.n < 2:
            return f"{self.mean:.{digits}f}{unit} (one measurement, no spread)"
        return f"{self.mean:.{digits}f} ± {self.spread_pct:.1f} %{unit} (n={self.n})"

    def to_dict(self) -> dict[str, Any]:
        return {"mean": self.mean, "low": self.low, "high": self.high, "n": self.n}


def interval(values: Sequence[float]) -> Interval:
    """Mean and 95 % Student-t interval of `values` (at least one)."""
    if not values:
        raise ValueError("an interval needs at least one value")
    n = len(values)
    mean = sum(values) / n
    if n == 1:
        return Interval(mean, mean, mean, 1)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = t95(n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


@dataclass(frozen=True)
class Round:
    current: float
    candidate: float


@dataclass
class Comparison:
    """The rounds of an interleaved comparison and what they say."""

    higher_is_better: bool = True  # throughput: yes; a latency: no
    rounds: list[Round] = field(default_factory=list)
    # "linear": the interval of the per-round gains in %; "log": of the per-round log ratios,
    # turned back into % (a geometric mean; machine noise multiplies figures, so the ratios'
    # logs spread evenly where the ratios themselves skew upwards). The tuner uses "log".
    scale: str = "linear"

    @property
    def current(self) -> Interval:
        return interval([r.current for r in self.rounds])

    @property
    def candidate(self) -> Interval:
        return interval([r.candidate for r in self.rounds])

    @property
    def gain(self) -> Interval:
        """The candidate's gain over the current config in %, per round (positive is better)."""
        if self.scale == "log":
            return self._log_gain()
        gains = []
        for r in self.rounds:
            better, worse = (
                (r.candidate, r.current) if self.higher_is_better else (r.current, r.candidate)
            )
            gains.append(100 * (better / worse - 1) if worse > 0 else 0.0)
        return interval(gains)

    def _log_gain(self) -> Interval:
        logs = []
        for r in self.rounds:
            better, worse = (
                (r.candidate, r.current) if self.higher_is_better else (r.current, r.candidate)
            )
            logs.append(math.log(better / worse) if better > 0 and worse > 0 else 0.0)
        log = interval(logs)

        def pct(value: float) -> float:
            return 100 * (math.exp(min(value, 700.0)) - 1)

        return Interval(pct(log.mean), pct(log.low), pct(log.high), log.n)

    def clears(self, min_margin_pct: float = MIN_MARGIN_PCT) -> bool:
        """Whether the candidate beats the current config beyond noise and by the margin."""
        if len(self.rounds) < 2:
            return False
        low = self.gain.low
        return low > 0 and low >= min_margin_pct

    def words(self, min_margin_pct: float = MIN_MARGIN_PCT) -> str:
        """'+62 % (+55 to +70 %, 3 rounds)' or 'no gain beyond noise (-4 to +9 %, 3 rounds)'."""
        if not self.rounds:
            return "not measured"
        g = self.gain
        span = f"{g.low:+.0f} to {g.high:+.0f} %, {len(self.rounds)} rounds"
        if self.clears(min_margin_pct):
            return f"{g.mean:+.0f} % ({span})"
        if g.low > 0:
            return f"gain below the {min_margin_pct:g} % margin ({span})"
        return f"no gain beyond noise ({span})"

    def to_dict(self) -> dict[str, Any]:
        g = self.gain if self.rounds else None
        return {
            "gain_pct": [g.low, g.high] if g else None,
            "gain_mean_pct": g.mean if g else None,
            "spread_pct": g.half if g else None,
            "scale": self.scale,
            "rounds": len(self.rounds),
            "current": [r.current for r in self.rounds],
            "candidate": [r.candidate for r in self.rounds],
        }


class Cancelled(Exception):
    """The comparison was cancelled between two measurements."""


def interleave(
    measure_current: Callable[[], float],
    measure_candidate: Callable[[], float],
    rounds: int = MIN_ROUNDS,
    *,
    higher_is_better: bool = True,
    cancel: threading.Event | None = None,
    on_round: Callable[[int, Round], None] | None = None,
) -> Comparison:
    """Measure current and candidate alternately for `rounds` rounds (current first in even
    rounds, candidate first in odd ones). The callables load what they measure and raise on
    failure; `on_round` sees each finished round."""
    result = Comparison(higher_is_better=higher_is_better)
    for index in range(rounds):
        figures: dict[str, float] = {}
        order = ("current", "candidate") if index % 2 == 0 else ("candidate", "current")
        for side in order:
            if cancel is not None and cancel.is_set():
                raise Cancelled
            figures[side] = measure_current() if side == "current" else measure_candidate()
        done = Round(figures["current"], figures["candidate"])
        result.rounds.append(done)
        if on_round is not None:
            on_round(index, done)
    return result
