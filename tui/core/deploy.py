"""Deploy a trained model: import it into a repository and load it (verify: tui.core.verify).

Each step returns a result that says, in words, what happened and how to fix what failed. The
import is all-or-nothing: `ImportResult.undo()` removes exactly what it created.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tritonclient.grpc.model_config_pb2 import DataType

from tui.core.client import TritonError, TritonHTTP
from tui.core.diagnosis import ModelErrorTracker
from tui.core.modelconfig import (
    FileStamp,
    GenerateError,
    ModelConfig,
    backup_path,
    config_from_onnx,
    keep_backup,
    pretty,
    save_config,
)
from tui.core.paths import copied_mode

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class DeployError(Exception):
    """A step cannot go on; the message says why and what to do."""


# 1. Import -------------------------------------------------------------------------------------
@dataclass
class ImportPlan:
    source: Path
    repository: Path
    name: str
    config_text: str
    kind: str = "onnx"  # or "python" (a python-backend skeleton for files no backend runs)
    model_py: str = ""

    @property
    def model_dir(self) -> Path:
        return self.repository / self.name

    @property
    def model_file(self) -> Path:
        return self.model_dir / "1" / ("model.onnx" if self.kind == "onnx" else self.source.name)


@dataclass
class ImportResult:
    plan: ImportPlan
    created: list[Path] = field(default_factory=list)  # deepest last
    backups: list[Path] = field(default_factory=list)  # what an overwrite kept of the old model

    def undo(self) -> None:
        """Remove what the import created (a cancelled deploy leaves the repository as it was)."""
        for path in reversed(self.created):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        self.created.clear()


def check_name(repository: Path, name: str) -> Path:
    if not _NAME.match(name) or name in (".", ".."):
        raise DeployError(
            f"model name {name!r} is not allowed: use letters, digits, '_', '-' or '.', "
            "not starting with '.' or '-'"
        )
    target = (repository / name).resolve()
    if target.parent != repository.resolve():
        raise DeployError(f"model name {name!r} would land outside {repository}")
    return target


def plan_import(source: Path, repository: Path, name: str | None = None) -> ImportPlan:
    """Read the model file and generate its config; writes nothing."""
    source = source.expanduser()
    if not source.is_file():
        raise DeployError(f"{source}: no such file")
    if not repository.is_dir():
        raise DeployError(f"model repository {repository} does not exist")
    name = name or source.stem
    check_name(repository, name)
    if source.suffix.lower() == ".onnx":
        try:
            config = config_from_onnx(source, name)
        except GenerateError as exc:
            raise DeployError(
                f"{source.name} cannot be described for the onnxruntime backend ({exc}); "
                "deploy it with the python backend instead (--python)"
            ) from exc
        return ImportPlan(source, repository, name, pretty(config))
    return python_plan(source, repository, name)


# The skeleton is a constant: the weights' file name reaches it as a config parameter read at run
# time, never as text spliced into Python source (a file name is user data, and may be hostile).
WEIGHTS_PARAMETER = "weights_file"  # the name model.py below reads
MODEL_PY = '''"""Python backend skeleton: load the weights file in initialize, run it in execute."""

import json
from pathlib import Path

import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.config = json.loads(args["model_config"])
        weights = self.config["parameters"]["weights_file"]["string_value"]
        self.weights = Path(args["model_repository"]) / args["model_version"] / weights
        if not self.weights.is_file():
            raise pb_utils.TritonModelException(f"weights file {self.weights} is missing")
        # Load your model from self.weights here.

    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            y = x  # replace with your model's computation
            out = pb_utils.Tensor("OUTPUT0", y)
            responses.append(pb_utils.InferenceResponse(output_tensors=[out]))
        return responses

    def finalize(self):
        pass
'''


def python_plan(source: Path, repository: Path, name: str) -> ImportPlan:
    """A python-backend skeleton for a file no backend runs: it loads, echoes, and is yours."""
    if source.name == "model.py":
        raise DeployError(
            f"{source}: the python backend's own file is model.py; rename the weights file"
        )
    config = ModelConfig(name=name, backend="python", max_batch_size=0)
    for tensors, tensor_name in ((config.input, "INPUT0"), (config.output, "OUTPUT0")):
        tensors.add(name=tensor_name, data_type=DataType.TYPE_FP32, dims=[-1])
    config.parameters[WEIGHTS_PARAMETER].string_value = source.name
    return ImportPlan(source, repository, name, pretty(config), kind="python", model_py=MODEL_PY)


def apply_import(plan: ImportPlan, *, overwrite: bool = False) -> ImportResult:
    """Copy the model (never move it) and write its config; all or nothing."""
    result = ImportResult(plan)
    model_dir = check_name(plan.repository, plan.name)
    version_dir = model_dir / "1"
    if model_dir.exists() and not overwrite:
        raise DeployError(
            f"model {plan.name!r} already exists in {plan.repository}: choose another name, "
            "or confirm overwriting it"
        )
    try:
        if not model_dir.exists():
            model_dir.mkdir()
            result.created.append(model_dir)
        if not version_dir.exists():
            version_dir.mkdir()
            result.created.append(version_dir)
        with tempfile.NamedTemporaryFile(dir=version_dir, delete=False, prefix=".import-") as tmp:
            tmp_path = Path(tmp.name)
            result.created.append(tmp_path)
            with plan.source.open("rb") as src:
                shutil.copyfileobj(src, tmp)
        os.chmod(tmp_path, copied_mode(plan.source))  # not the temporary file's 0600
        replaced = [plan.model_file]
        if plan.kind == "python":
            replaced.append(version_dir / "model.py")
        result.backups = [keep_backup(p) for p in replaced if p.is_file()]  # --force keeps them
        tmp_path.replace(plan.model_file)
        result.created[-1] = plan.model_file
        if plan.kind == "python":
            (version_dir / "model.py").write_text(plan.model_py)
            result.created.append(version_dir / "model.py")
        config = model_dir / "config.pbtxt"
        expected = None if overwrite else FileStamp.missing()
        kept = FileStamp.of(backup_path(config))
        save_config(config, plan.config_text, repository_root=plan.repository, expected=expected)
        if FileStamp.of(backup_path(config)) != kept:
            result.backups.append(backup_path(config))
        if config not in result.created and not overwrite:
            result.created.append(config)
    except BaseException:
        result.undo()
        raise
    return result


# 2. Load ---------------------------------------------------------------------------------------
@dataclass
class LoadResult:
    ok: bool
    message: str


def load(client: TritonHTTP, name: str, errors: ModelErrorTracker | None = None) -> LoadResult:
    try:
        client.load(name)
    except TritonError as exc:
        detail = errors.reason(name) if errors else None
        reason = str(exc)
        if detail and detail not in reason:
            reason = f"{reason} (server log: {detail})"
        return LoadResult(False, f"{name} failed to load: {reason}")
    return LoadResult(True, f"{name} is READY")
