"""The sweep: load levels, measurement windows, stability, server breakdown, GPU metrics.

`run_sweep(config, on_event, cancel)` blocks (run it on a worker thread); load is sent by
`LoadGenerator` processes. Semantics follow perf_analyzer (see shared/reference/triton-tools.md §1):
contiguous windows of 1.2 × the measurement interval (or count windows, or one window of exactly
--request-count requests), requests counted by their end time, stability on the last 3 windows, the
stable result is their merge; a level over the latency threshold or unstable ends the sweep
(level.py judges). Per window the load generator's CPU use is measured; with automatic processes
(`processes=0`) a saturated generator gets another process and the level starts again.
A server that dies mid-run ends it with an error; measured levels stay.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone

import numpy as np

from tui.core.bench.grpc_admin import TritonGRPC
from tui.core.bench.inputs import InputError, PreparedRequest, check_response, prepare
from tui.core.bench.level import BenchFailed, OverThreshold, Unstable, judge_level
from tui.core.bench.loadgen import FIELDS, LATE_NS, Collected, LoadError, LoadGenerator
from tui.core.bench.ranges import RangeError, check_concurrency
from tui.core.bench.results import (
    CLIENT_BOUND_CPU,
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
from tui.core.bench.sequences import is_sequence_config
from tui.core.bench.server_stats import (
    STAT_KEYS,
    GpuPoller,
    composing_configs,
    deltas,
    gpu_sample,
    pick,
    snapshot,
)
from tui.core.bench.shm import SystemShm
from tui.core.bench.stats import (
    Window,
    all_over_threshold,
    is_stable,
    merge_gpu,
)
from tui.core.server.client import TritonError, TritonHTTP

__all__ = [
    "STAT_KEYS",
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

COUNT_WINDOW_LIMIT_S = 120.0


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def busiest_cpu(before: Collected | None, after: Collected) -> float:
    """CPU share (0-1) of the busiest load generator process between two collects."""
    if before is None or len(before.cpu_ns) != len(after.cpu_ns):
        return 0.0
    shares = [
        (c1 - c0) / (t1 - t0)
        for c0, t0, c1, t1 in zip(
            before.cpu_ns, before.at_ns, after.cpu_ns, after.at_ns, strict=True
        )
        if t1 > t0
    ]
    return max(shares, default=0.0)


class _Sweep:
    def __init__(
        self, config: BenchConfig, on_event: Callable[[Event], None] | None, cancel: threading.Event
    ) -> None:
        self.config = config
        self.emit = on_event or (lambda event: None)
        self.cancel = cancel
        self.client: TritonHTTP | TritonGRPC = (
            TritonGRPC(config.url) if config.protocol == "grpc" else TritonHTTP(config.url, 10.0)
        )
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.prepared: PreparedRequest | None = None
        self.composing: list[str] = []
        self.response_cache = False  # the model or a composing model enables response_cache
        self.versions: dict[str, str] = {}  # model -> version reported (moved counts)
        self.checked = 0  # responses compared with the expected outputs so far
        self.gpu: GpuPoller | None = None
        self.shm: SystemShm | None = None
        self.sequence_model = False  # the model (or a composing model) has sequence_batching

    def on_sample(self, index: int, body: bytes, header_length: int | None) -> None:
        assert self.prepared is not None
        self.checked += 1
        problem = check_response(self.prepared, index, body, header_length, self.shm)
        if problem and len(self.problems) < 10:
            self.problems.append(problem)

    def prepare(self) -> PreparedRequest:
        cfg = self.config
        try:
            metadata = self.client.model_metadata(cfg.model, cfg.version)
            model_config = self.client.model_config(cfg.model)
        except TritonError as exc:
            raise BenchFailed(f"model {cfg.model!r}: {exc}") from exc
        if not self.client.model_ready(cfg.model):
            raise BenchFailed(f"model {cfg.model!r} is not ready on {self.client.url}")
        composing = composing_configs(self.client, model_config)
        self.composing = list(composing)
        configs = [model_config]
        for part in composing.values():
            if isinstance(part, TritonError):
                raise BenchFailed(f"model {cfg.model!r}: {part}") from part
            configs.append(part)
        # As perf_analyzer decides: from the configs, so a cache the server lacks shows as 0 usec
        self.response_cache = any((c.get("response_cache") or {}).get("enable") for c in configs)
        self.sequence_model = any(is_sequence_config(c) for c in configs)
        if self.sequence_model:
            self._check_sequences()
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
            protocol=cfg.protocol,
            shared_memory=cfg.shared_memory,
            output_shm_size=cfg.output_shm_size,
            sequence=self.sequence_model,
        )
        if self.prepared.regions:
            try:
                self.shm = SystemShm(self.client, self.prepared.regions)
            except TritonError as exc:
                raise BenchFailed(str(exc)) from exc
        return self.prepared

    def _check_sequences(self) -> None:
        """perf_analyzer's rules for sequence models; they also run asynchronously (a level whose
        throughput, not latency, is stable is kept with a warning)."""
        cfg = self.config
        if cfg.batch_size > 1:
            raise InputError("can not specify batch size > 1 when using a sequence model")
        rng, seq = cfg.load_range, cfg.sequences
        if cfg.mode == "concurrency" and rng.unbounded and not cfg.force_sync:
            raise InputError(
                "The 'end' concurrency can not be 0 for sequence models when using asynchronous"
                " API."
            )
        most = int(max(rng.start, rng.end)) if cfg.mode == "concurrency" else seq.num_sequences
        if seq.id_end - seq.id_start < most:
            what = "concurrency" if cfg.mode == "concurrency" else "number of sequences"
            raise InputError(
                f"sequence id range specified is smaller than the maximum possible {what} "
                f"({most}), sequence id collision may occur"
            )
        cfg.async_mode = not cfg.force_sync

    def _wait(self, seconds: float) -> None:
        if self.cancel.wait(seconds):
            raise _Cancelled

    def _start(self, gen: LoadGenerator, value: float) -> Collected:
        cfg = self.config
        sequences = None
        if self.sequence_model and self.prepared is not None:
            sequences = replace(cfg.sequences, streams=self.prepared.streams)
        if cfg.mode == "concurrency":
            gen.run(concurrency=int(value), sequences=sequences)
        else:
            gen.run(
                rate=float(value),
                poisson=cfg.distribution == "poisson",
                max_connections=cfg.max_connections,
                sequences=sequences,
            )
        return gen.collect()

    def _gather(self, gen: LoadGenerator, carry: np.ndarray) -> tuple[np.ndarray, Collected]:
        """Wait out one window; return every record not yet assigned and the last collect."""
        cfg = self.config
        pool = [carry]
        need = cfg.request_count_total or (
            cfg.request_count if cfg.measurement_mode == "count_windows" else 0
        )
        if need:
            limit = time.monotonic() + COUNT_WINDOW_LIMIT_S
            while sum(len(p) for p in pool) < need:
                if time.monotonic() > limit:
                    raise BenchFailed(f"fewer than {need} requests in {COUNT_WINDOW_LIMIT_S:g} s")
                self._wait(0.05 if cfg.request_count_total else 0.25)
                got = gen.collect()
                pool.append(got.records)
                self._check(got.errors, got.first_error)
        else:
            self._wait(cfg.window_ms * 1.2 / 1000)
        got = gen.collect()
        self._check(got.errors, got.first_error)
        return np.concatenate([*pool, got.records]), got

    def _server(self, window: dict) -> tuple[dict, dict[str, dict]]:
        cfg = self.config
        version, own = pick(window, cfg.model, cfg.version)
        self.versions[cfg.model] = version
        parts = {}
        for model in self.composing:
            v, parts[model] = pick(window, model, "")
            self.versions[model] = v
        return own, parts

    def measure_level(self, gen: LoadGenerator, index: int, value: float) -> LevelResult:
        cfg = self.config
        models = [cfg.model, *self.composing]
        checked = self.checked
        before = self._start(gen, value)
        if cfg.warmup_ms > 0:  # a model just loaded pays its first requests' warm-up: not kept
            self._wait(cfg.warmup_ms / 1000)
            before = gen.collect()
            self._check(before.errors, before.first_error)
        windows: list[Window] = []
        trials: list[tuple[float, int]] = []
        carry = np.empty((0, FIELDS), np.int64)
        stats_start = snapshot(self.client, models)
        t_start = time.monotonic_ns()
        for trial in range(1, cfg.max_trials + 1):
            records, got = self._gather(gen, carry)
            t_end = time.monotonic_ns()
            stats_end = snapshot(self.client, models)
            if cfg.request_count_total:  # exactly N requests, the window clamped to them
                records = records[np.argsort(records[:, 1], kind="stable")]
                inside = records[: cfg.request_count_total]
                w_start, w_end = int(inside[:, 0].min()), int(inside[:, 1].max())
            else:
                ends = records[:, 1]
                inside = records[(ends >= t_start) & (ends <= t_end)]
                carry = records[ends > t_end]
                w_start, w_end = t_start, t_end
            own, parts = self._server(deltas(stats_end, stats_start))
            gpu = self.gpu.take(t_start, t_end) if self.gpu else []
            window = Window(
                duration_ns=w_end - w_start,
                batch_size=cfg.batch_size,
                latencies_ns=inside[:, 1] - inside[:, 0],
                send_ns=inside[:, 2],
                recv_ns=inside[:, 3],
                server=own,
                gpu=merge_gpu(gpu),
                percentile_value=cfg.percentile,
                gpu_samples=gpu,
                sent=int(((records[:, 0] >= w_start) & (records[:, 0] <= w_end)).sum()),
                delayed=int((inside[:, 4] > LATE_NS).sum()),
                client_cpu=busiest_cpu(before, got),
                composing=parts,
                sequences=int(inside[:, 5].sum()),
            )
            before = got
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
            if cfg.request_count_total:
                break
            if self._add_process(gen, window, value):
                return self.measure_level(gen, index, value)
            if is_stable(trials, cfg.stability_pct / 100) or all_over_threshold(
                trials, cfg.latency_threshold_ms
            ):
                break
        return judge_level(
            cfg,
            windows,
            trials,
            value,
            processes=gen.processes,
            checked=self.checked - checked,
            composing=[(m, self.versions.get(m, "")) for m in self.composing],
            warnings=self.warnings,
            response_cache=self.response_cache,
            sequence_model=self.sequence_model,
        )

    def _add_process(self, gen: LoadGenerator, window: Window, value: float) -> bool:
        """Automatic processes: a saturated load generator gets one more process (restarting
        the level) while cores remain and the load can be split further."""
        cfg = self.config
        splittable = cfg.mode == "request_rate" or int(value) > gen.processes
        if (
            cfg.processes == 0
            and window.client_cpu >= CLIENT_BOUND_CPU
            and splittable
            and gen.processes < usable_cores()
        ):
            gen.add_process()
            return True
        return False

    def _check(self, errors: int, first_error: str) -> None:
        if errors:
            hint = ""
            if "shared memory size specified with the request for output" in first_error:
                hint = f" (--output-shared-memory-size is {self.config.output_shm_size} bytes)"
            raise BenchFailed(f"{errors} request(s) failed: {first_error}{hint}")
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
            self.gpu = GpuPoller(cfg.metrics_url)
            gen = LoadGenerator(
                self.client.host,
                self.client.port,
                prepared.requests,
                processes=max(1, cfg.processes),
                on_sample=self.on_sample,
                protocol=cfg.protocol,
                templates=prepared.templates,
                max_answer=prepared.max_answer,
            )
            rng = cfg.load_range
            total = rng.count()
            unit = "concurrency" if cfg.mode == "concurrency" else "request rate"
            for index, value in enumerate(rng.levels()):
                if self.cancel.is_set():
                    raise _Cancelled
                if rng.unbounded and cfg.mode == "concurrency":  # a bounded one was checked
                    try:
                        check_concurrency(value, "the open-ended range")
                    except RangeError as exc:
                        result.status, result.message = "threshold", f"{exc}; the sweep ends here"
                        break
                self.emit(LevelStarted(index, total, value))
                try:
                    level = self.measure_level(gen, index, value)
                except OverThreshold:
                    result.status = "threshold"
                    result.message = (
                        f"Measured latency went over the set limit of "
                        f"{cfg.latency_threshold_ms:g} msec."
                    )
                    break
                except Unstable:
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
            try:  # the last level's answers awaited, its sequences ended
                gen.pause()
            except LoadError as exc:
                result.aftermath = f"after the last level: {exc}"
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
            if self.gpu is not None:
                self.gpu.close()
            if self.shm is not None:
                self.shm.close()
        result.warnings = self.warnings
        self.emit(SweepFinished(result))
        return result


class _Cancelled(Exception):
    pass


def run_sweep(
    config: BenchConfig,
    on_event: Callable[[Event], None] | None = None,
    cancel: threading.Event | None = None,
) -> BenchResult:
    """Measure every level of the configured range; never raises for server trouble."""
    return _Sweep(config, on_event, cancel or threading.Event()).run()
