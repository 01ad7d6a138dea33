"""perf_analyzer's documented behaviour: percentile index, stability rule, range parsing, CSV."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from tui.core.bench import report
from tui.core.bench.engine import BenchConfig, BenchResult, LevelResult, ServerBreakdown
from tui.core.bench.ranges import Range, RangeError, parse_range
from tui.core.bench.stats import (
    NO_STD,
    LatencySummary,
    Window,
    is_stable,
    merge_windows,
    over_threshold,
    percentile_index,
    summarize,
    throughput_stable,
)

PA_CSV_HEADER = (
    "Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,"
    "Server Compute Input,Server Compute Infer,Server Compute Output,Client Recv,"
    "p50 latency,p90 latency,p95 latency,p99 latency"
)


# Percentile index: idx = int((p / 100) * (n - 1) + 0.5) ------------------------------------
@pytest.mark.parametrize(
    ("p", "n", "index"),
    [
        (50, 1, 0),
        (50, 2, 1),
        (50, 4, 2),
        (50, 5, 2),
        (90, 10, 8),
        (95, 10, 9),
        (99, 100, 98),
        (99, 1000, 989),
        (90, 11, 9),
        (50, 100, 50),
    ],
)
def test_percentile_index_rounds_half_up(p: int, n: int, index: int) -> None:
    assert percentile_index(p, n) == index


def test_summary_uses_sample_std_and_pa_percentiles() -> None:
    lat = np.array([4000, 1000, 3000, 2000], dtype=np.int64)  # ns, unsorted on purpose
    s = summarize(lat, percentile_value=75)
    assert s.avg_ns == 2500
    assert s.std_us == 1  # sample std of 1,2,3,4 µs is 1.29 µs, truncated
    assert s.percentiles_ns == {50: 3000, 75: 3000, 90: 4000, 95: 4000, 99: 4000}
    assert s.stabilizing_ns(75) == 3000 and s.stabilizing_ns(None) == 2500
    assert summarize(np.array([5000]), None).std_us == NO_STD
    with pytest.raises(ValueError, match="No valid requests"):
        summarize(np.array([], dtype=np.int64))


# Stability: last 3 windows, max/min <= 1 + s on throughput and latency ---------------------
def test_stability_needs_three_windows_within_ratio() -> None:
    assert not is_stable([(100, 1000), (100, 1000)], 0.1)
    assert is_stable([(100, 1000), (105, 1050), (110, 1100)], 0.1)  # 110/100 = 1.1 exactly
    assert not is_stable([(100, 1000), (105, 1000), (111, 1000)], 0.1)  # throughput spread
    assert not is_stable([(100, 1000), (100, 1000), (100, 1101)], 0.1)  # latency spread
    # only the last three count
    assert is_stable([(10, 99999), (100, 1000), (100, 1000), (100, 1000)], 0.1)
    # a failed window (no throughput) is never stable
    assert not is_stable([(0, 1000), (100, 1000), (100, 1000)], 0.5)
    # a wider -s accepts more spread
    assert is_stable([(100, 1000), (140, 1000), (100, 1400)], 0.5)


def test_throughput_only_fallback_for_request_rate() -> None:
    trials = [(100, 1000), (101, 3000), (102, 1000)]
    assert not is_stable(trials, 0.1) and throughput_stable(trials, 0.1)
    assert not throughput_stable([(100, 1), (100, 1), (120, 1)], 0.1)
    assert not throughput_stable([(100, 1), (100, 1)], 0.1)


def test_latency_threshold_on_any_of_last_three() -> None:
    assert not over_threshold([(1, 5_000_000)], 0)  # 0 means no limit
    assert over_threshold([(1, 1_000_000), (1, 5_000_000), (1, 1_000_000)], 5)
    assert not over_threshold([(1, 9_000_000), (1, 1), (1, 1), (1, 1)], 5)


def test_merge_of_last_three_windows() -> None:
    def window(n: int, dur_s: float, lat_us: int) -> Window:
        lat = np.full(n, lat_us * 1000, np.int64)
        return Window(
            int(dur_s * 1e9),
            2,
            lat,
            lat // 10,
            lat // 20,
            server={"success": {"count": n, "ns": n * 1000}, "inference_count": n},
        )

    merged = merge_windows(
        [window(999, 1, 9), window(10, 1, 1), window(20, 1, 2), window(30, 2, 3)]
    )
    assert merged.count == 60 and merged.duration_ns == 4_000_000_000
    assert merged.throughput == pytest.approx(60 * 2 / 4)  # batch size counts
    assert merged.server == {"success": {"count": 60, "ns": 60_000}, "inference_count": 60}
    assert merged.summary().avg_ns == (10 * 1000 + 20 * 2000 + 30 * 3000) // 60


# Range parsing ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("1:4", [1, 2, 3, 4]),
        ("1:8:2", [1, 3, 5, 7]),
        ("4", [4]),
        ("2:2", [2]),
        ("1", [1]),
        ("3:1", [3]),
        ("1:3:5", [1]),
    ],
)
def test_concurrency_range_like_perf_analyzer(text: str, levels: list[int]) -> None:
    assert list(parse_range(text).levels()) == levels


def test_rate_range_and_unbounded() -> None:
    assert list(parse_range("100:300:100", integral=False).levels()) == [100.0, 200.0, 300.0]
    rng = parse_range("2:0")
    assert rng.unbounded and rng.count() is None
    assert list(parse_range("1:0:2").levels(limit=3)) == [1, 3, 5]
    assert parse_range("1:4").count() == 4
    assert str(parse_range("2")) == "2:1:1"


@pytest.mark.parametrize("text", ["", "a", "1:2:3:4", "1:x", "-1:4", "1:4:0", "0:4", "1.5:4"])
def test_bad_ranges(text: str) -> None:
    with pytest.raises(RangeError):
        parse_range(text)


# CSV and console layout -------------------------------------------------------------------
def _level(
    value: int,
    ips: float,
    avg: int,
    send: int,
    recv: int,
    pct: tuple[int, ...],
    srv: tuple[int, int, int, int],
) -> LevelResult:
    q, ci, cf, co = srv
    lat = LatencySummary(
        100,
        avg * 1000,
        5,
        {p: v * 1000 for p, v in zip((50, 90, 95, 99), pct, strict=True)},
        send * 1000,
        recv * 1000,
    )
    server = ServerBreakdown(100, 100, 100, q + ci + cf + co + 7, q, ci, cf, co)
    return LevelResult(value, ips, lat, server, {}, 3, 3_000_000_000)


def test_csv_matches_perf_analyzer_doc_example() -> None:
    # PA docs/measurements_metrics.md:
    #   1,69.2,225,2148,64,206,11781,19,0,13891,18795,19753,21018
    #   3,84.2,237,1768,21673,209,11742,17,0,35398,43984,47085,51701
    result = BenchResult(BenchConfig(model="m", concurrency=Range(1, 3, 2)), status="ok")
    result.levels = [  # given in sweep order; the CSV sorts by throughput
        _level(
            3,
            84.2,
            1768 + 237 + 21673 + 209 + 11742 + 17,
            237,
            0,
            (35398, 43984, 47085, 51701),
            (21673, 209, 11742, 17),
        ),
        _level(
            1,
            69.2,
            2148 + 225 + 64 + 206 + 11781 + 19,
            225,
            0,
            (13891, 18795, 19753, 21018),
            (64, 206, 11781, 19),
        ),
    ]
    text = report.csv_text(result)
    assert text.splitlines() == [
        PA_CSV_HEADER,
        "1,69.2,225,2148,64,206,11781,19,0,13891,18795,19753,21018",
        "3,84.2,237,1768,21673,209,11742,17,0,35398,43984,47085,51701",
    ]
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["Concurrency"] for r in rows] == ["1", "3"]


def test_csv_extra_percentile_column_and_rate_mode() -> None:
    cfg = BenchConfig(
        model="m", concurrency=None, request_rate=Range(100, 100, 1, False), percentile=75
    )
    level = _level(100, 99.5, 500, 10, 2, (400, 600, 700, 900), (1, 2, 3, 4))
    level.latency.percentiles_ns[75] = 450_000
    result = BenchResult(cfg, [level], status="ok")
    header = report.csv_text(result).splitlines()[0].split(",")
    assert header[0] == "Request Rate"
    assert header[-5:] == [
        "p50 latency",
        "p75 latency",
        "p90 latency",
        "p95 latency",
        "p99 latency",
    ]
    assert report.summary_lines(result).splitlines() == [
        "Inferences/Second vs. Client p75 Batch Latency",
        "Request Rate: 100, throughput: 99.5 infer/sec, latency 450 usec",
    ]


def test_console_layout() -> None:
    cfg = BenchConfig(model="m", concurrency=Range(1, 4, 1), window_ms=5000)
    level = _level(1, 1407.8412, 708, 50, 52, (690, 881, 926, 1031), (41, 26, 257, 16))
    result = BenchResult(cfg, [level], status="ok")
    settings = report.settings_block(cfg).splitlines()
    assert settings == [
        "*** Measurement Settings ***",
        "  Batch size: 1",
        "  Service Kind: TRITON",
        '  Using "time_windows" mode for stabilization',
        "  Stabilizing using average latency and throughput",
        "  Measurement window: 5000 msec",
        "  Latency limit: 0 msec",
        "  Concurrency limit: 4 concurrent requests",
        "  Using synchronous calls for inference",
        "  Protocol: HTTP; load generator processes: 1",
    ]
    block = report.level_block(cfg, level).splitlines()
    assert block[:3] == [
        "  Client: ",
        "    Request count: 100",
        "    Throughput: 1407.84 infer/sec",
    ]
    assert "    Avg latency: 708 usec (standard deviation 5 usec)" in block
    assert "    p99 latency: 1031 usec" in block
    # measured parts of the latency (perf_analyzer's "Avg HTTP time" was the latency renamed)
    assert (
        "    Avg send/recv: 102 usec (send 50 usec + receive 52 usec); response wait 606 usec"
    ) in block
    assert not any("HTTP time" in line for line in block)
    assert block[block.index("  Server: ") + 4] == (
        "    Avg request latency: 347 usec (overhead 7 usec + queue 41 usec + compute input 26 usec"
        " + compute infer 257 usec + compute output 16 usec)"
    )
    assert report.summary_lines(result).splitlines()[1] == (
        "Concurrency: 1, throughput: 1407.84 infer/sec, latency 708 usec"
    )
    assert [report.fmt_num(x) for x in (482.8, 272.0, 265.1473, 1234567.0)] == [
        "482.8",
        "272",
        "265.147",
        "1.23457e+06",
    ]
    single = BenchConfig(model="m", percentile=95)
    lines = report.settings_block(single).splitlines()
    assert "  Stabilizing using p95latency and throughput" in lines
    assert not any("Latency limit" in line for line in lines)  # concurrency end == 1


def test_std_of_slow_requests_does_not_overflow() -> None:
    """Seconds-long latencies squared in nanoseconds exceed int64: the deviation stays right."""
    lat = np.array([500_000_000] * 10 + [2_500_000_000] * 10, dtype=np.int64)
    summary = summarize(lat)
    assert summary.std_us == pytest.approx(1_026_000, rel=0.001)
