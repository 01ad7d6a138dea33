"""What the rules share: their thresholds (ours, named here), their weights, and the helpers that
read the evidence and build a finding.

Ranking: a finding's score is the share of the request time it explains, times its rule's
weight (how directly its change acts on that time).
"""

from __future__ import annotations

from typing import Any

from tui.core.doctor.evidence import Evidence
from tui.core.doctor.findings import Finding
from tui.core.doctor.recipe import snippet

QUEUE_SHARE = 0.5  # queue at least this share of the request time: requests wait
MIN_QUEUE_US = 100.0  # ... and at least this long (µs), so sub-millisecond jitter is not a finding
BATCH_NOT_FORMING = 1.2  # average batch below this with the batcher on
BATCH_PAYS = 0.8  # per-inference compute at the largest batch under this share of the smallest's
TRANSFER_RATIO = 2.0  # compute input + output over compute infer
MIN_TRANSFER_US = 200.0
GLUE_RATIO = 2.0  # server overhead over queue + compute
MIN_GLUE_US = 1000.0
STEP_SHARE = 0.6  # one ensemble step's share of the steps' time
CLIENT_CPU = 0.9  # the busiest load generator process's CPU share
CLIENT_RATIO = 3.0  # client-side time over the server's request time
MIN_CLIENT_US = 5000.0
HOST_BUSY = 0.9  # the machine's cores busy
CPU_BOUND = 0.3  # CPU run + run-queue wait per second of compute: it wants the CPU (≈0: waits)
GPU_LOW, GPU_HIGH = 0.5, 0.9  # utilization
COLD_FACTOR, COLD_EXTRA_MS, COLD_LOAD_S = 5.0, 200.0, 30.0
CACHE_MIN_LOOKUPS, CACHE_HIT_RATE = 20, 0.05
MIN_REQUESTS = 20  # fewer than this in the window: every finding is at most "low"

WEIGHTS = {
    "enable_dynamic_batching": 1.0,
    "gpu_not_used": 1.0,
    "transfer_bound": 0.9,
    "ensemble_step": 0.9,
    "gpu_idle": 0.85,
    "host_cpu_saturated": 0.82,
    "gpu_saturated": 0.8,
    "queue_bound": 0.8,
    "batches_not_forming": 0.7,
    "glue_bound": 0.7,
    "client_bound": 0.7,
    "batching_not_paying": 0.6,
    "cold_start": 0.6,
    "cache_ineffective": 0.5,
}


def confidence(ev: Evidence, strength: float) -> str:
    if ev.stats.requests < MIN_REQUESTS:
        return "low"
    return "high" if strength >= 0.7 else "medium" if strength >= 0.4 else "low"


def finding(ev: Evidence, rid: str, strength: float, **fields: Any) -> Finding:
    config_snippet = ""
    recipe = fields.pop("recipe", None)
    if recipe is not None:
        config_snippet = snippet(config_view(ev), recipe)
    return Finding(
        id=rid,
        confidence=fields.pop("confidence", None) or confidence(ev, strength),
        score=WEIGHTS[rid] * max(0.0, min(1.0, strength)),
        change=fields.pop("change", "") or config_snippet,
        recipe=recipe,
        **fields,
    )


def config_view(ev: Evidence) -> dict[str, Any]:
    """Enough of the config for snippets (instance kind and count)."""
    return {"instance_group": [{"kind": ev.config.kind, "count": ev.config.instances}]}


def queue_share(ev: Evidence) -> float:
    s = ev.stats
    if s.request_us <= 0 or s.queue_us < MIN_QUEUE_US:
        return 0.0
    return s.queue_us / s.request_us


def gpu_util(ev: Evidence) -> float | None:
    return sum(g.utilization for g in ev.gpus) / len(ev.gpus) if ev.gpus else None


def at(ev: Evidence) -> str:
    load = f" at concurrency {ev.concurrency}" if ev.concurrency else ""
    n = ev.config.instances
    return f"{load}; {n} instance{'s' if n != 1 else ''} ({ev.config.kind.removeprefix('KIND_')})"


def cpu_starved(ev: Evidence) -> bool:
    share = ev.compute_cpu_share
    return ev.host_busy >= HOST_BUSY and share is not None and share >= CPU_BOUND
