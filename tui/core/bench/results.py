"""What a sweep is asked to do and what it found (plain data, shared by CLI, pane and reports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.core.bench.ranges import Range
from tui.core.bench.stats import LatencySummary


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
    window_ms: int = 5000
    request_count: int = 50  # count_windows: minimum requests per window
    stability_pct: float = 10.0
    max_trials: int = 10
    percentile: int | None = None
    latency_threshold_ms: float = 0.0
    input_data: str = "random"
    shapes: dict[str, list[int]] = field(default_factory=dict)
    binary: bool = True
    string_length: int = 128
    string_data: str | None = None
    processes: int = 1
    max_connections: int = 16  # rate mode: most connections in flight (perf_analyzer --max-threads)

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

    @property
    def overhead_us(self) -> int:
        compute = self.compute_input_us + self.compute_infer_us + self.compute_output_us
        return max(0, self.request_us - self.queue_us - compute)

    @classmethod
    def from_delta(cls, delta: dict[str, Any]) -> ServerBreakdown | None:
        def avg(key: str) -> int:
            d = delta.get(key) or {}
            return int(d.get("ns", 0) / d["count"] / 1000) if d.get("count") else 0

        success = (delta.get("success") or {}).get("count", 0)
        if not success:
            return None
        return cls(
            inference_count=int(delta.get("inference_count", 0)),
            execution_count=int(delta.get("execution_count", 0)),
            success_count=int(success),
            request_us=avg("success"),
            queue_us=avg("queue"),
            compute_input_us=avg("compute_input"),
            compute_infer_us=avg("compute_infer"),
            compute_output_us=avg("compute_output"),
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
    delayed: int = 0

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

    @property
    def exit_code(self) -> int:
        """perf_analyzer's: 0 ok, 2 no stable measurement, 3 bad options, 99 other failures."""
        if self.status in ("ok", "threshold", "cancelled"):
            return 0
        if self.status == "invalid":
            return 3
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
