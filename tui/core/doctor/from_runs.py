"""Evidence from what the benchmark and the tuner already measured, so their panes can show the
doctor's top finding for their last run without measuring again.

A benchmark level carries the server's breakdown (statistics-API deltas), the client's latency
and CPU, and the GPU metrics; a tune's level carries queue and compute times, the client's and
the machine's CPU, and the GPU utilization. Neither has per-batch costs or the server's own CPU,
so the rules that need them stay silent here; the doctor screen gathers the rest.
"""

from __future__ import annotations

from typing import Any

from tui.core.bench.results import LevelResult
from tui.core.doctor.evidence import ConfigFacts, Evidence, Gpu, StatsWindow
from tui.core.doctor.findings import Report
from tui.core.doctor.rules import diagnose
from tui.core.tune.measure import Level


def from_bench_level(model: str, config: dict[str, Any], level: LevelResult) -> Evidence | None:
    """Evidence of one benchmark level (None without the server's breakdown)."""
    server = level.server_own or level.server
    if server is None:
        return None
    stats = StatsWindow(
        model=model,
        version=server.version,
        requests=server.success_count,
        inferences=server.inference_count,
        executions=server.execution_count,
        request_us=server.request_us,
        queue_us=server.queue_us,
        compute_input_us=server.compute_input_us,
        compute_infer_us=server.compute_infer_us,
        compute_output_us=server.compute_output_us,
        cache_hits=server.cache_hit_count,
        cache_misses=server.cache_miss_count,
    )
    composing = [
        StatsWindow(
            model=part.name,
            version=part.version,
            requests=part.success_count,
            inferences=part.inference_count,
            executions=part.execution_count,
            request_us=part.request_us,
            queue_us=part.queue_us,
            compute_infer_us=part.compute_infer_us,
        )
        for part in level.composing
    ]
    gpus = [
        Gpu(uuid, float(g.get("utilization", 0.0)), float(g.get("memory_used_bytes", 0.0)) / 1e6)
        for uuid, g in level.gpu.items()
    ]
    return Evidence(
        model=model,
        mode="probe",
        window_s=level.duration_ns / 1e9,
        stats=stats,
        config=ConfigFacts.of(config),
        composing=composing,
        concurrency=int(level.value),
        throughput=level.throughput,
        client_latency_us=level.latency.avg_ns / 1000,
        client_cpu=level.client_cpu,
        gpus=gpus,
    )


def from_tune_level(model: str, config: dict[str, Any], level: Level) -> Evidence:
    """Evidence of one tune level (the model's own config at its best concurrency)."""
    request = level.avg_ms * 1000
    stats = StatsWindow(
        model=model,
        requests=max(1, int(level.throughput)),
        request_us=request,
        queue_us=level.queue_us,
        compute_infer_us=level.compute_us,
    )
    gpus = [Gpu("all", level.gpu_util)] if level.gpu_util is not None else []
    return Evidence(
        model=model,
        mode="probe",
        window_s=1.0,
        stats=stats,
        config=ConfigFacts.of(config),
        concurrency=level.concurrency,
        throughput=level.throughput,
        client_latency_us=request,
        host_busy=level.host_busy,
        gpus=gpus,
    )


def top_line(evidence: Evidence | None) -> str:
    """The one line a pane shows: the top finding, or that there is none."""
    if evidence is None:
        return "Doctor: no server breakdown in this run (w examines the model)"
    findings = diagnose(evidence)
    at = f" at concurrency {evidence.concurrency}" if evidence.concurrency else ""
    if not findings:
        return f"Doctor: nothing to fix{at} (w for the full examination)"
    more = f", +{len(findings) - 1} more" if len(findings) > 1 else ""
    return f"Doctor: {findings[0].id}: {findings[0].title}{at}{more} (w for details)"


def report_of(evidence: Evidence) -> Report:
    return Report(evidence.model, evidence, diagnose(evidence))
