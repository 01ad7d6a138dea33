"""The tuner's only door into the benchmark engine (tui/core/bench), so an engine change touches
this module alone.

One concurrency level is one `run_sweep` over a single-level range, with the engine's stability
rule (an unstable level is measured once more); the result is reduced to what a tune ranks on.
The CPU the client side used (this process and the load generator processes it reaps) is
measured around each level, so a report can say when the load generator, not the server, may be
what limits throughput.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import psutil

from tui.core.bench.engine import BenchConfig, gpu_sample, run_sweep
from tui.core.bench.ranges import Range
from tui.core.util.sanitize import clean

# A tune's measurement defaults, for the tune command's flags and the Tune pane's form alike
# (the axes' defaults are the search space's: tui/core/tune/space.py).
WINDOW_MS = 1000  # shorter windows than a benchmark's: many configs, each measured a while
STABILITY_PCT = 20.0  # perf_analyzer's 10 rarely holds on a shared machine
MAX_TRIALS = 10


@dataclass
class MeasureSettings:
    window_ms: int = WINDOW_MS
    stability_pct: float = STABILITY_PCT  # perf_analyzer's 10 rarely holds on a shared machine
    max_trials: int = MAX_TRIALS
    processes: int = 1  # load generator processes
    retries: int = 1  # an unstable level is measured again this many times


@dataclass
class Level:
    """One measured concurrency level of one candidate."""

    concurrency: int
    throughput: float = 0.0
    p99_ms: float = 0.0
    avg_ms: float = 0.0
    queue_us: int = 0
    compute_us: int = 0
    gpu_util: float | None = None  # 0..1, averaged over GPUs
    gpu_mem_mb: float | None = None  # used, summed over GPUs
    client_cores: float = 0.0  # CPU the client side used, in cores
    host_busy: float = 0.0  # the whole machine's CPU use, 0..1
    error: str = ""  # why there is no figure (unstable, requests failed, ...)
    unstable: bool = False  # no figure only because the windows never agreed

    @property
    def ok(self) -> bool:
        return not self.error


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _gpu_fields(gpu: dict[str, dict[str, float]]) -> tuple[float | None, float | None]:
    if not gpu:
        return None, None
    utils = [g["utilization"] for g in gpu.values() if "utilization" in g]
    mems = [g["memory_used_bytes"] for g in gpu.values() if "memory_used_bytes" in g]
    return (
        sum(utils) / len(utils) if utils else None,
        sum(mems) / 1e6 if mems else None,
    )


def has_gpu(metrics_url: str | None) -> bool:
    """Whether the server exports GPU metrics (it has at least one GPU it can use)."""
    return bool(gpu_sample(metrics_url))


def measure_level(
    url: str,
    metrics_url: str | None,
    model: str,
    concurrency: int,
    settings: MeasureSettings,
    cancel: threading.Event,
) -> Level:
    """Measure one concurrency level; never raises for server or load trouble (see `error`)."""
    config = BenchConfig(
        model=model,
        url=url,
        metrics_url=metrics_url,
        concurrency=Range(concurrency, concurrency, 1),
        window_ms=settings.window_ms,
        stability_pct=settings.stability_pct,
        max_trials=settings.max_trials,
        processes=settings.processes,
    )
    cpu0, host0, wall0 = _cpu_seconds(), psutil.cpu_times(), time.monotonic()
    result = run_sweep(config, None, cancel)
    for _ in range(settings.retries):
        if result.status != "unstable" or cancel.is_set():
            break
        result = run_sweep(config, None, cancel)  # a noisy moment: measure once more
    wall = max(1e-6, time.monotonic() - wall0)
    host1 = psutil.cpu_times()
    idle = (host1.idle - host0.idle) + (
        getattr(host1, "iowait", 0.0) - getattr(host0, "iowait", 0.0)
    )
    total = sum(host1) - sum(host0)
    level = Level(
        concurrency=concurrency,
        client_cores=(_cpu_seconds() - cpu0) / wall,
        host_busy=max(0.0, 1 - idle / total) if total > 0 else 0.0,
    )
    if not result.levels:
        level.error = clean(result.message or result.status)
        level.unstable = result.status == "unstable"
        return level
    measured: Any = result.levels[0]
    level.throughput = measured.throughput
    level.p99_ms = measured.latency.percentiles_ns[99] / 1e6
    level.avg_ms = measured.latency.avg_ns / 1e6
    if measured.server is not None:
        level.queue_us = measured.server.queue_us
        level.compute_us = (
            measured.server.compute_input_us
            + measured.server.compute_infer_us
            + measured.server.compute_output_us
        )
    level.gpu_util, level.gpu_mem_mb = _gpu_fields(measured.gpu)
    if result.status not in ("ok", "threshold"):
        level.error = clean(result.message or result.status)
    return level
