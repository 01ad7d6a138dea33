"""The audited defects of the benchmark engine, each against the real embedded server.

Request-rate mode with more than 16 requests in flight, the latency threshold judged on the
stable result, the version whose counts moved, ensembles' composing models, warnings reaching
the CLI, SIGTERM keeping what was measured, the load generator's CPU use.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as httpclient

from tests.bench_repo import ENSEMBLE, SLEEP_MS, SLEEPY, VERSIONED, build_bench_repo
from tests.conftest import ROOT, copy_demo, serving
from tests.tolerances import ANY_STABILITY, SEND_OVER_SCHEDULE
from tui.commands.bench import _printer
from tui.core.bench import report
from tui.core.bench.engine import (
    BenchConfig,
    LevelMeasured,
    WindowMeasured,
    busiest_cpu,
    run_sweep,
)
from tui.core.bench.loadgen import FIELDS, Collected, LoadGenerator
from tui.core.bench.ranges import Range
from tui.core.bench.results import BenchResult, LevelResult
from tui.core.bench.stats import LatencySummary
from tui.core.server.launcher import ServerProcess

FAST = {"window_ms": 500, "stability_pct": ANY_STABILITY, "max_trials": 8}


@pytest.fixture(scope="module")
def bench_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving(build_bench_repo(tmp_path_factory.mktemp("bench") / "models")) as server:
        yield server


def _max_in_flight(records: np.ndarray) -> int:
    events = np.concatenate(
        [
            np.stack([records[:, 0], np.ones(len(records))], 1),
            np.stack([records[:, 1], -np.ones(len(records))], 1),
        ]
    )
    events = events[np.lexsort((events[:, 1], events[:, 0]))]
    return int(np.cumsum(events[:, 1]).max())


def test_request_rate_is_not_capped_at_16_in_flight(bench_server: ServerProcess) -> None:
    """At 1000 req/s on a 20 ms model about 20 requests are in flight: the old 16-connection cap
    made the schedule slip and the achieved rate fall under the target, printed as the target."""
    with LoadGenerator(
        "127.0.0.1", int(bench_server.http_url.rsplit(":", 1)[1]), [_sleepy_request(bench_server)]
    ) as gen:
        gen.run(rate=1000.0)
        time.sleep(2.0)
        got = gen.collect()
    assert got.errors == 0, got.first_error
    assert _max_in_flight(got.records) > 16
    config = BenchConfig(
        model=SLEEPY, url=bench_server.http_url, request_rate=Range(1000, 1000, 1), **FAST
    )
    result = run_sweep(config)
    assert result.status == "ok", result.message
    level = result.levels[0]
    # What holds at any speed: never ahead of the schedule, the warning exactly when sends left
    # late, and the rate printed is the one measured. How near 1000/s it came depends on the
    # machine: that figure is checked against perf_analyzer (test_bench_vs_perf_analyzer.py).
    late = level.delayed > 0.01 * level.latency.count
    assert level.send_rate is not None and level.send_rate > 0
    assert level.send_rate < 1000 * (1 + SEND_OVER_SCHEDULE), level.send_rate
    assert late == any("not able to keep up" in w for w in level.warnings)
    block = report.level_block(config, level)
    assert f"Avg send request rate: {level.send_rate:.2f} infer/sec (measured)" in block


def _sleepy_request(server: ServerProcess) -> bytes:
    from tui.core.bench.inputs import prepare
    from tui.core.server.client import TritonHTTP

    client = TritonHTTP(server.http_url)
    prepared = prepare(
        host=client.url,
        model=SLEEPY,
        version="",
        metadata=client.model_metadata(SLEEPY),
        config=client.model_config(SLEEPY),
        batch_size=1,
        shapes={},
        input_data="zero",
        binary=True,
        string_length=128,
        string_data=None,
    )
    return prepared.requests[0]


def test_latency_threshold_waits_for_a_stable_result(bench_server: ServerProcess) -> None:
    """Over the limit is decided on the merge of 3 windows, not on the first (ramp-up) one;
    under it the level is kept."""
    events: list = []
    over = BenchConfig(
        model=SLEEPY,
        url=bench_server.http_url,
        latency_threshold_ms=SLEEP_MS / 4,
        concurrency=Range(1, 2, 1),
        **FAST,
    )
    result = run_sweep(over, events.append)
    assert result.status == "threshold" and result.levels == []
    assert sum(isinstance(e, WindowMeasured) for e in events) >= 3
    under = BenchConfig(
        model=SLEEPY,
        url=bench_server.http_url,
        latency_threshold_ms=SLEEP_MS * 10,
        concurrency=Range(1, 1, 1),
        **FAST,
    )
    result = run_sweep(under)
    assert result.status == "ok" and len(result.levels) == 1 and result.levels[0].trials >= 3


SKEW_SEEN = 0.06  # server count vs ours at a window's edge, loaded machine


def test_version_whose_counts_moved(bench_server: ServerProcess) -> None:
    """Version 1 gets background traffic, at times more than the benchmark sends to version 2
    (the default, reached by requests naming no version): only version 2's statistics are
    reported (the oldest code summed both; a later one took the busier version, which CI saw be
    version 1)."""
    stop = threading.Event()
    sent_v1 = []

    def background() -> None:
        client = httpclient.InferenceServerClient(bench_server.http_url)
        inputs = [httpclient.InferInput(n, [1, 4], "FP32") for n in ("INPUT0", "INPUT1")]
        for i in inputs:
            i.set_data_from_numpy(np.ones((1, 4), np.float32))
        while not stop.is_set():
            client.infer(VERSIONED, inputs, model_version="1")
            sent_v1.append(time.monotonic())

    # three senders, so that version 1's traffic stays a large share on a crowded machine too
    threads = [threading.Thread(target=background, daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        result = run_sweep(BenchConfig(model=VERSIONED, url=bench_server.http_url, **FAST))
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert result.status == "ok", result.message
    level = result.levels[0]
    assert level.server is not None
    # The server's count and ours differ by the requests answered while a statistics snapshot
    # was being taken at a window's edge (a loaded machine slows those calls: 6 % seen); summing
    # version 1 would add its count over the level, far more.
    ended = level.duration_ns / 1e9
    v1 = sum(1 for t in sent_v1 if t >= max(sent_v1) - ended)  # about the level's share
    skew = abs(level.server.success_count - level.latency.count)
    # The check can tell when half of version 1's count is over the largest skew seen (6 % of
    # ours): summing it would then fail the next line. (Asking for 20 % failed on CI when the
    # background threads got little of a loaded machine: 1000 against our 5135.)
    assert v1 / 2 > SKEW_SEEN * level.latency.count, (v1, level.latency.count)
    assert skew < v1 / 2, (skew, v1, level.latency.count)


def test_ensemble_composing_models(bench_server: ServerProcess) -> None:
    config = BenchConfig(model=ENSEMBLE, url=bench_server.http_url, **FAST)
    result = run_sweep(config)
    assert result.status == "ok", result.message
    level = result.levels[0]
    assert [(p.name, p.version) for p in level.composing] == [
        ("add_sub_a", "1"),
        ("add_sub_b", "1"),
    ]
    srv = level.server
    assert srv is not None and srv.compute_infer_us == sum(
        p.compute_infer_us for p in level.composing
    )
    assert srv.queue_us == sum(p.queue_us for p in level.composing)
    # the CSV writes the ensemble's own statistics, as perf_analyzer's
    own = level.server_own
    assert own is not None and own.success_count == srv.success_count
    row = report.csv_rows(BenchResult(config, levels=[level]))[1]
    assert row[4:8] == [
        str(v)
        for v in (own.queue_us, own.compute_input_us, own.compute_infer_us, own.compute_output_us)
    ]
    # a blank line after the ensemble's block and after each composing model's, as perf_analyzer
    block = report.level_block(config, level)
    assert (
        "usec)\n\n  Composing models: \n  add_sub_a, version: 1\n      Inference count: " in block
    )
    assert "usec)\n\n  add_sub_b, version: 1\n" in block and block.endswith("usec)\n")
    record = report.json_record(result)
    assert [c["name"] for c in record["levels"][0]["composing"]] == ["add_sub_a", "add_sub_b"]


def test_cache_figures_follow_perf_analyzers_arithmetic() -> None:
    """perf_analyzer's cache arithmetic on figures large enough to tell formulas apart (on the
    real cache, tests/test_response_cache.py, every figure is 0-2 usec): "cache hit/miss" is hit,
    miss and compute time over hits + executions, the overhead subtracts it, the miss latency
    adds the compute times."""
    from tui.core.bench.results import ServerBreakdown

    delta = {
        "inference_count": 4,
        "execution_count": 4,
        "success": {"count": 10, "ns": 1_000_000},
        "queue": {"count": 10, "ns": 100_000},
        "compute_input": {"count": 4, "ns": 40_000},
        "compute_infer": {"count": 4, "ns": 400_000},
        "compute_output": {"count": 4, "ns": 40_000},
        "cache_hit": {"count": 6, "ns": 60_000},
        "cache_miss": {"count": 4, "ns": 80_000},
    }
    srv = ServerBreakdown.from_delta(delta)
    assert srv is not None and (srv.cache_hit_us, srv.cache_miss_us) == (10, 20)
    assert (srv.cache_compute_us, srv.overhead_us) == (62, 100 - 10 - 62)
    lat = LatencySummary(10, 200_000, 5, {50: 190_000, 90: 210_000, 95: 220_000, 99: 230_000})
    config = BenchConfig(model="m")
    level = LevelResult(1, 100.0, lat, srv, {}, 3, 10**9, response_cache=True)
    rows = report.csv_rows(BenchResult(config, levels=[level]))
    assert rows[0][8:11] == ["Server Cache Hit", "Server Cache Miss", "Client Recv"]
    assert rows[1][3] == str(200 - 10 - 120 - 10 - 20)  # Network+Server: what is left
    assert rows[1][8:10] == ["10", "20"]
    block = report.level_block(config, level)
    assert "(overhead 28 usec + queue 10 usec + cache hit/miss 62 usec)" in block
    assert "      Average Cache Miss Latency: 140 usec (cache lookup/insertion 20 usec" in block


def test_warnings_reach_the_cli(capsys: pytest.CaptureFixture) -> None:
    config = BenchConfig(model="m")
    lat = LatencySummary(10, 200_000, 5, {50: 190_000, 90: 210_000, 95: 220_000, 99: 230_000})
    level = LevelResult(
        1,
        100.0,
        lat,
        None,
        {},
        3,
        10**9,
        client_cpu=0.97,
        warnings=["Warning: Request latency is not stabilizing."],
    )
    _printer(config, False)(LevelMeasured(0, level))
    err = capsys.readouterr().err
    assert "Warning: Request latency is not stabilizing." in err
    assert level.client_bound


def test_busiest_cpu() -> None:
    empty = np.empty((0, FIELDS), np.int64)
    before = Collected(empty, 0, 0, "", [0, 0], [0, 0])
    after = Collected(empty, 0, 0, "", [500_000_000, 950_000_000], [10**9, 10**9])
    assert busiest_cpu(before, after) == pytest.approx(0.95)
    assert busiest_cpu(None, after) == 0.0


def test_load_generator_cpu_is_measured(demo_server: ServerProcess) -> None:
    config = BenchConfig(
        model="add_sub", url=demo_server.http_url, concurrency=Range(2, 2, 1), processes=1, **FAST
    )
    result = run_sweep(config)
    assert result.status == "ok", result.message
    level = result.levels[0]
    assert 0.0 < level.client_cpu <= 1.5 and level.processes == 1
    assert 0 < level.responses_checked <= level.responses_seen
    record = report.json_record(result)["levels"][0]
    assert record["client_bound"] == level.client_bound and "client_cpu" in record


def test_sigterm_keeps_the_measured_levels(tmp_path: Path) -> None:
    """A real `triton-tui bench` process: SIGTERM after the first level ends the sweep like
    Ctrl+C; the CSV holds the measured levels and the exit status is 128 + 15."""
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    out = tmp_path / "r.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui",
            "bench",
            "--model-repository",
            str(repo),
            "-m",
            "add_sub",
            "--concurrency-range",
            "1:50",
            "-p",
            "300",
            "-s",
            "100",
            "-r",
            "8",
            "-f",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if line.startswith("Request concurrency: 2"):
                break
        proc.send_signal(signal.SIGTERM)
        rest = proc.stdout.read()
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 128 + signal.SIGTERM, rest
    rows = out.read_text().splitlines()
    assert rows[0].startswith("Concurrency,Inferences/Second") and len(rows) >= 2


def test_automatic_processes_added_while_client_bound(demo_server: ServerProcess) -> None:
    """With `processes=0` a window whose load generator ran at >= 90 % of a core gets one more
    process (up to the cores), only when the load can be split further."""
    from tui.core.bench.engine import _Sweep, usable_cores
    from tui.core.bench.stats import Window

    host, port = demo_server.http_url.rsplit(":", 1)
    sweep = _Sweep(BenchConfig(model="add_sub", processes=0), None, threading.Event())
    lat = np.array([1000], np.int64)
    busy = Window(10**9, 1, lat, lat, lat, client_cpu=0.95)
    idle = Window(10**9, 1, lat, lat, lat, client_cpu=0.30)
    with LoadGenerator(host, int(port), [b""]) as gen:
        assert not sweep._add_process(gen, idle, 4)
        assert not sweep._add_process(gen, busy, 1)  # one request cannot be split
        assert sweep._add_process(gen, busy, 4) == (usable_cores() > 1)
        assert gen.processes == min(2, usable_cores())
    sweep.config.processes = 1  # a fixed count is kept
    with LoadGenerator(host, int(port), [b""]) as gen:
        assert not sweep._add_process(gen, busy, 4) and gen.processes == 1
