"""Deploy a trained model: import it into a repository and load it
(verify: tui.core.workflows.verify).

Each step returns a result that says, in words, what happened and how to fix what failed. The
import is all-or-nothing: `ImportResult.undo()` removes exactly what it created.

An ONNX model may keep its weights in external data files, named relative to the model file: they
are copied beside model.onnx in the same layout. Only files inside the model's folder are taken (a
path that escapes it is refused), and each must hold the bytes the model claims (offset + length).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import onnx
from onnx import helper

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
from tui.core.modelconfig.proto import DataType
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.util.paths import MODEL_LIMIT, copied_mode, read_regular, special_kind
from tui.core.workflows.diagnosis import ModelErrorTracker, first_line

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
    external: list[str] = field(default_factory=list)  # external data files, relative paths

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
        external = external_data(source)
        return ImportPlan(source, repository, name, pretty(config), external=external)
    return python_plan(source, repository, name)


# External data ---------------------------------------------------------------------------------
def _tensors(graph: onnx.GraphProto) -> Iterator[onnx.TensorProto]:
    """Every tensor of the graph that may hold data: initializers, constants, subgraphs'."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield from (sparse.values, sparse.indices)
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                yield from _tensors(sub)


def _claimed(tensor: onnx.TensorProto) -> tuple[str, int]:
    """(location, the byte just past the tensor's data) of an external tensor."""
    info = {entry.key: entry.value for entry in tensor.external_data}
    location = info.get("location", "")
    try:
        offset = int(info.get("offset") or 0)
        if info.get("length"):
            length = int(info["length"])
        else:
            itemsize = helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
            length = itemsize * math.prod(tensor.dims)
    except (ValueError, KeyError, TypeError) as exc:
        raise DeployError(
            f"tensor {tensor.name!r} has external data with an unreadable offset or length: {exc}"
        ) from None
    return location, offset + length


def _inside(folder: Path, location: str, tensor: str) -> Path:
    """The external file `location` names, which must lie inside `folder` (symlinks followed)."""
    relative = Path(location)
    if not location or relative.is_absolute() or ".." in relative.parts:
        raise DeployError(
            f"tensor {tensor!r} names its external data {location!r}: only a path inside the "
            f"model's folder {folder} is copied, and this one is not"
        )
    path = folder / relative
    real, root = path.resolve(), folder.resolve()
    if root not in real.parents:
        raise DeployError(
            f"external data {location!r} (tensor {tensor!r}) resolves to {real}, outside the "
            f"model's folder {folder}: not copied"
        )
    return path


def external_data(source: Path) -> list[str]:
    """The external data files `source` references (relative paths), each checked: inside the
    model's folder, a regular file, as large as the offsets and lengths the model claims."""
    try:
        model = onnx.load_model_from_string(read_regular(source, MODEL_LIMIT))
    except Exception as exc:  # onnx raises DecodeError, OSError, ValueError...
        raise DeployError(f"cannot read {source}: {exc}") from exc
    needed: dict[str, tuple[int, str]] = {}  # location -> (bytes needed, by which tensor)
    for tensor in _tensors(model.graph):
        if tensor.data_location != onnx.TensorProto.EXTERNAL:
            continue
        location, end = _claimed(tensor)
        _inside(source.parent, location, tensor.name)
        key = Path(location).as_posix()
        if key not in needed or end > needed[key][0]:
            needed[key] = (end, tensor.name)
    for location, (end, by) in needed.items():
        path = source.parent / location
        kind = special_kind(path)
        if kind or not path.is_file():
            what = kind or "missing"
            raise DeployError(
                f"{source.name} keeps tensor {by!r} in the external data file {path}, which "
                f"is {what}: put the model's data files beside it"
            )
        size = path.stat().st_size
        if size < end:
            raise DeployError(
                f"external data {path} holds {size} bytes, but tensor {by!r} of {source.name} "
                f"claims bytes up to {end}: the file is truncated or belongs to another model"
            )
    if any(Path(location) == Path("model.onnx") for location in needed):
        raise DeployError(
            f"{source.name} keeps data in a file named model.onnx, the name its copy takes: "
            "rename that data file (onnx.save_model with another location)"
        )
    return sorted(needed)


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
        if plan.kind == "python" and (version_dir / "model.py").is_file():
            result.backups.append(keep_backup(version_dir / "model.py"))  # --force keeps it
        _copy(plan.source, plan.model_file, result)
        for location in plan.external:  # beside model.onnx as beside the source
            _copy(plan.source.parent / location, version_dir / location, result)
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


def _copy(source: Path, target: Path, result: ImportResult) -> None:
    """Copy `source` to `target` through a temporary sibling (a replaced file is kept as a
    backup); what is created is recorded in `result`, folders included, for `undo`."""
    missing = [folder for folder in target.parents if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir()
        result.created.append(folder)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, prefix=".import-") as tmp:
        tmp_path = Path(tmp.name)
        result.created.append(tmp_path)
        with source.open("rb") as src:
            shutil.copyfileobj(src, tmp)
    os.chmod(tmp_path, copied_mode(source))  # not the temporary file's 0600
    if target.is_file():
        result.backups.append(keep_backup(target))
    tmp_path.replace(target)
    result.created[-1] = target


# 2. Load ---------------------------------------------------------------------------------------
_RUNTIME = re.compile(r"ONNXRuntimeError|onnxruntime|External data|\.onnx\b", re.I)
_CONFIG = re.compile(
    r"config|dims|max_batch_size|data.?type|instance.?group|unexpected (inference )?(input|output)",
    re.I,
)


@dataclass
class LoadResult:
    ok: bool
    message: str
    cause: str = ""  # a failure's cause, in words: what to fix (the model's files or its config)


def cause(reason: str) -> str:
    """What a load failure's reason points at: onnxruntime's own errors are about the model's
    files (editing config.pbtxt cannot help), Triton's about the config."""
    line = first_line(reason)
    if _RUNTIME.search(reason):
        return (
            f"onnxruntime could not load the model's files ({line}): the model file or its "
            "external data is at fault, not config.pbtxt"
        )
    if _CONFIG.search(reason):
        return f"config.pbtxt does not fit the model ({line})"
    return f"the server refused the model ({line})"


def load(client: TritonHTTP, name: str, errors: ModelErrorTracker | None = None) -> LoadResult:
    try:
        client.load(name)
    except TritonError as exc:
        detail = errors.reason(name) if errors else None
        reason = str(exc)
        if detail and detail not in reason:
            reason = f"{reason} (server log: {detail})"
        return LoadResult(False, f"{name} failed to load: {reason}", cause(reason))
    return LoadResult(True, f"{name} is READY")


def remove_failed(client: TritonHTTP, imported: ImportResult) -> str:
    """Take a model that failed to load out of the server and the repository; say so."""
    name = imported.plan.name
    with contextlib.suppress(TritonError):
        client.unload(name)
    if imported.backups:  # it replaced a model: undoing would leave neither one whole
        kept = ", ".join(p.name for p in imported.backups)
        return f"{name} replaced a model whose files are kept beside them ({kept}): left in place"
    imported.undo()
    return f"removed {name} from {imported.plan.repository}: a failed import is not left behind"
