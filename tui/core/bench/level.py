"""A load level's verdict: its windows merged into the reported result, judged like perf_analyzer.

Over the latency threshold is decided on the merged (stable) result, never on one window; a level
that did not stabilise is dropped, except under asynchronous load when its throughput did (kept
with perf_analyzer's warning). Warnings say what the figures cannot be trusted for: sends that
left late, and a load generator that was itself the limit.
"""

from __future__ import annotations

from tui.core.bench.loadgen import LATE_NS
from tui.core.bench.results import BenchConfig, LevelResult, ServerBreakdown
from tui.core.bench.stats import (
    STABILITY_WINDOW,
    Window,
    is_stable,
    merge_windows,
    throughput_stable,
    window_p99_ns,
)


class BenchFailed(Exception):
    """A level could not be measured; the message says why."""


class OverThreshold(Exception):
    def __init__(self, level: LevelResult) -> None:
        self.level = level


class Unstable(Exception):
    def __init__(self, level: LevelResult) -> None:
        self.level = level


def judge_level(
    cfg: BenchConfig,
    windows: list[Window],
    trials: list[tuple[float, int]],
    value: float,
    *,
    processes: int,
    checked: int,
    composing: list[tuple[str, str]],
    warnings: list[str],
    response_cache: bool = False,
    sequence_model: bool = False,
) -> LevelResult:
    """The level's result from its windows; raises OverThreshold or Unstable when it ends the
    sweep. New warnings are also appended to `warnings` (the sweep's, without repeats)."""
    merged = merge_windows(windows)
    if merged.count == 0:
        raise BenchFailed(
            "No valid requests recorded within time interval. Please use a larger time window."
        )
    parts = []
    for model, version in composing:
        part = ServerBreakdown.from_delta(merged.composing.get(model, {}))
        if part is not None:
            part.name, part.version = model, version
            parts.append(part)
    server = ServerBreakdown.from_delta(merged.server)
    result = LevelResult(
        value=value,
        throughput=merged.throughput,
        latency=merged.summary(),
        server=server.with_composing(parts) if server is not None else None,
        server_own=server if parts else None,
        gpu=merged.gpu,
        trials=len(windows),
        duration_ns=merged.duration_ns,
        delayed=merged.delayed,
        send_rate=merged.sent / (merged.duration_ns / 1e9) if cfg.mode != "concurrency" else None,
        client_cpu=merged.client_cpu,
        processes=processes,
        responses_checked=checked,
        responses_seen=sum(w.count for w in windows),
        composing=parts,
        response_cache=response_cache,
        sequence_count=merged.sequences if sequence_model else None,
        window_figures=_window_figures(windows),
    )
    if cfg.latency_threshold_ms > 0 and (
        result.stabilizing_us(cfg.percentile) >= cfg.latency_threshold_ms * 1000
    ):
        raise OverThreshold(result)
    if cfg.request_count_total == 0 and not is_stable(trials, cfg.stability_pct / 100):
        asynchronous = cfg.mode == "request_rate" or cfg.async_mode
        if not (asynchronous and throughput_stable(trials, cfg.stability_pct / 100)):
            raise Unstable(result)
        result.warnings.append(
            "Warning: Request latency is not stabilizing. Please try lowering the request rate."
        )
    if cfg.mode == "request_rate" and result.delayed > 0.01 * max(1, result.latency.count):
        pct = 100 * result.delayed / max(1, result.latency.count)
        result.warnings.append(
            "[WARNING] Perf Analyzer was not able to keep up with the desired request rate. "
            f"{pct:.2f}% of the requests were delayed (sent over {LATE_NS // 1000} usec late)."
        )
    if result.client_bound:
        unit = "concurrency" if cfg.mode == "concurrency" else "request rate"
        hint = (
            "no free core to add a process"
            if cfg.processes == 0
            else "try --loadgen-processes 0 for automatic processes"
        )
        result.warnings.append(
            f"[WARNING] The load generator is the bottleneck at {unit} {value:g}: its busiest "
            f"of {processes} process(es) used {result.client_cpu:.0%} of a CPU core, so the "
            f"server may be able to do more than measured ({hint})."
        )
    warnings += [w for w in result.warnings if w not in warnings]
    return result


def _window_figures(windows: list[Window]) -> list[tuple[float, int]]:
    """Throughput and p99 of each window the level reports (the last 3 with answers)."""
    return [(w.throughput, window_p99_ns(w)) for w in windows[-STABILITY_WINDOW:] if w.count]
