"""What a sweep is asked to do and what it found (plain data, shared by CLI, pane and reports)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from tui.core.bench.ranges import STABILITY_PCT, WINDOW_MS, Range
from tui.core.bench.sequences import SequenceOptions
from tui.core.bench.stats import LatencySummary

CLIENT_BOUND_CPU = 0.9  # a load generator process busier than this is the bottleneck


@dataclass
class BenchConfig:
    model: str
    url: str = "127.0.0.1:8000"
    version: str = ""
    metrics_url: str | None = None
    batch_size: int = 1
    concurrency: Range | None = field(default_factory=lambda: Range(1, 1, 1))
    request_rate: Range | None = None  # set instead of concurrency for request-rate mode
    distribution: str = "constant"  # or "poisson" (rate mode)
    measurement_mode: str = "time_windows"  # or "count_windows"
    window_ms: int = WINDOW_MS
    request_count: int = 50  # count_windows: minimum requests per window
    stability_pct: float = STABILITY_PCT
    max_trials: int = 10
    percentile: int | None = None
    latency_threshold_ms: float = 0.0
    input_data: str = "random"
    shapes: dict[str, list[int]] = field(default_factory=dict)
    binary: bool = True
    string_length: int = 128
    string_data: str | None = None
    processes: int = 1  # load generator processes; 0: start with 1, add more while client-bound
    max_connections: int = 0  # rate mode: most requests in flight, 0 no cap (perf_analyzer's async)
    protocol: str = "http"  # or "grpc"
    request_count_total: int = 0  # --request-count: one window of exactly this many requests
    shared_memory: str = "none"  # or "system": inputs and outputs in system shared memory
    output_shm_size: int = 102400  # bytes per batch item for an output of no fixed size
    async_mode: bool = False  # --async: latency may fail to stabilise if throughput does
    force_sync: bool = False  # --sync: not asynchronous even for a sequence model
    sequences: SequenceOptions = field(default_factory=SequenceOptions)  # sequence models only
    warmup_ms: int = 0  # load sent and thrown away before a level's first window

    @property
    def load_range(self) -> Range:
        return self.request_rate if self.request_rate is not None else self.concurrency  # type: ignore[return-value]

    @property
    def mode(self) -> str:
        return "request_rate" if self.request_rate is not None else "concurrency"


@dataclass
class ServerBreakdown:
    """Average server-side times in µs over a level (statistics-API deltas)."""

    inference_count: int
    execution_count: int
    success_count: int
    request_us: int
    queue_us: int
    compute_input_us: int
    compute_infer_us: int
    compute_output_us: int
    cache_hit_count: int = 0
    cache_hit_us: int = 0  # average time of a response-cache hit (lookup)
    cache_miss_count: int = 0
    cache_miss_us: int = 0  # average time of a miss (lookup + insertion)
    # perf_analyzer's "cache hit/miss": hit, miss and compute time over hits + executions
    # (without a cache: the compute time, summed before rounding); what its overhead subtracts
    cache_compute_us: int = 0
    name: str = ""  # composing models: model name and version reported
    version: str = ""

    @property
    def compute_us(self) -> int:
        return self.compute_input_us + self.compute_infer_us + self.compute_output_us

    @property
    def overhead_us(self) -> int:
        return max(0, self.request_us - self.queue_us - (self.cache_compute_us or self.compute_us))

    @classmethod
    def from_delta(cls, delta: dict[str, Any]) -> ServerBreakdown | None:
        def count(key: str) -> int:
            return int((delta.get(key) or {}).get("count", 0))

        def ns(key: str) -> int:
            return int((delta.get(key) or {}).get("ns", 0))

        def avg(key: str) -> int:
            return int(ns(key) / count(key) / 1000) if count(key) else 0

        success = count("success")
        if not success:
            return None
        served = count("compute_input") + count("cache_hit")  # executed or answered from cache
        cache_compute_ns = sum(
            ns(k)
            for k in ("cache_hit", "cache_miss", "compute_input", "compute_infer", "compute_output")
        )
        return cls(
            inference_count=int(delta.get("inference_count", 0)),
            execution_count=int(delta.get("execution_count", 0)),
            success_count=int(success),
            request_us=avg("success"),
            queue_us=avg("queue"),
            compute_input_us=avg("compute_input"),
            compute_infer_us=avg("compute_infer"),
            compute_output_us=avg("compute_output"),
            cache_hit_count=count("cache_hit"),
            cache_hit_us=avg("cache_hit"),
            cache_miss_count=count("cache_miss"),
            cache_miss_us=avg("cache_miss"),
            cache_compute_us=cache_compute_ns // (served * 1000) if served else 0,
        )

    def with_composing(self, parts: list[ServerBreakdown]) -> ServerBreakdown:
        """An ensemble's own breakdown with queue, compute and cache times summed over its
        composing models (the ensemble scheduler itself reports none), as perf_analyzer's
        console shows it."""
        if not parts:
            return self
        return replace(
            self,
            queue_us=sum(p.queue_us for p in parts),
            compute_input_us=sum(p.compute_input_us for p in parts),
            compute_infer_us=sum(p.compute_infer_us for p in parts),
            compute_output_us=sum(p.compute_output_us for p in parts),
            cache_hit_us=sum(p.cache_hit_us for p in parts),
            cache_miss_us=sum(p.cache_miss_us for p in parts),
            cache_compute_us=sum(p.cache_compute_us for p in parts),
        )


@dataclass
class LevelResult:
    value: float  # concurrency or request rate
    throughput: float
    latency: LatencySummary
    server: ServerBreakdown | None
    gpu: dict[str, dict[str, float]]
    trials: int
    duration_ns: int
    delayed: int = 0  # request-rate: requests of the reported windows sent late (LATE_NS)
    send_rate: float | None = None  # request-rate: measured sends per second, not the target
    client_cpu: float = 0.0  # busiest load generator process's CPU use (0-1) over the windows
    processes: int = 1  # load generator processes that produced this level
    responses_checked: int = 0  # responses compared with the expected outputs in this level
    responses_seen: int = 0  # responses received in all of the level's windows
    composing: list[ServerBreakdown] = field(default_factory=list)  # ensemble: per model
    # an ensemble's own statistics (`server` sums its composing models' times, as perf_analyzer's
    # console); perf_analyzer's CSV writes these. None: `server` is the model's own.
    server_own: ServerBreakdown | None = None
    response_cache: bool = False  # the model's config enables it: perf_analyzer's cache figures
    sequence_count: int | None = None  # sequence models: sequences ended in the windows merged
    warnings: list[str] = field(default_factory=list)  # what the CLI prints after the level
    # the reported (last 3) windows one by one: throughput and p99 latency in ns, for the
    # spread of a figure (the tuner's intervals); empty for a --request-count level
    window_figures: list[tuple[float, int]] = field(default_factory=list)

    @property
    def client_bound(self) -> bool:
        """The load generator, not the server, limited this level."""
        return self.client_cpu >= CLIENT_BOUND_CPU

    @property
    def sequence_rate(self) -> float:
        """Sequences per second (perf_analyzer's "seq/sec")."""
        return (self.sequence_count or 0) / (self.duration_ns / 1e9) if self.duration_ns else 0.0

    def stabilizing_us(self, percentile: int | None) -> int:
        return self.latency.stabilizing_ns(percentile) // 1000


@dataclass
class BenchResult:
    config: BenchConfig
    levels: list[LevelResult] = field(default_factory=list)
    status: str = "running"  # ok | unstable | threshold | cancelled | error
    message: str = ""
    started_at: str = ""
    server_version: str = ""
    warnings: list[str] = field(default_factory=list)
    aftermath: str = ""  # trouble after the last level (answers, sequence ENDs): figures stand

    @property
    def exit_code(self) -> int:
        """perf_analyzer's: 0 ok, 2 no stable measurement, 99 other failures, a model the flags
        or the data file do not fit among them (flags wrong by themselves never get here: the
        CLI refuses them with 3)."""
        if self.status in ("ok", "threshold", "cancelled"):
            return 0
        if self.status == "unstable":
            return 0 if self.levels else 2
        return 99


# Events (the pane turns them into Textual messages) -----------------------------------------
@dataclass
class LevelStarted:
    index: int
    total: int | None
    value: float


@dataclass
class WindowMeasured:
    index: int
    value: float
    trial: int
    throughput: float
    latency_us: int
    count: int


@dataclass
class LevelMeasured:
    index: int
    level: LevelResult


@dataclass
class SweepFinished:
    result: BenchResult


Event = LevelStarted | WindowMeasured | LevelMeasured | SweepFinished
