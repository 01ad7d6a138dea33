"""A server's figures from two scrapes of its own metrics endpoint (the endpoint-list source).

Rates are counter deltas over the time between scrapes, summed over the server's models; times
per request are weighted by request count (total queue time over total requests, not the mean of
per-model averages, which under-reports by about 1/N with N models: server issue #8979). A
counter that went down (the server restarted, or a model was reloaded) gives no delta for that
model this once: never a negative rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.fleet.snapshot import Replica, ServerRow
from tui.core.gpu.metrics import Scrape

SUCCESS = "nv_inference_request_success"
FAILURE = "nv_inference_request_failure"
COUNT = "nv_inference_count"
EXEC = "nv_inference_exec_count"
QUEUE = "nv_inference_queue_duration_us"
COMPUTE = tuple(f"nv_inference_compute_{p}_duration_us" for p in ("input", "infer", "output"))
_ALL = (SUCCESS, FAILURE, COUNT, EXEC, QUEUE, *COMPUTE)


@dataclass
class Totals:
    """Deltas summed over the models whose counters all moved forward."""

    seconds: float
    success: float = 0.0
    failure: float = 0.0
    count: float = 0.0
    exec: float = 0.0
    queue: float = 0.0
    compute: float = 0.0
    models: int = 0  # how many models contributed


def _per(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def totals(new: Scrape, old: Scrape) -> tuple[Totals, dict[str, float | None]]:
    """The summed deltas, and each model's average queue time per request (None: no requests
    or a reset), keyed by model name (versions summed)."""
    out = Totals(seconds=new.at - old.at)
    per_model: dict[str, list[float]] = {}
    for key, cur in new.counters.items():
        prev = old.counters.get(key)
        if prev is None:
            continue
        d = {name: cur.get(name, 0.0) - prev.get(name, 0.0) for name in _ALL}
        if any(v < 0 for v in d.values()):
            continue  # reset: no figure from this model this time
        out.models += 1
        out.success += d[SUCCESS]
        out.failure += d[FAILURE]
        out.count += d[COUNT]
        out.exec += d[EXEC]
        out.queue += d[QUEUE]
        out.compute += sum(d[c] for c in COMPUTE)
        q = per_model.setdefault(key[0], [0.0, 0.0])
        q[0] += d[QUEUE]
        q[1] += d[SUCCESS]
    return out, {m: _per(q, n) for m, (q, n) in per_model.items()}


def apply(row: ServerRow, new: Scrape, old: Scrape | None) -> None:
    """Fill `row`'s figures from the newest scrape (gauges) and the pair (rates)."""
    row.pending = sum(new.pending.values()) if new.pending else None
    utils = [g["utilization"] for g in new.gpus.values() if "utilization" in g]
    used = [g["memory_used"] for g in new.gpus.values() if "memory_used" in g]
    row.gpu_util = sum(utils) / len(utils) if utils else None
    row.gpu_memory_bytes = sum(used) if used else None
    for model, version in new.counters:
        row.models.setdefault(model, Replica(version=version or None, state="READY"))
    if old is None or new.at <= old.at:
        return
    t, queues = totals(new, old)
    if t.models == 0 and new.counters:
        return  # every model reset: wait for the next pair
    row.requests_per_s = t.success / t.seconds
    row.failures_per_s = t.failure / t.seconds
    row.queue_us = _per(t.queue, t.success)
    row.compute_us = _per(t.compute, t.success)
    row.avg_batch = _per(t.count, t.exec)
    for model, queue in queues.items():
        if model in row.models:
            row.models[model].queue_us = queue
