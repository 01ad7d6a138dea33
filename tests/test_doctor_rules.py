"""The doctor's rules on recorded evidence (no server): the rules a CPU machine cannot stage.

GPU evidence here is written down, not measured: this machine has no GPU. The figures follow
what the server exports on an H100 (nv_gpu_utilization 0..1; our onnxruntime backend's
"onnxruntime runs on ..." log line per instance); tests/gpu_check.py checks the GPU rules for
real on a GPU. transfer_bound is here too: the embedded python backend's large tensors come back
chunked over HTTP, which the benchmark engine's load generator does not read yet.
"""

from __future__ import annotations

from typing import Any

import pytest

from tui.core.doctor import recipe
from tui.core.doctor.evidence import BatchCost, ConfigFacts, Evidence, Gpu, StatsWindow
from tui.core.doctor.findings import Report
from tui.core.doctor.rules import diagnose

CONFIG = {
    "name": "m",
    "backend": "onnxruntime",
    "max_batch_size": 8,
    "instance_group": [{"kind": "KIND_GPU", "count": 1, "gpus": [0]}],
    "input": [{"name": "INPUT0", "data_type": "TYPE_FP32", "dims": [16]}],
}


def evidence(
    config: dict[str, Any] | None = None,
    *,
    request: float = 1000.0,
    queue: float = 0.0,
    cin: float = 20.0,
    infer: float = 500.0,
    cout: float = 20.0,
    **more: Any,
) -> Evidence:
    stats = StatsWindow(
        "m",
        "1",
        requests=200,
        inferences=200,
        executions=200,
        request_us=request,
        queue_us=queue,
        compute_input_us=cin,
        compute_infer_us=infer,
        compute_output_us=cout,
        busy_s=0.1,
        batches=more.pop("batches", []),
    )
    facts = ConfigFacts.of(config if config is not None else CONFIG)
    mode = more.pop("mode", "probe")
    fields = {"concurrency": 8, "cores": 16, "host_busy": 0.2, "server_cores": 0.1, **more}
    return Evidence("m", mode, 1.0, stats, facts, **fields)


def ids(ev: Evidence) -> list[str]:
    return [f.id for f in diagnose(ev)]


def gpu(util: float) -> list[Gpu]:
    return [Gpu("GPU-0", util, 2000.0, 80000.0)]


def test_healthy_evidence_gives_no_finding() -> None:
    ev = evidence(request=600, queue=10, gpus=gpu(0.4))
    assert ids(ev) == []
    assert "nothing to fix" in Report("m", ev).summary()


def test_gpu_instances_on_the_cpu_provider() -> None:
    lines = ["m_0_0: onnxruntime runs on CPUExecutionProvider (KIND_GPU requested but ...)"]
    ev = evidence(providers=lines, gpus=gpu(0.0))
    (first, *_) = diagnose(ev)
    assert first.id == "gpu_not_used" and first.recipe is None
    assert "CPUExecutionProvider" in first.evidence


def test_cpu_instances_beside_an_idle_gpu() -> None:
    config = {**CONFIG, "instance_group": [{"kind": "KIND_CPU", "count": 2}]}
    ev = evidence(config, gpus=gpu(0.01))
    (first,) = diagnose(ev)
    assert first.id == "gpu_not_used" and first.recipe == {"op": "kind", "kind": "KIND_GPU"}
    assert "KIND_GPU" in first.change
    assert recipe.changed(config, first.recipe)["instance_group"][0]["kind"] == "KIND_GPU"


def test_queue_with_an_idle_gpu_is_gpu_idle_not_queue_bound() -> None:
    config = {**CONFIG, "dynamic_batching": {}}
    found = ids(evidence(config, request=5000, queue=4000, gpus=gpu(0.2)))
    assert found[0] == "gpu_idle" and "queue_bound" not in found
    idle = diagnose(evidence(config, request=5000, queue=4000, gpus=gpu(0.2)))[0]
    assert idle.recipe == {"op": "instances", "count": 2}


def test_saturated_gpu_suggests_tensorrt_not_instances() -> None:
    config = {**CONFIG, "dynamic_batching": {}}
    found = diagnose(evidence(config, request=5000, queue=3000, gpus=gpu(0.97)))
    assert found[0].id == "gpu_saturated" and found[0].recipe == {"op": "tensorrt_fp16"}
    assert "queue_bound" not in [f.id for f in found]
    assert "precision_mode" in found[0].change


def test_transfer_bound() -> None:
    found = diagnose(evidence(request=5000, cin=2000, infer=500, cout=2000))
    assert found[0].id == "transfer_bound"
    assert "input 2.00 ms" in found[0].evidence


def test_glue_bound() -> None:
    assert ids(evidence(request=6000, queue=100, infer=500)) == ["glue_bound"]


def test_glue_bound_of_an_ensemble_counts_its_steps() -> None:
    config = {
        "name": "e",
        "platform": "ensemble",
        "ensemble_scheduling": {"step": [{"model_name": "a"}, {"model_name": "b"}]},
    }
    steps = [
        StatsWindow("a", requests=100, request_us=1000),
        StatsWindow("b", requests=100, request_us=1100),
    ]
    ev = evidence(config, request=2300, queue=0, cin=0, infer=0, cout=0, composing=steps)
    assert ids(ev) == []  # 200 µs between steps: no glue
    ev.stats.request_us = 9000
    assert ids(ev) == ["glue_bound"]


def test_client_bound_only_from_a_probe() -> None:
    assert ids(evidence(client_cpu=0.97, client_latency_us=1100)) == ["client_bound"]
    assert ids(evidence(client_latency_us=30_000)) == ["client_bound"]
    assert ids(evidence(client_cpu=0.97, mode="passive")) == []


def test_batching_that_does_not_pay() -> None:
    config = {**CONFIG, "instance_group": [{"kind": "KIND_CPU"}], "dynamic_batching": {}}
    flat = [BatchCost(1, 50, 1000.0), BatchCost(8, 20, 950.0)]
    ev = evidence(config, batches=flat)
    ev.stats.inferences = 210  # 50 × 1 + 20 × 8: batches did form
    ev.stats.executions = 70
    (found,) = diagnose(ev)
    assert found.id == "batching_not_paying" and found.recipe == {"op": "no_dynamic_batching"}
    ev.stats.batches = [BatchCost(1, 50, 1000.0), BatchCost(8, 20, 200.0)]
    assert ids(ev) == []


def test_cache_that_never_hits() -> None:
    config = {**CONFIG, "response_cache": {"enable": True}}
    ev = evidence(config)
    ev.stats.cache_hits, ev.stats.cache_misses = 1, 199
    (found,) = diagnose(ev)
    assert found.id == "cache_ineffective" and found.recipe == {
        "op": "response_cache",
        "enable": False,
    }
    assert recipe.candidate(config, found.recipe) is None  # tried, not written by the tuner


def test_slow_load_is_a_cold_start_unless_warmed_up() -> None:
    assert ids(evidence(load_s=45.0)) == ["cold_start"]
    warm = {**CONFIG, "model_warmup": [{"name": "w"}]}
    assert ids(evidence(warm, load_s=45.0)) == []


def test_batching_outranks_the_starved_host() -> None:
    """A batch-capable CPU model queueing on a busy machine: batching cuts the CPU per
    inference, so it comes first; adding instances is not offered."""
    config = {**CONFIG, "instance_group": [{"kind": "KIND_CPU", "count": 1}]}
    ev = evidence(config, request=8000, queue=7000, host_busy=0.98, cores=2, server_cores=0.1)
    assert ids(ev) == ["enable_dynamic_batching", "host_cpu_saturated"]


def test_evidence_round_trips_through_json() -> None:
    ev = evidence(request=5000, queue=4000, gpus=gpu(0.2), batches=[BatchCost(1, 3, 10.0)])
    again = Evidence.from_dict(ev.to_dict())
    assert again == ev and ids(again) == ids(ev)


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        (
            {"op": "instances", "count": 3},
            "instance_group",
            [{"kind": "KIND_GPU", "count": 3, "gpus": [0]}],
        ),
        (
            {"op": "dynamic_batching", "delay_us": 100},
            "dynamic_batching",
            {"max_queue_delay_microseconds": 100},
        ),
        ({"op": "response_cache", "enable": False}, "response_cache", {"enable": False}),
    ],
)
def test_recipes_change_one_field(change: dict[str, Any], field: str, value: Any) -> None:
    new = recipe.changed(CONFIG, change)
    assert new[field] == value
    assert {k: v for k, v in new.items() if k != field} == {
        k: v for k, v in CONFIG.items() if k != field
    }
    assert recipe.snippet(CONFIG, change)


def test_unknown_recipe_is_refused() -> None:
    with pytest.raises(recipe.RecipeError):
        recipe.changed(CONFIG, {"op": "make_it_fast"})


def test_batches_not_forming_offers_a_change_only_where_one_helps() -> None:
    config = {
        **CONFIG,
        "instance_group": [{"kind": "KIND_CPU", "count": 1}],
        "dynamic_batching": {},
    }
    lonely = evidence(config, concurrency=1)
    (found,) = diagnose(lonely)
    assert found.id == "batches_not_forming" and found.recipe is None  # nothing to merge
    split = {**config, "instance_group": [{"kind": "KIND_CPU", "count": 4}]}
    (found,) = diagnose(evidence(split, request=3000, queue=1000))
    assert found.recipe == {"op": "instances", "count": 1}
