"""What Triton fills in before it validates a config, and which versions it would load.

Mirrors the server's own steps (backend fields from platform, default file name or the files in
the first version folder; then defaults for version policy, batching and instance groups) so the
rules see the config the server sees. Backend-specific auto-complete (I/O from the model file) is
not emulated here: see `generate` for ONNX.
"""

from __future__ import annotations

import re
from pathlib import Path

from tui.core.modelconfig import proto

ModelConfig = proto.ModelConfig
InstanceGroup = proto.ModelInstanceGroup

ENSEMBLE = "ensemble"
TENSORRT_PLATFORM, TENSORRT_FILE, TENSORRT_BACKEND = "tensorrt_plan", "model.plan", "tensorrt"
ONNX_PLATFORM, ONNX_FILE, ONNX_BACKEND = "onnxruntime_onnx", "model.onnx", "onnxruntime"
TF_GRAPHDEF, TF_SAVEDMODEL = "tensorflow_graphdef", "tensorflow_savedmodel"
TF_GRAPHDEF_FILE, TF_SAVEDMODEL_FILE, TF_BACKEND = (
    "model.graphdef",
    "model.savedmodel",
    "tensorflow",
)
OPENVINO_FILE, OPENVINO_BACKEND = "model.xml", "openvino"
TORCH_PLATFORM, TORCH_PLATFORM_ALT, TORCH_FILE = "pytorch_libtorch", "libtorch", "model.pt"
TORCH_AOTI_PLATFORM, TORCH_AOTI_FILE, TORCH_BACKEND = "torch_aoti", "model.pt2", "pytorch"
PYTHON_FILE, PYTHON_BACKEND = "model.py", "python"

SEQUENCE_IDLE_DEFAULT_US = 1_000_000

# Backends Triton knows by name, and the platform each one implies.
_BACKEND_FAMILY = {
    TF_BACKEND: "tensorflow",
    TENSORRT_BACKEND: "tensorrt",
    ONNX_BACKEND: "onnxruntime",
    TORCH_BACKEND: "pytorch",
}
_PLATFORM_FAMILY = {
    TF_GRAPHDEF: "tensorflow",
    TF_SAVEDMODEL: "tensorflow",
    TENSORRT_PLATFORM: "tensorrt",
    ONNX_PLATFORM: "onnxruntime",
    TORCH_PLATFORM: "pytorch",
    TORCH_AOTI_PLATFORM: "pytorch",
}
# Folders inside a model directory that are not versions.
_NOT_VERSIONS = {"warmup", "initial_state", "configs"}
_LEADING_INT = re.compile(r"\s*[+-]?\d+")


def backend_family(backend: str) -> str | None:
    return _BACKEND_FAMILY.get(backend)


def platform_family(platform: str) -> str | None:
    return _PLATFORM_FAMILY.get(platform)


def subdirs(model_dir: Path | None) -> list[str]:
    if model_dir is None or not model_dir.is_dir():
        return []
    try:
        return sorted(p.name for p in model_dir.iterdir() if p.is_dir())
    except OSError:
        return []


def existing_versions(model_dir: Path | None) -> set[int]:
    """Version numbers of the model folder's version directories, read as Triton reads them."""
    versions: set[int] = set()
    for name in subdirs(model_dir):
        if name in _NOT_VERSIONS or (len(name) > 1 and name.startswith("0")):
            continue
        match = _LEADING_INT.match(name)
        if match:
            versions.add(int(match.group()))
    return versions


def versions_to_load(config: ModelConfig, model_dir: Path | None) -> set[int]:
    """The versions Triton would load under the config's version policy."""
    present = existing_versions(model_dir)
    policy = config.version_policy
    if policy.HasField("specific"):
        return {v for v in policy.specific.versions if v in present}
    if policy.HasField("latest") or not policy.HasField("all"):
        wanted = policy.latest.num_versions if policy.HasField("latest") else 1
        return set(sorted(present, reverse=True)[:wanted])
    return present


def complete_backend_fields(config: ModelConfig, model_name: str, model_dir: Path | None) -> str:
    """Fill name, backend, platform and default_model_filename in place, as Triton does.

    Returns Triton's error message when it cannot determine a backend, else "".
    """
    dirs = subdirs(model_dir)
    first = (model_dir / dirs[0]) if (model_dir is not None and dirs) else None
    content = set()
    if first is not None:
        try:
            content = {p.name for p in first.iterdir()}
        except OSError:
            content = set()
    has_version = first is not None

    def is_file(name: str) -> bool:
        return name in content and first is not None and not (first / name).is_dir()

    def is_dir(name: str) -> bool:
        return name in content and first is not None and (first / name).is_dir()

    if not config.name:
        config.name = model_name
    dmf = config.default_model_filename

    # TensorFlow: the platform is what decides.
    if not config.platform and config.backend in ("", TF_BACKEND):
        if dmf == TF_SAVEDMODEL_FILE:
            config.platform = TF_SAVEDMODEL
        elif dmf == TF_GRAPHDEF_FILE:
            config.platform = TF_GRAPHDEF
        elif not dmf and has_version:
            if is_dir(TF_SAVEDMODEL_FILE):
                config.platform = TF_SAVEDMODEL
            if is_file(TF_GRAPHDEF_FILE):
                config.platform = TF_GRAPHDEF
    if config.platform in (TF_SAVEDMODEL, TF_GRAPHDEF):
        config.backend = config.backend or TF_BACKEND
        if not config.default_model_filename:
            config.default_model_filename = (
                TF_SAVEDMODEL_FILE if config.platform == TF_SAVEDMODEL else TF_GRAPHDEF_FILE
            )
        return ""

    nothing_given = not config.platform and not dmf and has_version
    named_trt = config.platform == TENSORRT_PLATFORM or dmf == TENSORRT_FILE
    if not config.backend and (named_trt or (nothing_given and is_file(TENSORRT_FILE))):
        config.backend = TENSORRT_BACKEND
    if config.backend == TENSORRT_BACKEND:
        config.platform = config.platform or TENSORRT_PLATFORM
        config.default_model_filename = config.default_model_filename or TENSORRT_FILE
        return ""

    named_onnx = config.platform == ONNX_PLATFORM or dmf == ONNX_FILE
    if not config.backend and (named_onnx or (nothing_given and ONNX_FILE in content)):
        config.backend = ONNX_BACKEND
    if config.backend == ONNX_BACKEND:
        config.platform = config.platform or ONNX_PLATFORM
        config.default_model_filename = config.default_model_filename or ONNX_FILE
        return ""

    if not config.backend and (
        dmf == OPENVINO_FILE or (nothing_given and OPENVINO_FILE in content)
    ):
        config.backend = OPENVINO_BACKEND
    if config.backend == OPENVINO_BACKEND:
        config.default_model_filename = config.default_model_filename or OPENVINO_FILE
        return ""

    if not config.backend:
        torch_platforms = (TORCH_PLATFORM, TORCH_PLATFORM_ALT, TORCH_AOTI_PLATFORM)
        if config.platform in torch_platforms or dmf in (TORCH_FILE, TORCH_AOTI_FILE):
            config.backend = TORCH_BACKEND
        elif nothing_given and is_file(TORCH_FILE):
            config.backend, config.platform = TORCH_BACKEND, TORCH_PLATFORM
        elif nothing_given and is_file(TORCH_AOTI_FILE):
            config.backend, config.platform = TORCH_BACKEND, TORCH_AOTI_PLATFORM
    if config.backend == TORCH_BACKEND:
        if not config.platform:
            config.platform = TORCH_PLATFORM
            config.default_model_filename = config.default_model_filename or TORCH_FILE
        elif config.platform == TORCH_AOTI_PLATFORM and not config.default_model_filename:
            config.default_model_filename = TORCH_AOTI_FILE
        return ""

    if not config.backend and (dmf == PYTHON_FILE or (nothing_given and PYTHON_FILE in content)):
        config.backend = PYTHON_BACKEND
    if config.backend == PYTHON_BACKEND:
        config.default_model_filename = config.default_model_filename or PYTHON_FILE
        return ""

    # Custom backend named by the model folder: "<anything>.<backend>".
    if not config.backend and not config.platform and not config.default_model_filename:
        if "." not in model_name:
            return (
                f"Invalid model name: Could not determine backend for model '{model_name}' "
                "with no backend in model configuration. Expected model name of the form "
                "'model.<backend_name>'."
            )
        backend = model_name.split(".", 1)[1]
        config.backend = backend
        config.default_model_filename = f"model.{backend}"
    return ""


def normalize(config: ModelConfig) -> None:
    """Defaults Triton sets before validation (version policy, batching, instance groups)."""
    if not config.HasField("version_policy"):
        config.version_policy.latest.num_versions = 1
    if config.HasField("dynamic_batching"):
        db = config.dynamic_batching
        if not db.preferred_batch_size and config.max_batch_size > 0:
            db.preferred_batch_size.append(config.max_batch_size)
    if config.HasField("sequence_batching"):
        sb = config.sequence_batching
        if sb.max_sequence_idle_microseconds == 0:
            sb.max_sequence_idle_microseconds = SEQUENCE_IDLE_DEFAULT_US
        oldest_unset = sb.HasField("oldest") and not sb.oldest.preferred_batch_size
        if oldest_unset and config.max_batch_size > 0:
            sb.oldest.preferred_batch_size.append(config.max_batch_size)
    if config.HasField("ensemble_scheduling"):
        return
    if not config.instance_group:
        config.instance_group.add(name=config.name)
    for index, group in enumerate(config.instance_group):
        if not group.name:
            group.name = f"{config.name}_{index}"
        if group.count < 1:
            cpu_default = config.backend in (TF_BACKEND, ONNX_BACKEND)
            group.count = 2 if group.kind == InstanceGroup.KIND_CPU and cpu_default else 1


def completed(
    config: ModelConfig, model_name: str, model_dir: Path | None
) -> tuple[ModelConfig, str]:
    """A copy of `config` with Triton's server-side auto-complete and defaults applied."""
    out = ModelConfig()
    out.CopyFrom(config)
    error = complete_backend_fields(out, model_name, model_dir)
    normalize(out)
    return out, error
