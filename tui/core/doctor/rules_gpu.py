"""The GPU rules: a model that asked for the GPU and runs on the CPU (or the reverse, beside an
idle GPU), a queue while the GPU idles, a saturated GPU. Tested on recorded evidence
(tests/test_doctor_rules.py) and for real by tests/gpu_check.py on a GPU.
"""

from __future__ import annotations

from tui.core.doctor.evidence import Evidence, ms
from tui.core.doctor.findings import Finding
from tui.core.doctor.rulekit import (
    GPU_HIGH,
    GPU_LOW,
    QUEUE_SHARE,
    at,
    finding,
    gpu_util,
    queue_share,
)


def gpu_not_used(ev: Evidence) -> Finding | None:
    util = gpu_util(ev)
    on_cpu = [p for p in ev.providers if "CPUExecutionProvider" in p]
    if ev.config.kind == "KIND_GPU" and on_cpu:
        return finding(
            ev,
            "gpu_not_used",
            1.0,
            title="KIND_GPU asked for, but the instances run on the CPU",
            evidence="; ".join(on_cpu[:3]),
            advice="install the GPU build of the runtime (onnxruntime-gpu, CUDA and cuDNN) or "
            "fix what the server log says stopped the CUDA provider",
        )
    if ev.config.kind == "KIND_CPU" and util is not None and util < 0.1:
        return finding(
            ev,
            "gpu_not_used",
            0.8,
            title="the model runs on the CPU while the GPU idles",
            evidence=f"instances are KIND_CPU; GPU utilization {util:.0%} over the window",
            advice="run the instances on the GPU",
            recipe={"op": "kind", "kind": "KIND_GPU"},
        )
    return None


def gpu_idle(ev: Evidence) -> Finding | None:
    util, q = gpu_util(ev), queue_share(ev)
    if ev.config.kind != "KIND_GPU" or util is None or util >= GPU_LOW or q < QUEUE_SHARE:
        return None
    can_batch = ev.config.max_batch_size >= 2 and not ev.config.dynamic_batching
    recipe = (
        {"op": "dynamic_batching", "delay_us": 0}
        if can_batch
        else {"op": "instances", "count": ev.config.instances + 1}
    )
    return finding(
        ev,
        "gpu_idle",
        q,
        title="requests queue while the GPU idles: batch them or add an instance",
        evidence=f"GPU utilization {util:.0%}; queue {ms(ev.stats.queue_us)} of "
        f"{ms(ev.stats.request_us)} per request{at(ev)}",
        advice="the GPU has room: let the batcher merge requests, or run two instances so "
        "transfers and compute overlap",
        recipe=recipe,
    )


def gpu_saturated(ev: Evidence) -> Finding | None:
    util = gpu_util(ev)
    if ev.config.kind != "KIND_GPU" or util is None or util < GPU_HIGH:
        return None
    onnx = ev.config.backend in ("onnxruntime", "onnxruntime_onnx")
    return finding(
        ev,
        "gpu_saturated",
        max(0.6, queue_share(ev)),
        title="the GPU is saturated: make each inference cheaper, or scale out",
        evidence=f"GPU utilization {util:.0%}{at(ev)}; queue {ms(ev.stats.queue_us)} of "
        f"{ms(ev.stats.request_us)} per request",
        advice="TensorRT with FP16 (onnxruntime's TensorRT provider, or a TensorRT engine), or "
        "more GPUs; more instances on this GPU only add latency",
        recipe={"op": "tensorrt_fp16"} if onnx else None,
    )
