"""Intervals and the interleaved A/B comparison (tui/core/tune/compare.py): pure arithmetic and
call order, no server (the real trials run in the tuner's and the doctor's scenario tests)."""

from __future__ import annotations

import random
import threading

import pytest

from tui.core.tune.compare import Cancelled, Comparison, Round, interleave, interval, t95


def test_interval_is_the_student_t_interval() -> None:
    iv = interval([10.0, 12.0, 14.0])
    # mean 12, sd 2, n 3: half = 4.303 * 2 / sqrt(3)
    assert iv.mean == pytest.approx(12.0)
    assert iv.half == pytest.approx(4.303 * 2 / 3**0.5, rel=1e-4)
    assert iv.n == 3
    assert "± " in iv.words() and "n=3" in iv.words()


def test_one_value_has_no_spread_and_cannot_clear() -> None:
    iv = interval([5.0])
    assert (iv.low, iv.high) == (5.0, 5.0)
    assert "no spread" in iv.words()
    assert not Comparison(rounds=[Round(100.0, 200.0)]).clears()
    with pytest.raises(ValueError):
        interval([])


def test_t_quantile_errs_wide_between_table_rows() -> None:
    assert t95(11) == t95(10) > t95(12)
    assert t95(100) == 1.96
    assert t95(0) == float("inf")


def test_a_clear_gain_clears_and_noise_does_not() -> None:
    rng = random.Random(7)
    double = Comparison(
        rounds=[
            Round(100 * rng.uniform(0.95, 1.05), 200 * rng.uniform(0.95, 1.05)) for _ in range(3)
        ]
    )
    assert double.clears()
    assert double.gain.low > 50
    assert double.words().startswith("+")
    # the same config measured twice: drift of +-15 % must not crown a winner
    same = Comparison(rounds=[Round(8449.6, 7331.7), Round(7400.0, 8300.0), Round(8000.0, 8100.0)])
    assert not same.clears()
    assert same.words().startswith("no gain beyond noise")


def test_a_small_sure_gain_is_below_the_margin() -> None:
    small = Comparison(rounds=[Round(100.0, 102.0), Round(100.0, 102.1), Round(100.0, 101.9)])
    assert small.gain.low > 0
    assert not small.clears(5.0)
    assert small.clears(1.0)
    assert "margin" in small.words(5.0)


def test_latency_gain_counts_lower_as_better() -> None:
    faster = Comparison(
        higher_is_better=False, rounds=[Round(10.0, 5.0), Round(10.2, 5.1), Round(9.9, 5.0)]
    )
    assert faster.gain.mean == pytest.approx(98.7, abs=1.0)
    assert faster.clears()


def test_interleave_alternates_the_order_and_pairs_rounds() -> None:
    calls: list[str] = []
    seen: list[int] = []

    def a() -> float:
        calls.append("a")
        return 1.0

    def b() -> float:
        calls.append("b")
        return 2.0

    result = interleave(a, b, 4, on_round=lambda i, r: seen.append(i))
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert seen == [0, 1, 2, 3]
    assert [r.candidate / r.current for r in result.rounds] == [2.0] * 4
    assert result.to_dict()["rounds"] == 4


def test_drift_hits_both_sides_of_a_round() -> None:
    # the machine slows down by 10 % a measurement; the candidate is truly 20 % better
    state = {"t": 0}

    def at(base: float) -> float:
        state["t"] += 1
        return base * 0.9 ** state["t"]

    result = interleave(lambda: at(100.0), lambda: at(120.0), 4)
    # unpaired means would blur it; the paired, order-alternated gains stay around +20 %
    assert 5 < result.gain.mean < 35


def test_cancel_stops_between_measurements() -> None:
    stop = threading.Event()

    def a() -> float:
        stop.set()
        return 1.0

    with pytest.raises(Cancelled):
        interleave(a, lambda: 1.0, 3, cancel=stop)
