"""A config.pbtxt for an ONNX model, read with the `onnx` package.

Inputs, outputs, data types and dims (-1 for dynamic ones). When the first dimension of every
input and output is dynamic the model batches: `max_batch_size` is set (Triton's auto-complete
default is 4) and that dimension is dropped from `dims`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import onnx

from tui.core.modelconfig import autofill
from tui.core.modelconfig import proto as pb
from tui.core.modelconfig.pretty import pretty
from tui.core.util.paths import MODEL_LIMIT, read_regular

DEFAULT_MAX_BATCH_SIZE = 4  # tritonserver --backend-config=default-max-batch-size

_ONNX_TO_TRITON: dict[int, pb.DataType.ValueType] = {
    onnx.TensorProto.BOOL: pb.TYPE_BOOL,
    onnx.TensorProto.UINT8: pb.TYPE_UINT8,
    onnx.TensorProto.UINT16: pb.TYPE_UINT16,
    onnx.TensorProto.UINT32: pb.TYPE_UINT32,
    onnx.TensorProto.UINT64: pb.TYPE_UINT64,
    onnx.TensorProto.INT8: pb.TYPE_INT8,
    onnx.TensorProto.INT16: pb.TYPE_INT16,
    onnx.TensorProto.INT32: pb.TYPE_INT32,
    onnx.TensorProto.INT64: pb.TYPE_INT64,
    onnx.TensorProto.FLOAT16: pb.TYPE_FP16,
    onnx.TensorProto.FLOAT: pb.TYPE_FP32,
    onnx.TensorProto.DOUBLE: pb.TYPE_FP64,
    onnx.TensorProto.BFLOAT16: pb.TYPE_BF16,
    onnx.TensorProto.STRING: pb.TYPE_STRING,
}


class GenerateError(Exception):
    """The model cannot be described by a config (missing file, unsupported tensor)."""


@dataclass(frozen=True)
class TensorSpec:
    name: str
    data_type: int  # a Triton DataType value
    shape: tuple[int, ...]  # full ONNX shape, -1 for dynamic dimensions


def find_onnx_model(model_dir: Path) -> Path:
    """`<model_dir>/<highest version>/model.onnx`, else `<model_dir>/model.onnx`."""
    for version in sorted(autofill.existing_versions(model_dir), reverse=True):
        candidate = model_dir / str(version) / autofill.ONNX_FILE
        if candidate.exists():
            return candidate
    candidate = model_dir / autofill.ONNX_FILE
    if candidate.exists():
        return candidate
    raise GenerateError(f"no {autofill.ONNX_FILE} in {model_dir} or its version folders")


def _spec(value: onnx.ValueInfoProto) -> TensorSpec:
    tensor_type = value.type.tensor_type
    if not value.type.HasField("tensor_type"):
        raise GenerateError(f"tensor '{value.name}' is not a dense tensor")
    data_type = _ONNX_TO_TRITON.get(tensor_type.elem_type)
    if data_type is None:
        name = onnx.TensorProto.DataType.Name(tensor_type.elem_type)
        raise GenerateError(f"tensor '{value.name}' has data type {name}, which Triton lacks")
    if not tensor_type.HasField("shape"):
        raise GenerateError(f"tensor '{value.name}' has no shape in the model")
    shape = tuple(
        d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else -1
        for d in tensor_type.shape.dim
    )
    return TensorSpec(value.name, data_type, shape)


def model_tensors(model_path: Path) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """Graph inputs (initializers excluded) and outputs of an ONNX file."""
    try:
        model = onnx.load_model_from_string(read_regular(model_path, MODEL_LIMIT))
    except Exception as exc:  # onnx raises DecodeError, OSError, ValueError...
        raise GenerateError(f"cannot read {model_path}: {exc}") from exc
    initializers = {t.name for t in model.graph.initializer}
    inputs = [_spec(v) for v in model.graph.input if v.name not in initializers]
    outputs = [_spec(v) for v in model.graph.output]
    return inputs, outputs


def _fill(io: pb.ModelInput | pb.ModelOutput, spec: TensorSpec, batching: bool) -> None:
    io.name = spec.name
    io.data_type = spec.data_type  # type: ignore[assignment]
    dims = spec.shape[1:] if batching else spec.shape
    if dims:
        io.dims.extend(dims)
    elif batching:  # only a batch dimension: one element per request
        io.dims.append(1)
        io.reshape.SetInParent()
    else:
        raise GenerateError(f"tensor '{spec.name}' is a scalar; Triton needs a dimension")


def config_from_onnx(
    model_path: Path,
    name: str,
    *,
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
    dynamic_batching: bool = False,
) -> pb.ModelConfig:
    inputs, outputs = model_tensors(model_path)
    if not inputs or not outputs:
        raise GenerateError(f"{model_path} declares no inputs or no outputs")
    tensors = inputs + outputs
    batching = max_batch_size > 0 and all(t.shape and t.shape[0] == -1 for t in tensors)
    config = pb.ModelConfig(name=name, backend=autofill.ONNX_BACKEND)
    if batching:
        config.max_batch_size = max_batch_size
    for spec in inputs:
        _fill(config.input.add(), spec, batching)
    for spec in outputs:
        _fill(config.output.add(), spec, batching)
    if dynamic_batching and batching:
        config.dynamic_batching.SetInParent()
    return config


def generate_config(
    model_dir: Path | str,
    *,
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE,
    dynamic_batching: bool = False,
) -> str:
    """config.pbtxt text for the ONNX model in `model_dir` (named after the folder)."""
    folder = Path(model_dir)
    config = config_from_onnx(
        find_onnx_model(folder),
        folder.resolve().name,
        max_batch_size=max_batch_size,
        dynamic_batching=dynamic_batching,
    )
    return pretty(config)
