"""The model folder around a config: version directories, model files, warmup data.

These are warnings: a config is often written before the model files are copied in, and the
server reports them only when it loads the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tui.core.modelconfig import autofill
from tui.core.modelconfig import proto as pb
from tui.core.modelconfig.diagnostics import WARNING, Finding, MapKey

# Backends whose model file Triton (or the backend) looks for under each version folder.
_FILE_BACKENDS = {
    autofill.ONNX_BACKEND,
    autofill.TENSORRT_BACKEND,
    autofill.TF_BACKEND,
    autofill.TORCH_BACKEND,
    autofill.OPENVINO_BACKEND,
    autofill.PYTHON_BACKEND,
}


def check_layout(config: pb.ModelConfig, model_dir: Path) -> Iterator[Finding]:
    name = config.name
    present = autofill.existing_versions(model_dir)
    policy = config.version_policy
    if policy.HasField("specific"):
        for i, version in enumerate(policy.specific.versions):
            if version not in present:
                yield Finding(
                    f"version {version} is specified for model '{name}', but the version "
                    "directory is not present",
                    ("version_policy", "specific", "versions", i),
                    WARNING,
                )
    to_load = autofill.versions_to_load(config, model_dir)
    if not to_load:
        yield Finding(
            f"at least one version must be available under the version policy of model '{name}'",
            ("version_policy",),
            WARNING,
        )
    filename = config.default_model_filename
    if filename and config.backend in _FILE_BACKENDS:
        for version in sorted(to_load):
            if not (model_dir / str(version) / filename).exists():
                yield Finding(
                    f"unable to find '{version}/{filename}' for model '{name}'",
                    ("default_model_filename",),
                    WARNING,
                )
    for i, warmup in enumerate(config.model_warmup):
        for input_name, sample in warmup.inputs.items():
            data_file = sample.input_data_file
            if data_file and not (model_dir / "warmup" / data_file).is_file():
                yield Finding(
                    f"warmup data file '{data_file}' for input '{input_name}' is not in "
                    f"'{model_dir.name}/warmup'",
                    ("model_warmup", i, "inputs", MapKey(input_name)),
                    WARNING,
                )
