"""First advice drawn from a measurement: what limits this model, and the config change to try.

Rules follow Triton's own tuning guides: queue time that dominates compute means requests wait
for a free instance (add instances or batch them); compute input/output that dominates compute
infer means data movement costs more than the model; a batching-capable model without the
dynamic batcher whose throughput stops growing with concurrency wants the batcher.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.core.bench.engine import BenchResult, LevelResult
from tui.core.modelconfig import snippets

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig

FLAT_GAIN = 1.10  # less than 10 % more throughput from the last concurrency step: flattened


@dataclass(frozen=True)
class Advice:
    title: str
    reason: str
    snippet: str


def _peak(result: BenchResult) -> LevelResult | None:
    levels = [lv for lv in result.levels if lv.server is not None]
    return max(levels, key=lambda lv: lv.throughput) if levels else None


def advise(result: BenchResult, config: ServedConfig) -> list[Advice]:
    """`config` is the server's effective config (JSON from GET /v2/models/<m>/config)."""
    out: list[Advice] = []
    peak = _peak(result)
    if peak is None or peak.server is None:
        return out
    s = peak.server
    compute = s.compute_input_us + s.compute_infer_us + s.compute_output_us
    kind = (
        "KIND_GPU"
        if any(g.get("kind") == "KIND_GPU" for g in config.get("instance_group", []))
        else "KIND_CPU"
    )
    count = sum(int(g.get("count", 1)) for g in config.get("instance_group", [])) or 1
    batching = int(config.get("max_batch_size", 0)) > 0
    has_batcher = bool(config.get("dynamic_batching")) or "dynamic_batching" in config
    at = f"at concurrency {peak.value:g}"
    if compute and s.queue_us > compute:
        fix = "add an instance" + (" or let the dynamic batcher merge them" if batching else "")
        out.append(
            Advice(
                "Requests wait in the queue",
                f"{at} the average queue time ({s.queue_us} µs) exceeds compute ({compute} µs): "
                f"requests wait for one of {count} instance(s); {fix}.",
                snippets.instance_group(kind=kind, count=count + 1),
            )
        )
    moved = s.compute_input_us + s.compute_output_us
    if s.compute_infer_us and moved > s.compute_infer_us:
        out.append(
            Advice(
                "Data transfer costs more than the model",
                f"{at} compute input + output ({moved} µs) exceeds compute infer "
                f"({s.compute_infer_us} µs): moving tensors dominates. Keep inputs small (FP16, "
                "pre-resized), use shared memory from the client, and keep pinned memory on.",
                "optimization {\n  input_pinned_memory { enable: true }\n"
                "  output_pinned_memory { enable: true }\n}\n",
            )
        )
    levels = sorted(result.levels, key=lambda lv: lv.value)
    if batching and not has_batcher and len(levels) >= 2:
        last, before = levels[-1], levels[-2]
        if before.throughput and last.throughput < before.throughput * FLAT_GAIN:
            out.append(
                Advice(
                    "Throughput flattens: enable dynamic batching",
                    f"from concurrency {before.value:g} to {last.value:g} throughput went "
                    f"{before.throughput:.1f} → {last.throughput:.1f} infer/s while the model "
                    f"accepts batches of up to {config.get('max_batch_size')}; the dynamic batcher "
                    "would merge concurrent requests.",
                    snippets.dynamic_batching(),
                )
            )
    return out
