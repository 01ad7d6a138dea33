"""The server's own view, from its Prometheus metrics endpoint (works for remote servers too).

Gauges are read as they are; per-model rates and average times come from counter deltas
between two scrapes, the way perf_analyzer and Grafana dashboards derive them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from prometheus_client.parser import text_string_to_metric_families

from tui.core.server.client import TritonError, fetch_metrics

# Per-model counters (labels model, version) that rates and averages are derived from.
COUNTERS = (
    "nv_inference_request_success",
    "nv_inference_request_failure",
    "nv_inference_count",
    "nv_inference_exec_count",
    "nv_inference_request_duration_us",
    "nv_inference_queue_duration_us",
    "nv_inference_compute_input_duration_us",
    "nv_inference_compute_infer_duration_us",
    "nv_inference_compute_output_duration_us",
)
PENDING = "nv_inference_pending_request_count"
GPU_GAUGES = {
    "nv_gpu_utilization": "utilization",
    "nv_gpu_memory_used_bytes": "memory_used",
    "nv_gpu_memory_total_bytes": "memory_total",
    "nv_gpu_power_usage": "power_w",
    "nv_gpu_power_limit": "power_limit_w",
    "nv_energy_consumption": "energy_j",
}
CPU_GAUGES = {
    "nv_cpu_utilization": "cpu_utilization",
    "nv_cpu_memory_used_bytes": "cpu_memory_used",
    "nv_cpu_memory_total_bytes": "cpu_memory_total",
}

ModelKey = tuple[str, str]  # (model, version)


@dataclass(frozen=True)
class Scrape:
    """One parse of the metrics text."""

    at: float  # time.monotonic() when fetched
    counters: dict[ModelKey, dict[str, float]] = field(default_factory=dict)
    pending: dict[ModelKey, float] = field(default_factory=dict)
    gpus: dict[str, dict[str, float]] = field(default_factory=dict)  # uuid -> field -> value
    cpu: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerGpu:
    uuid: str
    utilization: float | None = None  # 0.0-1.0, as Triton reports it
    memory_used: int | None = None
    memory_total: int | None = None
    power_w: float | None = None
    power_limit_w: float | None = None
    energy_j: float | None = None


@dataclass(frozen=True)
class ModelRate:
    model: str
    version: str
    success: float  # cumulative successful requests
    pending: float | None = None
    request_rate: float | None = None  # successful requests per second over the last interval
    inference_rate: float | None = None  # inferences (batch items) per second
    failure_rate: float | None = None
    avg_request_us: float | None = None  # per successful request over the last interval
    avg_queue_us: float | None = None
    avg_compute_us: float | None = None  # input + infer + output
    avg_compute_infer_us: float | None = None


@dataclass(frozen=True)
class ServerMetrics:
    url: str
    error: str | None = None
    interval_s: float | None = None  # between the two scrapes the rates come from
    gpus: tuple[ServerGpu, ...] = ()
    cpu_utilization: float | None = None  # 0.0-1.0
    cpu_memory_used: int | None = None
    cpu_memory_total: int | None = None
    models: tuple[ModelRate, ...] = ()


def parse_metrics(text: str, at: float | None = None) -> Scrape:
    """Parse Prometheus text; ValueError when it is not Prometheus text."""
    scrape = Scrape(at=time.monotonic() if at is None else at)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name, labels, value = sample.name, sample.labels, float(sample.value)
            if family.type == "counter":  # the parser appends _total to counter samples
                name = name.removesuffix("_total")
            if name in COUNTERS and "model" in labels:
                key = (labels["model"], labels.get("version", ""))
                bucket = scrape.counters.setdefault(key, {})
                bucket[name] = bucket.get(name, 0.0) + value  # failure has one series per reason
            elif name == PENDING and "model" in labels:
                key = (labels["model"], labels.get("version", ""))
                scrape.pending[key] = scrape.pending.get(key, 0.0) + value
            elif name in GPU_GAUGES:
                uuid = labels.get("gpu_uuid", "?")
                scrape.gpus.setdefault(uuid, {})[GPU_GAUGES[name]] = value
            elif name in CPU_GAUGES:
                scrape.cpu[CPU_GAUGES[name]] = value
    return scrape


def _delta(new: dict[str, float], old: dict[str, float], name: str) -> float | None:
    if name not in new or name not in old:
        return None
    d = new[name] - old[name]
    return d if d >= 0 else None  # a counter going down: the server restarted or reloaded


def _per(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def model_rates(new: Scrape, old: Scrape | None) -> tuple[ModelRate, ...]:
    dt = new.at - old.at if old else 0.0
    rates = []
    for key in sorted(set(new.counters) | set(new.pending)):
        cur = new.counters.get(key, {})
        prev = old.counters.get(key) if old and dt > 0 else None
        rate = ModelRate(model=key[0], version=key[1], success=cur.get(COUNTERS[0], 0.0))
        if prev is not None:
            d = {name: _delta(cur, prev, name) for name in COUNTERS}
            ok = d["nv_inference_request_success"]
            stages = ("input", "infer", "output")
            parts = [d[f"nv_inference_compute_{p}_duration_us"] for p in stages]
            compute = None if any(p is None for p in parts) else sum(p for p in parts if p)
            rate = ModelRate(
                model=key[0],
                version=key[1],
                success=rate.success,
                request_rate=_per(ok, dt),
                inference_rate=_per(d["nv_inference_count"], dt),
                failure_rate=_per(d["nv_inference_request_failure"], dt),
                avg_request_us=_per(d["nv_inference_request_duration_us"], ok),
                avg_queue_us=_per(d["nv_inference_queue_duration_us"], ok),
                avg_compute_us=_per(compute, ok),
                avg_compute_infer_us=_per(d["nv_inference_compute_infer_duration_us"], ok),
            )
        pending = new.pending.get(key)
        rates.append(rate if pending is None else _with_pending(rate, pending))
    return tuple(rates)


def _with_pending(rate: ModelRate, pending: float) -> ModelRate:
    return replace(rate, pending=pending)


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def summarize(url: str, new: Scrape, old: Scrape | None) -> ServerMetrics:
    gpus = tuple(
        ServerGpu(
            uuid=uuid,
            utilization=g.get("utilization"),
            memory_used=_int(g.get("memory_used")),
            memory_total=_int(g.get("memory_total")),
            power_w=g.get("power_w"),
            power_limit_w=g.get("power_limit_w"),
            energy_j=g.get("energy_j"),
        )
        for uuid, g in sorted(new.gpus.items())
    )
    return ServerMetrics(
        url=url,
        interval_s=(new.at - old.at) if old else None,
        gpus=gpus,
        cpu_utilization=new.cpu.get("cpu_utilization"),
        cpu_memory_used=_int(new.cpu.get("cpu_memory_used")),
        cpu_memory_total=_int(new.cpu.get("cpu_memory_total")),
        models=model_rates(new, old),
    )


@dataclass
class MetricsReader:
    """Scrapes one endpoint; each `sample()` reports rates since the previous good scrape."""

    url: str
    fetch: Callable[[str], str] = fetch_metrics
    _last: Scrape | None = field(init=False, default=None)

    def sample(self) -> ServerMetrics:
        try:
            text = self.fetch(self.url)
            scrape = parse_metrics(text)
        except TritonError as exc:
            return ServerMetrics(url=self.url, error=str(exc))
        except ValueError as exc:
            error = f"metrics at {self.url} are not Prometheus text: {exc}"
            return ServerMetrics(url=self.url, error=error)
        result = summarize(self.url, scrape, self._last)
        self._last = scrape
        return result
