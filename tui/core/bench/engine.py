"""The sweep: load levels, measurement windows, stability, server breakdown, GPU metrics.

`run_sweep(config, on_event, cancel)` blocks (run it on a worker thread); load is sent by
`LoadGenerator` processes. Semantics follow perf_analyzer (see shared/reference/triton-tools.md §1):
contiguous windows of 1.2 × the measurement interval, requests counted by their end time, stability
on the last 3 windows, the stable result is their merge, a level over the latency threshold or
unstable ends the sweep. A server that dies mid-run ends it with an error; measured levels stay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import numpy as np

from tui.core.bench.inputs import InputError, PreparedRequest, check_response, prepare
from tui.core.bench.loadgen import LoadError, LoadGenerator
from tui.core.bench.results import (
    BenchConfig,
    BenchResult,
    Event,
    LevelMeasured,
    LevelResult,
    LevelStarted,
    ServerBreakdown,
    SweepFinished,
    WindowMeasured,
)
from tui.core.bench.stats import (
    Window,
    is_stable,
    merge_windows,
    over_threshold,
    throughput_stable,
)
from tui.core.client import TritonError, TritonHTTP, fetch_metrics

__all__ = [
    "BenchConfig",
    "BenchFailed",
    "BenchResult",
    "Event",
    "LevelMeasured",
    "LevelResult",
    "LevelStarted",
    "ServerBreakdown",
    "SweepFinished",
    "WindowMeasured",
    "gpu_sample",
    "run_sweep",
]

STAT_KEYS = (
    "success",
    "fail",
    "queue",
    "compute_input",
    "compute_infer",
    "compute_output",
    "cache_hit",
    "cache_miss",
)
COUNT_WINDOW_LIMIT_S = 120.0


class BenchFailed(Exception):
    """A level could not be measured; the message says why."""


def stats_snapshot(client: TritonHTTP, model: str, version: str) -> dict[str, Any]:
    """Cumulative statistics of the model (all versions summed when none is named)."""
    total: dict[str, Any] = {"inference_count": 0, "execution_count": 0}
    for entry in client.model_stats(model):
        if version and str(entry.get("version")) != version:
            continue
        total["inference_count"] += int(entry.get("inference_count", 0))
        total["execution_count"] += int(entry.get("execution_count", 0))
        for key in STAT_KEYS:
            d = (entry.get("inference_stats") or {}).get(key) or {}
            slot = total.setdefault(key, {"count": 0, "ns": 0})
            slot["count"] += int(d.get("count", 0))
            slot["ns"] += int(d.get("ns", 0))
    return total


def stats_delta(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in new.items():
        prev = old.get(key)
        if isinstance(value, dict):
            prev = prev or {"count": 0, "ns": 0}
            out[key] = {"count": value["count"] - prev["count"], "ns": value["ns"] - prev["ns"]}
        else:
            out[key] = value - (prev or 0)
    return out


def gpu_sample(metrics_url: str | None) -> dict[str, dict[str, float]]:
    """GPU utilization (0-1), power (W) and memory (bytes) per GPU uuid; {} without GPU metrics."""
    if not metrics_url:
        return {}
    from tui.core.gpu.metrics import parse_metrics

    try:
        gpus = parse_metrics(fetch_metrics(metrics_url, timeout=1.0)).gpus
    except (TritonError, ValueError):
        return {}
    names = {
        "utilization": "utilization",
        "power_w": "power_w",
        "memory_used": "memory_used_bytes",
        "memory_total": "memory_total_bytes",
    }
    return {
        uuid: {names[k]: v for k, v in fields.items() if k in names}
        for uuid, fields in gpus.items()
    }


class _Sweep:
    def __init__(
        self, config: BenchConfig, on_event: Callable[[Event], None] | None, cancel: threading.Event
    ) -> None:
        self.config = config
        self.emit = on_event or (lambda event: None)
        self.cancel = cancel
        self.client = TritonHTTP(config.url, timeout=10.0)
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.prepared: PreparedRequest | None = None

    def on_sample(self, index: int, body: bytes, header_length: int | None) -> None:
        assert self.prepared is not None
        problem = check_response(self.prepared, index, body, header_length)
        if problem and len(self.problems) < 10:
            self.problems.append(problem)

    def prepare(self) -> PreparedRequest:
        cfg = self.config
        try:
            metadata = self.client.model_metadata(cfg.model)
            model_config = self.client.model_config(cfg.model)
        except TritonError as exc:
            raise BenchFailed(f"model {cfg.model!r}: {exc}") from exc
        if not self.client.model_ready(cfg.model):
            raise BenchFailed(f"model {cfg.model!r} is not ready on {self.client.url}")
        self.prepared = prepare(
            host=self.client.url,
            model=cfg.model,
            version=cfg.version,
            metadata=metadata,
            config=model_config,
            batch_size=cfg.batch_size,
            shapes=cfg.shapes,
            input_data=cfg.input_data,
            binary=cfg.binary,
            string_length=cfg.string_length,
            string_data=cfg.string_data,
        )
        return self.prepared

    def _wait(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise _Cancelled

    def measure_level(self, gen: LoadGenerator, index: int, value: float) -> LevelResult:
        cfg = self.config
        if cfg.mode == "concurrency":
            gen.run(concurrency=int(value))
        else:
            gen.run(
                rate=float(value),
                poisson=cfg.distribution == "poisson",
                max_connections=cfg.max_connections,
            )
        windows: list[Window] = []
        trials: list[tuple[float, int]] = []
        delayed = 0
        carry = np.empty((0, 4), np.int64)
        stats_start = stats_snapshot(self.client, cfg.model, cfg.version)
        t_start = time.monotonic_ns()
        for trial in range(1, cfg.max_trials + 1):
            pool = [carry]
            if cfg.measurement_mode == "count_windows":
                limit = time.monotonic() + COUNT_WINDOW_LIMIT_S
                while sum(len(p) for p in pool) < cfg.request_count:
                    if time.monotonic() > limit:
                        raise BenchFailed(
                            f"fewer than {cfg.request_count} requests in {COUNT_WINDOW_LIMIT_S:g} s"
                        )
                    self._wait(0.25)
                    got = gen.collect()
                    pool.append(got.records)
                    self._check(got.errors, got.first_error)
                    delayed += got.delayed
            else:
                self._wait(cfg.window_ms * 1.2 / 1000)
            t_end = time.monotonic_ns()
            got = gen.collect()
            self._check(got.errors, got.first_error)
            delayed += got.delayed
            stats_end = stats_snapshot(self.client, cfg.model, cfg.version)
            gpu = gpu_sample(cfg.metrics_url)
            records = np.concatenate([*pool, got.records])
            ends = records[:, 1]
            inside = records[(ends >= t_start) & (ends <= t_end)]
            carry = records[ends > t_end]
            window = Window(
                duration_ns=t_end - t_start,
                batch_size=cfg.batch_size,
                latencies_ns=inside[:, 1] - inside[:, 0],
                send_ns=inside[:, 2],
                recv_ns=inside[:, 3],
                server=stats_delta(stats_end, stats_start),
                gpu=gpu,
                percentile_value=cfg.percentile,
            )
            windows.append(window)
            lat = window.stabilizing_ns()
            trials.append((window.throughput, lat))
            self.emit(
                WindowMeasured(
                    index,
                    value,
                    trial,
                    window.throughput,
                    lat // 1000 if window.count else 0,
                    window.count,
                )
            )
            t_start, stats_start = t_end, stats_end
            if is_stable(trials, cfg.stability_pct / 100) or over_threshold(
                trials, cfg.latency_threshold_ms
            ):
                break
        merged = merge_windows(windows)
        if merged.count == 0:
            raise BenchFailed(
                "No valid requests recorded within time interval. Please use a larger time window."
            )
        result = LevelResult(
            value=value,
            throughput=merged.throughput,
            latency=merged.summary(),
            server=ServerBreakdown.from_delta(merged.server),
            gpu=merged.gpu,
            trials=len(windows),
            duration_ns=merged.duration_ns,
            delayed=delayed,
        )
        if over_threshold(trials, cfg.latency_threshold_ms) and (
            result.stabilizing_us(cfg.percentile) >= cfg.latency_threshold_ms * 1000
        ):
            raise _OverThreshold(result)
        if not is_stable(trials, cfg.stability_pct / 100):
            if cfg.mode == "request_rate" and throughput_stable(trials, cfg.stability_pct / 100):
                self.warnings.append(
                    "Warning: Request latency is not stabilizing. Please try lowering the "
                    "request rate."
                )
            else:
                raise _Unstable(result)
        if cfg.mode == "request_rate" and delayed > 0.01 * max(1, result.latency.count):
            pct = 100 * delayed / max(1, result.latency.count)
            self.warnings.append(
                "[WARNING] Perf Analyzer was not able to keep up with the desired request rate. "
                f"{pct:.2f}% of the requests were delayed."
            )
        return result

    def _check(self, errors: int, first_error: str) -> None:
        if errors:
            raise BenchFailed(f"{errors} request(s) failed: {first_error}")
        if self.problems:
            raise BenchFailed(f"incorrect response: {self.problems[0]}")

    def run(self) -> BenchResult:
        cfg = self.config
        result = BenchResult(
            cfg, started_at=datetime.now(timezone.utc).isoformat(timespec="seconds")
        )
        gen: LoadGenerator | None = None
        try:
            try:
                result.server_version = str(self.client.server_metadata().get("version", ""))
            except TritonError as exc:
                raise BenchFailed(str(exc)) from exc
            prepared = self.prepare()
            gen = LoadGenerator(
                self.client.host,
                self.client.port,
                prepared.requests,
                processes=cfg.processes,
                on_sample=self.on_sample,
            )
            rng = cfg.load_range
            total = rng.count()
            unit = "concurrency" if cfg.mode == "concurrency" else "request rate"
            for index, value in enumerate(rng.levels()):
                if self.cancel.is_set():
                    raise _Cancelled
                self.emit(LevelStarted(index, total, value))
                try:
                    level = self.measure_level(gen, index, value)
                except _OverThreshold:
                    result.status = "threshold"
                    result.message = (
                        f"Measured latency went over the set limit of "
                        f"{cfg.latency_threshold_ms:g} msec."
                    )
                    break
                except _Unstable:
                    result.status = "unstable"
                    result.message = (
                        f"Failed to obtain stable measurement within {cfg.max_trials} measurement"
                        f" windows for {unit} {value:g}. Please try to increase the "
                        + (
                            "--measurement-request-count."
                            if cfg.measurement_mode == "count_windows"
                            else "--measurement-interval."
                        )
                    )
                    break
                result.levels.append(level)
                self.emit(LevelMeasured(index, level))
            else:
                result.status = "ok"
        except _Cancelled:
            result.status, result.message = "cancelled", "cancelled"
        except InputError as exc:
            result.status, result.message = "invalid", str(exc)
        except (BenchFailed, LoadError) as exc:
            result.status, result.message = "error", str(exc)
        except TritonError as exc:
            result.status, result.message = "error", f"the server stopped answering: {exc}"
        finally:
            if gen is not None:
                gen.close()
        result.warnings = self.warnings
        self.emit(SweepFinished(result))
        return result


class _Cancelled(Exception):
    pass


class _OverThreshold(Exception):
    def __init__(self, level: LevelResult) -> None:
        self.level = level


class _Unstable(Exception):
    def __init__(self, level: LevelResult) -> None:
        self.level = level


def run_sweep(
    config: BenchConfig,
    on_event: Callable[[Event], None] | None = None,
    cancel: threading.Event | None = None,
) -> BenchResult:
    """Measure every level of the configured range; never raises for server trouble."""
    return _Sweep(config, on_event, cancel or threading.Event()).run()
