"""A finding's change as data (a recipe): the full config a try loads through the load API's
override, the config.pbtxt snippet shown, and, for the fields the tuner writes (instances, kind,
max batch size, dynamic batching), the tuner's Candidate that applying goes through.

Recipes: {"op": "instances", "count": N} · {"op": "kind", "kind": "KIND_GPU"} ·
{"op": "dynamic_batching", "delay_us": D} · {"op": "no_dynamic_batching"} ·
{"op": "response_cache", "enable": false} · {"op": "tensorrt_fp16"}.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from tui.core.tune.space import Candidate, describe_config

APPLICABLE = ("instances", "kind", "dynamic_batching", "no_dynamic_batching")

TENSORRT_FP16 = {
    "gpu_execution_accelerator": [
        {
            "name": "tensorrt",
            "parameters": {
                "precision_mode": "FP16",
                "max_workspace_size_bytes": "1073741824",
                "trt_engine_cache_enable": "1",
            },
        }
    ]
}


class RecipeError(ValueError):
    """A recipe this module does not know (a report from another version)."""


def changed(config: dict[str, Any], recipe: dict[str, Any]) -> dict[str, Any]:
    """The full config with the recipe's change made (the input is not modified)."""
    new = copy.deepcopy(config)
    op = recipe.get("op")
    groups = new.get("instance_group") or [{"kind": "KIND_CPU", "count": 1}]
    if op == "instances":
        first = dict(groups[0])
        first["count"] = int(recipe["count"])
        new["instance_group"] = [first]
    elif op == "kind":
        new["instance_group"] = [
            {**g, "kind": recipe["kind"], **({} if recipe["kind"] == "KIND_GPU" else {"gpus": []})}
            for g in groups
        ]
    elif op == "dynamic_batching":
        dyn = dict(new.get("dynamic_batching") or {})
        dyn["max_queue_delay_microseconds"] = int(recipe.get("delay_us", 0))
        new["dynamic_batching"] = dyn
    elif op == "no_dynamic_batching":
        new.pop("dynamic_batching", None)
    elif op == "response_cache":
        new["response_cache"] = {"enable": bool(recipe.get("enable"))}
    elif op == "tensorrt_fp16":
        optimization = dict(new.get("optimization") or {})
        optimization["execution_accelerators"] = copy.deepcopy(TENSORRT_FP16)
        new["optimization"] = optimization
    else:
        raise RecipeError(f"unknown change {op!r}")
    return new


def snippet(config: dict[str, Any], recipe: dict[str, Any]) -> str:
    """The change as config.pbtxt text."""
    op = recipe.get("op")
    groups = config.get("instance_group") or [{"kind": "KIND_CPU"}]
    kind = str(groups[0].get("kind") or "KIND_CPU")
    if op == "instances":
        return f"instance_group [ {{ count: {int(recipe['count'])}, kind: {kind} }} ]"
    if op == "kind":
        count = int(groups[0].get("count") or 1)
        return f"instance_group [ {{ count: {count}, kind: {recipe['kind']} }} ]"
    if op == "dynamic_batching":
        delay = int(recipe.get("delay_us", 0))
        return (
            f"dynamic_batching {{ max_queue_delay_microseconds: {delay} }}"
            if delay
            else "dynamic_batching { }"
        )
    if op == "no_dynamic_batching":
        return "# remove the dynamic_batching { ... } block"
    if op == "response_cache":
        return f"response_cache {{ enable: {'true' if recipe.get('enable') else 'false'} }}"
    if op == "tensorrt_fp16":
        return (
            "optimization { execution_accelerators {\n"
            "  gpu_execution_accelerator : [ {\n"
            '    name : "tensorrt"\n'
            '    parameters { key: "precision_mode" value: "FP16" }\n'
            '    parameters { key: "max_workspace_size_bytes" value: "1073741824" }\n'
            '    parameters { key: "trt_engine_cache_enable" value: "1" }\n'
            "  } ]\n"
            "} }"
        )
    raise RecipeError(f"unknown change {op!r}")


def candidate(config: dict[str, Any], recipe: dict[str, Any]) -> Candidate | None:
    """The tuner's candidate for the changed config, when the tuner can write the change."""
    if recipe.get("op") not in APPLICABLE:
        return None
    return replace(describe_config(changed(config, recipe)), default=False)
