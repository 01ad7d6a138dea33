"""Config snippets filled from a model's own inputs, for insertion at an editor's cursor.

Every snippet is built as a `ModelConfig` and printed, so each one parses and merges into a
config (text_format allows a top-level field to appear in any order).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from tui.core.modelconfig import proto as pb
from tui.core.modelconfig.pretty import pretty

WarmupData = str  # "zero" or "random"

_BLOCK = re.compile(r"^([A-Za-z_]+)\s*\{", re.M)  # a top-level message field: `name {`


def single_field_line(config: str, snippet: str) -> tuple[str, int] | None:
    """(field, 0-based line) when `snippet` sets a message field `config` already has at the top
    level (one such field only: a second one is invalid; `name [ … ]` lists may repeat)."""
    first = _BLOCK.match(snippet.lstrip())
    if first is None:
        return None
    field = first.group(1)
    found = re.search(rf"^{field}\s*\{{", config, re.M)
    return None if found is None else (field, config.count("\n", 0, found.start()))


def dynamic_batching(
    max_queue_delay_microseconds: int = 100, preferred_batch_size: Sequence[int] = ()
) -> str:
    config = pb.ModelConfig()
    config.dynamic_batching.SetInParent()
    config.dynamic_batching.max_queue_delay_microseconds = max_queue_delay_microseconds
    config.dynamic_batching.preferred_batch_size.extend(preferred_batch_size)
    return pretty(config)


def instance_group(kind: str = "KIND_GPU", count: int = 1, gpus: Sequence[int] = ()) -> str:
    if kind not in ("KIND_GPU", "KIND_CPU", "KIND_AUTO", "KIND_MODEL"):
        raise ValueError(f"unknown instance group kind {kind!r}")
    config = pb.ModelConfig()
    group = config.instance_group.add(count=count)
    group.kind = pb.ModelInstanceGroup.Kind.Value(kind)
    if kind == "KIND_GPU":
        group.gpus.extend(gpus)
    return pretty(config)


def model_warmup(
    model: pb.ModelConfig, data: WarmupData = "zero", batch_size: int = 1, count: int = 1
) -> str:
    """One warmup sample covering every input: the cold-start fix (first request is fast).

    Variable-size dimensions become 1, since Triton needs a concrete shape for warmup data.
    """
    if data not in ("zero", "random"):
        raise ValueError(f"warmup data must be 'zero' or 'random', not {data!r}")
    config = pb.ModelConfig()
    warmup = config.model_warmup.add(name=f"{data}_warmup", batch_size=batch_size)
    if count > 1:
        warmup.count = count
    for io in model.input:
        sample = warmup.inputs[io.name]
        sample.data_type = io.data_type
        sample.dims.extend([1 if d == -1 else d for d in io.dims] or [1])
        if data == "zero" or io.data_type == pb.TYPE_STRING:
            sample.zero_data = True
        else:
            sample.random_data = True
    return pretty(config)


def onnx_tensorrt(precision_mode: str = "FP16", max_workspace_size_bytes: int = 1 << 30) -> str:
    """ONNX Runtime's TensorRT execution provider (GPU only)."""
    if precision_mode not in ("FP32", "FP16", "INT8"):
        raise ValueError(f"precision_mode must be FP32, FP16 or INT8, not {precision_mode!r}")
    config = pb.ModelConfig()
    accelerator = config.optimization.execution_accelerators.gpu_execution_accelerator.add()
    accelerator.name = "tensorrt"
    accelerator.parameters["precision_mode"] = precision_mode
    accelerator.parameters["max_workspace_size_bytes"] = str(max_workspace_size_bytes)
    return pretty(config)


def response_cache(enable: bool = True) -> str:
    config = pb.ModelConfig()
    config.response_cache.SetInParent()
    config.response_cache.enable = enable
    return pretty(config)


def version_policy(
    kind: str = "latest", num_versions: int = 1, versions: Sequence[int] = ()
) -> str:
    config = pb.ModelConfig()
    policy = config.version_policy
    if kind == "latest":
        policy.latest.num_versions = num_versions
    elif kind == "all":
        policy.all.SetInParent()
    elif kind == "specific":
        if not versions:
            raise ValueError("a specific version policy needs versions")
        policy.specific.versions.extend(versions)
    else:
        raise ValueError(f"version policy kind must be latest, all or specific, not {kind!r}")
    return pretty(config)


# The editor's snippet menu: title -> snippet for the model being edited (defaults filled in).
SNIPPETS: dict[str, Callable[[pb.ModelConfig], str]] = {
    "dynamic_batching": lambda model: dynamic_batching(),
    "instance_group (GPU)": lambda model: instance_group("KIND_GPU", 1),
    "instance_group (CPU x2)": lambda model: instance_group("KIND_CPU", 2),
    "model_warmup (zero data)": lambda model: model_warmup(model, "zero"),
    "model_warmup (random data)": lambda model: model_warmup(model, "random"),
    "ONNX Runtime TensorRT accelerator": lambda model: onnx_tensorrt(),
    "response_cache": lambda model: response_cache(),
    "version_policy (latest 1)": lambda model: version_policy("latest", 1),
    "version_policy (all)": lambda model: version_policy("all"),
}
