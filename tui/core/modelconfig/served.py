"""The model config as the server's JSON API carries it, typed.

`GET /v2/models/{name}/config` answers with the effective config (the file completed by the
server) as JSON, with the protobuf's field names. The tuner, benchmark, cold-start probe, infer
and advice read it in that form, and the tuner loads a variant of it back through the same API,
so it stays a JSON dict; `ServedConfig` names the fields they use (the server may send more: a
TypedDict is a dict at run time). Parsing a config.pbtxt file gives the protobuf instead
(`tui.core.modelconfig.proto.ModelConfig`).

A leaf module: import it under TYPE_CHECKING where the package's imports (onnx) would cost.
"""

from __future__ import annotations

from typing import Any, TypedDict


class ServedTensor(TypedDict, total=False):
    """One `input` or `output` entry."""

    name: str
    data_type: str  # "TYPE_FP32"
    dims: list[int]
    optional: bool
    reshape: dict[str, Any]
    label_filename: str


class ServedInstanceGroup(TypedDict, total=False):
    name: str
    kind: str  # "KIND_CPU", "KIND_GPU", ...
    count: int
    gpus: list[int]


class ServedConfig(TypedDict, total=False):
    """The fields of a served config the console reads or sets."""

    name: str
    platform: str
    backend: str
    runtime: str
    max_batch_size: int
    input: list[ServedTensor]
    output: list[ServedTensor]
    instance_group: list[ServedInstanceGroup]
    dynamic_batching: dict[str, Any]
    sequence_batching: dict[str, Any]
    ensemble_scheduling: dict[str, Any]
    default_model_filename: str
    parameters: dict[str, Any]
    model_warmup: list[dict[str, Any]]
    response_cache: dict[str, Any]
    optimization: dict[str, Any]
    version_policy: dict[str, Any]
