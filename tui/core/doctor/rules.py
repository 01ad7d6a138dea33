"""The rules: each reads the evidence and returns a finding or nothing. Grounded in Triton's own
optimization guide, batcher and FAQ (shared/reference/triton-tools.md §4 and §6); thresholds and
weights in rulekit.py, the GPU rules in rules_gpu.py.

Rules that would give contradicting advice step aside: when every core is already busy with a
compute that wants the CPU, or when a GPU finding says more precisely what the queue means, the
generic "add instances" (queue_bound) is not given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.core.doctor.evidence import Evidence, ms
from tui.core.doctor.findings import Finding
from tui.core.doctor.rulekit import (
    BATCH_NOT_FORMING,
    BATCH_PAYS,
    CACHE_HIT_RATE,
    CACHE_MIN_LOOKUPS,
    CLIENT_CPU,
    CLIENT_RATIO,
    COLD_EXTRA_MS,
    COLD_FACTOR,
    COLD_LOAD_S,
    GLUE_RATIO,
    MIN_CLIENT_US,
    MIN_GLUE_US,
    MIN_TRANSFER_US,
    QUEUE_SHARE,
    STEP_SHARE,
    TRANSFER_RATIO,
    WEIGHTS,
    at,
    cpu_starved,
    finding,
    gpu_util,
    queue_share,
)
from tui.core.doctor.rules_gpu import gpu_idle, gpu_not_used, gpu_saturated

__all__ = ["RULES", "WEIGHTS", "diagnose"]


# The rules ------------------------------------------------------------------------------------
def enable_dynamic_batching(ev: Evidence) -> Finding | None:
    c, q = ev.config, queue_share(ev)
    if c.max_batch_size < 2 or c.dynamic_batching or c.sequence or c.ensemble or q < QUEUE_SHARE:
        return None
    return finding(
        ev,
        "enable_dynamic_batching",
        q,
        title="requests queue one by one although the model can batch: turn the batcher on",
        evidence=f"queue {ms(ev.stats.queue_us)} of {ms(ev.stats.request_us)} per request"
        f"{at(ev)}; max_batch_size {c.max_batch_size} but no dynamic batcher, so every "
        f"execution ran {ev.stats.avg_batch:.1f} inference",
        advice="the dynamic batcher merges waiting requests into one execution; for most models "
        "the largest single gain (Triton's optimization guide)",
        recipe={"op": "dynamic_batching", "delay_us": 0},
    )


def queue_bound(ev: Evidence) -> Finding | None:
    q = queue_share(ev)
    if q < QUEUE_SHARE or cpu_starved(ev) or ev.config.ensemble:
        return None
    util = gpu_util(ev)
    if ev.config.kind == "KIND_GPU" and util is not None:
        return None  # gpu_idle or gpu_saturated say it more precisely
    if ev.config.max_batch_size >= 2 and not ev.config.dynamic_batching:
        return None  # enable_dynamic_batching is the better fix
    count = ev.config.instances + 1
    return finding(
        ev,
        "queue_bound",
        q,
        title="requests wait for a free instance: add an instance",
        evidence=f"queue {ms(ev.stats.queue_us)} of {ms(ev.stats.request_us)} per request{at(ev)}",
        advice="another instance serves waiting requests in parallel; two usually help, more "
        "rarely (Triton's FAQ)"
        + ("; or let the batcher merge them" if ev.config.max_batch_size >= 2 else ""),
        recipe={"op": "instances", "count": count},
    )


def host_cpu_saturated(ev: Evidence) -> Finding | None:
    q = queue_share(ev)
    if q < QUEUE_SHARE or not cpu_starved(ev):
        return None
    server = ""
    if ev.server_cores is not None:
        server = (
            f"; the server ran on {ev.server_cores:.1f} cores and waited for "
            f"{ev.server_waiting:.1f} more"
        )
    return finding(
        ev,
        "host_cpu_saturated",
        q,
        title="every core is busy: more instances cannot help",
        evidence=f"{ev.host_busy:.0%} of {ev.cores} cores busy{server}; queue "
        f"{ms(ev.stats.queue_us)} of {ms(ev.stats.request_us)} per request{at(ev)}; the "
        f"compute wants the CPU ({ev.compute_cpu_share or 0:.1f} cores per busy instance)",
        advice="free the machine (other work competes for its cores), make each inference "
        "cheaper (batching, a lighter model, OpenVINO on CPU), or serve from more machines",
    )


def batches_not_forming(ev: Evidence) -> Finding | None:
    c, s = ev.config, ev.stats
    if not c.dynamic_batching or c.max_batch_size < 2 or s.executions == 0:
        return None
    if s.avg_batch >= BATCH_NOT_FORMING:
        return None
    little_load = ev.concurrency == 1 or queue_share(ev) < 0.1
    recipe: dict[str, Any] | None
    if c.instances > 1:
        why = f"{c.instances} instances split the requests between them"
        recipe = {"op": "instances", "count": 1}
    elif little_load:
        # No config change makes batches out of requests that never overlap: a queue delay only
        # adds latency (measured: -40 to -72 % at concurrency 1 on fixed_cost_onnx).
        why = "too little load: hardly a request waits while another runs, nothing to merge"
        recipe = None
    else:
        why = "no queue delay: the batcher sends what it has at once"
        recipe = {"op": "dynamic_batching", "delay_us": 500}
    return finding(
        ev,
        "batches_not_forming",
        0.5 if not little_load else 0.35,
        title="the batcher is on but batches do not form",
        evidence=f"average batch {s.avg_batch:.2f} ({s.inferences} inferences in "
        f"{s.executions} executions){at(ev)}; {why}",
        advice="batches form when requests arrive while others wait: more concurrent requests "
        "(or clients), fewer instances, or a small max_queue_delay_microseconds (trading "
        "latency)" + ("; at this load the batcher buys nothing" if little_load else ""),
        recipe=recipe,
        confidence="low" if little_load else None,
    )


def batching_not_paying(ev: Evidence) -> Finding | None:
    batches = [b for b in ev.stats.batches if b.executions >= 3]
    if len(batches) < 2 or not ev.config.dynamic_batching:
        return None
    small, large = batches[0], batches[-1]
    if large.size < 2 * small.size or small.infer_us_per_inference <= 0:
        return None
    ratio = large.infer_us_per_inference / small.infer_us_per_inference
    if ratio < BATCH_PAYS:
        return None
    delay = ev.config.queue_delay_us
    recipe = {"op": "dynamic_batching", "delay_us": 0} if delay else {"op": "no_dynamic_batching"}
    return finding(
        ev,
        "batching_not_paying",
        min(1.0, ratio - BATCH_PAYS + 0.4),
        title="larger batches cost as much per inference: batching only adds latency",
        evidence=f"compute per inference {small.infer_us_per_inference:.0f} µs at batch "
        f"{small.size} ({small.executions} executions), {large.infer_us_per_inference:.0f} µs "
        f"at batch {large.size} ({large.executions}): {ratio:.2f}×",
        advice="this model does not get cheaper per inference in a batch (CPU-bound or already "
        "parallel inside): drop the queue delay, or the batcher",
        recipe=recipe,
    )


def transfer_bound(ev: Evidence) -> Finding | None:
    s = ev.stats
    moving = s.compute_input_us + s.compute_output_us
    if moving < MIN_TRANSFER_US or moving < TRANSFER_RATIO * max(1.0, s.compute_infer_us):
        return None
    return finding(
        ev,
        "transfer_bound",
        moving / max(1.0, s.request_us),
        title="moving tensors costs more than computing them",
        evidence=f"compute input {ms(s.compute_input_us)} + output {ms(s.compute_output_us)} "
        f"against infer {ms(s.compute_infer_us)} per request",
        advice="send tensors through shared memory (system or CUDA), keep inputs and outputs on "
        "the GPU, use pinned memory, or smaller data types",
    )


def glue_bound(ev: Evidence) -> Finding | None:
    s = ev.stats
    if ev.config.ensemble:
        inner = sum(step.request_us for step in ev.composing)
        overhead = max(0.0, s.request_us - inner)
        busy = inner
    else:
        overhead, busy = s.overhead_us, s.queue_us + s.compute_us
    if overhead < MIN_GLUE_US or overhead < GLUE_RATIO * max(1.0, busy):
        return None
    where = "the ensemble's scheduling between steps" if ev.config.ensemble else "the server"
    return finding(
        ev,
        "glue_bound",
        overhead / max(1.0, s.request_us),
        title="time goes to glue around the model, not to the model",
        evidence=f"{ms(overhead)} per request spent in {where} outside queue and compute "
        f"({ms(busy)}) of {ms(s.request_us)}",
        advice="python backend, BLS or ensemble glue: fewer steps, larger requests, or the "
        "work moved into one model",
    )


def ensemble_step(ev: Evidence) -> Finding | None:
    steps = [s for s in ev.composing if s.moved]
    if len(steps) < 2:
        return None
    total = sum(s.request_us for s in steps)
    worst = max(steps, key=lambda s: s.request_us)
    share = worst.request_us / total if total else 0.0
    if share < STEP_SHARE:
        return None
    return finding(
        ev,
        "ensemble_step",
        share,
        title=f"one step, {worst.model}, takes most of the ensemble's time: work on that one",
        evidence=f"{worst.model}: {ms(worst.request_us)} of {ms(total)} over "
        f"{len(steps)} steps ({share:.0%}); {worst.words()}",
        advice=f"run the doctor on {worst.model} (triton-tui doctor -m {worst.model}) and "
        "tune it; the other steps cannot gain much",
    )


def client_bound(ev: Evidence) -> Finding | None:
    if ev.mode != "probe":
        return None
    outside = ev.client_latency_us - ev.stats.request_us
    saturated = ev.client_cpu >= CLIENT_CPU
    if not saturated and (
        outside < MIN_CLIENT_US or outside < CLIENT_RATIO * max(1.0, ev.stats.request_us)
    ):
        return None
    why = (
        f"the load generator's busiest process used {ev.client_cpu:.0%} of a core"
        if saturated
        else f"the client waited {ms(ev.client_latency_us)} per request, the server spent "
        f"{ms(ev.stats.request_us)}"
    )
    return finding(
        ev,
        "client_bound",
        1.0 if saturated else outside / max(1.0, ev.client_latency_us),
        title="the client, not the server, limits the figure",
        evidence=why,
        advice="more load generator processes or machines, binary tensors or shared memory, "
        "or a network closer to the server",
    )


def cold_start(ev: Evidence) -> Finding | None:
    first, steady, load = ev.first_request_ms, ev.steady_ms, ev.load_s
    slow_first = (
        first is not None
        and steady is not None
        and first >= COLD_FACTOR * steady
        and first - steady >= COLD_EXTRA_MS
    )
    slow_load = load is not None and load >= COLD_LOAD_S
    if not (slow_first or slow_load) or ev.config.warmup:
        return None
    parts = []
    if slow_first and first is not None and steady is not None:
        parts.append(f"first request {first:.0f} ms against {steady:.2f} ms after it")
    if slow_load and load is not None:
        parts.append(f"load took {load:.1f} s")
    return finding(
        ev,
        "cold_start",
        0.4,  # a one-time cost: ranked after what limits every request
        title="the first request (or the load) is far slower than the steady state",
        evidence="; ".join(parts),
        advice="add model_warmup so the server runs a sample before it reports READY (the cold "
        "path moves into loading); the cold-start probe (c) measures it",
        change='model_warmup [ { name: "warmup" batch_size: 1 count: 1 inputs { ... '
        "zero_data: true } } ]  (the cold-start probe writes the full block)",
    )


def cache_ineffective(ev: Evidence) -> Finding | None:
    s = ev.stats
    lookups = s.cache_hits + s.cache_misses
    if not ev.config.response_cache or lookups < CACHE_MIN_LOOKUPS:
        return None
    rate = s.cache_hits / lookups
    if rate >= CACHE_HIT_RATE:
        return None
    return finding(
        ev,
        "cache_ineffective",
        0.5,
        title="the response cache almost never hits: it only costs lookups",
        evidence=f"{s.cache_hits} hits in {lookups} lookups ({rate:.1%})",
        advice="requests rarely repeat: turn the cache off for this model",
        recipe={"op": "response_cache", "enable": False},
    )


RULES: list[Callable[[Evidence], Finding | None]] = [
    enable_dynamic_batching,
    queue_bound,
    host_cpu_saturated,
    batches_not_forming,
    batching_not_paying,
    transfer_bound,
    glue_bound,
    ensemble_step,
    client_bound,
    gpu_not_used,
    gpu_idle,
    gpu_saturated,
    cold_start,
    cache_ineffective,
]


def diagnose(ev: Evidence) -> list[Finding]:
    """Every finding the evidence supports, the most important first."""
    found = [f for rule in RULES if (f := rule(ev)) is not None]
    return sorted(found, key=lambda f: f.score, reverse=True)
