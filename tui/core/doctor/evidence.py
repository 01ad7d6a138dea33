"""What the doctor knows about one model, as plain data (saved with a report, replayed in tests).

`StatsWindow` is the statistics API's counters over a window (deltas of two snapshots, as
perf_analyzer computes them): requests, inferences and executions (their ratio is the average
batch), average queue, compute input / infer / output and request times, and per executed batch
size the compute per inference (does batching pay?). `ConfigFacts` is what the effective config
says; `Evidence` gathers both with where the model runs (execution providers, GPUs) and what this
machine did meanwhile (cores busy, the server's CPU use, the load generator's CPU).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class BatchCost:
    """Executions at one batch size in a window and their compute per inference (µs)."""

    size: int
    executions: int
    infer_us_per_inference: float


@dataclass
class StatsWindow:
    model: str
    version: str = ""
    requests: int = 0  # successful requests
    failures: int = 0
    inferences: int = 0
    executions: int = 0
    request_us: float = 0.0  # averages per successful request
    queue_us: float = 0.0
    compute_input_us: float = 0.0
    compute_infer_us: float = 0.0
    compute_output_us: float = 0.0
    cache_hits: int = 0
    cache_misses: int = 0
    busy_s: float = 0.0  # compute seconds summed over executions (batch_stats), all instances
    batches: list[BatchCost] = field(default_factory=list)

    @property
    def avg_batch(self) -> float:
        return self.inferences / self.executions if self.executions else 0.0

    @property
    def compute_us(self) -> float:
        return self.compute_input_us + self.compute_infer_us + self.compute_output_us

    @property
    def overhead_us(self) -> float:
        """Request time the server spent outside queue and compute (scheduling, glue)."""
        return max(0.0, self.request_us - self.queue_us - self.compute_us)

    @property
    def moved(self) -> bool:
        return self.requests > 0

    def words(self) -> str:
        """'queue 8.1 ms, compute 1.2 ms (input 0.1, infer 1.0, output 0.1) of 9.4 ms'."""
        return (
            f"queue {ms(self.queue_us)}, compute {ms(self.compute_us)} (input "
            f"{ms(self.compute_input_us)}, infer {ms(self.compute_infer_us)}, output "
            f"{ms(self.compute_output_us)}) of {ms(self.request_us)} per request"
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StatsWindow:
        batches = [BatchCost(**b) for b in data.get("batches", [])]
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**fields, "batches": batches})


@dataclass
class ConfigFacts:
    backend: str = ""
    max_batch_size: int = 0
    dynamic_batching: bool = False
    queue_delay_us: int = 0
    instances: int = 1
    kind: str = "KIND_CPU"
    gpus: list[int] = field(default_factory=list)
    response_cache: bool = False
    ensemble_steps: list[str] = field(default_factory=list)
    sequence: bool = False
    warmup: bool = False

    @property
    def ensemble(self) -> bool:
        return bool(self.ensemble_steps)

    @classmethod
    def of(cls, config: dict[str, Any]) -> ConfigFacts:
        groups = config.get("instance_group") or []
        dyn = config.get("dynamic_batching")
        steps = (config.get("ensemble_scheduling") or {}).get("step") or []
        return cls(
            backend=str(config.get("backend") or config.get("platform") or ""),
            max_batch_size=int(config.get("max_batch_size") or 0),
            dynamic_batching=dyn is not None,
            queue_delay_us=int((dyn or {}).get("max_queue_delay_microseconds") or 0),
            instances=sum(int(g.get("count") or 1) for g in groups) or 1,
            kind=str((groups[0].get("kind") if groups else "") or "KIND_CPU"),
            gpus=sorted({int(x) for g in groups for x in (g.get("gpus") or [])}),
            response_cache=bool((config.get("response_cache") or {}).get("enable")),
            ensemble_steps=[str(s.get("model_name", "")) for s in steps],
            sequence=config.get("sequence_batching") is not None,
            warmup=bool(config.get("model_warmup")),
        )


@dataclass
class Gpu:
    uuid: str
    utilization: float  # 0..1, averaged over the window's samples
    memory_used_mb: float = 0.0
    memory_total_mb: float = 0.0


@dataclass
class Evidence:
    model: str
    mode: str  # passive | probe
    window_s: float
    stats: StatsWindow
    config: ConfigFacts
    composing: list[StatsWindow] = field(default_factory=list)  # an ensemble's steps
    concurrency: int = 0  # probe: the load the probe sent
    throughput: float = 0.0  # probe: infer/s measured by the client
    client_latency_us: float = 0.0  # probe: average latency the client saw
    client_cpu: float = 0.0  # probe: busiest load generator process's CPU share (0..1)
    cores: int = 1
    host_busy: float = 0.0  # the whole machine's CPU use over the window, 0..1
    # cores the model's processes used (its python stubs, else the whole server); None: unknown
    server_cores: float | None = None
    server_waiting: float = 0.0  # cores' worth of their threads waiting in a run queue (Linux)
    providers: list[str] = field(default_factory=list)  # "instance: onnxruntime runs on ..."
    gpus: list[Gpu] = field(default_factory=list)
    first_request_ms: float | None = None  # the model's very first request, when seen
    steady_ms: float | None = None  # p50 of the requests right after it
    load_s: float | None = None  # nv_model_load_duration_secs
    notes: list[str] = field(default_factory=list)

    @property
    def compute_cpu_share(self) -> float | None:
        """CPU the server ran on or waited for per second of compute: ≈1 when the compute wants
        the CPU (a starved one waits for it rather than using it), ≈0 when it waits for something
        else (sleeps, I/O, a GPU). None without the server's CPU figure or any compute."""
        busy_s = self.stats.busy_s
        if self.server_cores is None or busy_s <= 0 or self.window_s <= 0:
            return None
        return (self.server_cores + self.server_waiting) * self.window_s / busy_s

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Evidence:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields["stats"] = StatsWindow.from_dict(data["stats"])
        fields["config"] = ConfigFacts(**data["config"])
        fields["composing"] = [StatsWindow.from_dict(s) for s in data.get("composing", [])]
        fields["gpus"] = [Gpu(**g) for g in data.get("gpus", [])]
        return cls(**fields)


def ms(us: float) -> str:
    return f"{us / 1000:.2f} ms" if us < 10_000 else f"{us / 1000:.1f} ms"
