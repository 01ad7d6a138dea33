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
from dataclasses import dataclass, field
from typing import Any

import psutil

from tui.core.bench.engine import BenchConfig, gpu_sample, run_sweep
from tui.core.bench.ranges import Range
from tui.core.tune.compare import Interval, interval
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
    warmup_ms: int = 300  # load thrown away before each level (a config just loaded warms up)
    request_rate: bool = False  # a level's value is a request rate (per s), not a concurrency


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
    # the windows the figure merges, one by one (their spread is the figure's interval)
    throughput_windows: list[float] = field(default_factory=list)
    p99_windows_ms: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def throughput_interval(self) -> Interval:
        """Mean of the windows with its 95 % interval (the merged figure alone when unknown),
        its low end at 0 at least: neither figure can be negative."""
        return _at_least_zero(interval(self.throughput_windows or [self.throughput]))

    @property
    def p99_interval(self) -> Interval:
        return _at_least_zero(interval(self.p99_windows_ms or [self.p99_ms]))


def _at_least_zero(iv: Interval) -> Interval:
    return iv if iv.low >= 0 else Interval(iv.mean, 0.0, iv.high, iv.n)


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
    """Measure one load level, `concurrency` clients or, with `settings.request_rate`, that many
    requests per second; never raises for server or load trouble (see `error`)."""
    config = BenchConfig(
        model=model,
        url=url,
        metrics_url=metrics_url,
        concurrency=None if settings.request_rate else Range(concurrency, concurrency, 1),
        request_rate=Range(concurrency, concurrency, 1, False) if settings.request_rate else None,
        window_ms=settings.window_ms,
        stability_pct=settings.stability_pct,
        max_trials=settings.max_trials,
        processes=settings.processes,
        warmup_ms=settings.warmup_ms,
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
    level.throughput_windows = [round(t, 3) for t, _ in measured.window_figures]
    level.p99_windows_ms = [p / 1e6 for _, p in measured.window_figures]
    if result.status not in ("ok", "threshold"):
        level.error = clean(result.message or result.status)
    return level


def measure_together(
    url: str,
    metrics_url: str | None,
    models: list[str],
    weights: list[float],
    concurrency: int,
    settings: MeasureSettings,
    cancel: threading.Event,
) -> Level:
    """Several models measured at the same time, each by its own load generator at the same
    level; the figure is the weighted sum of their throughputs and the worst of their p99s. A
    model whose level settles first keeps its load running (figures not kept) until every other
    one has settled, so each model's windows all ran beside the others' load."""
    stop = threading.Event()  # every model settled, or cancelled
    levels: dict[int, Level] = {}
    lock = threading.Lock()

    def measure(index: int, model: str) -> None:
        level = measure_level(url, metrics_url, model, concurrency, settings, cancel)
        with lock:
            levels[index] = level
            if len(levels) == len(models):
                stop.set()
        if not stop.is_set():
            _keep_busy(url, model, concurrency, settings, stop)

    threads = [
        threading.Thread(target=measure, args=(i, m), name=f"tune-together-{i}", daemon=True)
        for i, m in enumerate(models)
    ]
    for thread in threads:
        thread.start()
    while not stop.wait(0.1):
        if cancel.is_set():
            stop.set()
    for thread in threads:
        thread.join()
    return combine(models, weights, [levels[i] for i in range(len(models))], concurrency)


def _keep_busy(
    url: str, model: str, concurrency: int, settings: MeasureSettings, stop: threading.Event
) -> None:
    """The same load on `model` until `stop` (a sweep that never settles, then cancelled)."""
    busy = BenchConfig(
        model=model,
        url=url,
        concurrency=None if settings.request_rate else Range(concurrency, concurrency, 1),
        request_rate=Range(concurrency, concurrency, 1, False) if settings.request_rate else None,
        window_ms=settings.window_ms,
        stability_pct=1e-9,
        max_trials=1_000_000,
        processes=settings.processes,
    )
    run_sweep(busy, None, stop)


def combine(models: list[str], weights: list[float], levels: list[Level], value: int) -> Level:
    """One level from the models' levels measured together (weighted throughput, worst p99)."""
    failed = [(m, lv) for m, lv in zip(models, levels, strict=True) if not lv.ok]
    out = Level(
        concurrency=value,
        client_cores=sum(lv.client_cores for lv in levels),
        host_busy=max(lv.host_busy for lv in levels),
    )
    if failed:
        model, level = failed[0]
        out.error, out.unstable = f"{model}: {level.error}", level.unstable
        return out
    out.throughput = sum(w * lv.throughput for w, lv in zip(weights, levels, strict=True))
    out.p99_ms = max(lv.p99_ms for lv in levels)
    out.avg_ms = max(lv.avg_ms for lv in levels)
    out.queue_us = max(lv.queue_us for lv in levels)
    out.compute_us = max(lv.compute_us for lv in levels)
    out.gpu_util, out.gpu_mem_mb = levels[0].gpu_util, levels[0].gpu_mem_mb  # the same GPUs
    n = min(len(lv.throughput_windows) for lv in levels)
    if n and all(len(lv.p99_windows_ms) >= n for lv in levels):
        out.throughput_windows = [
            sum(w * lv.throughput_windows[-n + i] for w, lv in zip(weights, levels, strict=True))
            for i in range(n)
        ]
        out.p99_windows_ms = [max(lv.p99_windows_ms[-n + i] for lv in levels) for i in range(n)]
    return out
