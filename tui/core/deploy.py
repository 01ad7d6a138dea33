"""Deploy a trained model: import it into a repository, load it, verify it against onnxruntime.

Each step returns a result that says, in words, what happened and how to fix what failed. The
import is all-or-nothing: `ImportResult.undo()` removes exactly what it created.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tui.core.client import TritonError, TritonHTTP
from tui.core.diagnosis import ModelErrorTracker
from tui.core.modelconfig import (
    FileStamp,
    GenerateError,
    config_from_onnx,
    parse_config,
    pretty,
    save_config,
)
from tui.core.modelconfig.generate import TensorSpec, model_tensors

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_TYPE_NAMES = {
    "TYPE_BOOL": "BOOL",
    "TYPE_UINT8": "UINT8",
    "TYPE_UINT16": "UINT16",
    "TYPE_UINT32": "UINT32",
    "TYPE_UINT64": "UINT64",
    "TYPE_INT8": "INT8",
    "TYPE_INT16": "INT16",
    "TYPE_INT32": "INT32",
    "TYPE_INT64": "INT64",
    "TYPE_FP16": "FP16",
    "TYPE_FP32": "FP32",
    "TYPE_FP64": "FP64",
    "TYPE_STRING": "BYTES",
    "TYPE_BF16": "BF16",
}


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


def python_plan(source: Path, repository: Path, name: str) -> ImportPlan:
    """A python-backend skeleton for a file no backend runs: it loads, echoes, and is yours."""
    config = (
        f'name: "{name}"\nbackend: "python"\nmax_batch_size: 0\n'
        'input [\n  {\n    name: "INPUT0"\n    data_type: TYPE_FP32\n    dims: [ -1 ]\n  }\n]\n'
        'output [\n  {\n    name: "OUTPUT0"\n    data_type: TYPE_FP32\n    dims: [ -1 ]\n  }\n]\n'
    )
    model_py = f'''"""Python backend for {name}: load {source.name} in initialize, run it."""

import json
from pathlib import Path

import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        self.config = json.loads(args["model_config"])
        self.weights = Path(args["model_repository"]) / args["model_version"] / "{source.name}"
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
    return ImportPlan(source, repository, name, config, kind="python", model_py=model_py)


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
        tmp_path.replace(plan.model_file)
        result.created[-1] = plan.model_file
        if plan.kind == "python":
            (version_dir / "model.py").write_text(plan.model_py)
            result.created.append(version_dir / "model.py")
        config = model_dir / "config.pbtxt"
        expected = None if overwrite else FileStamp.missing()
        save_config(config, plan.config_text, repository_root=plan.repository, expected=expected)
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


# 3. Verify -------------------------------------------------------------------------------------
@dataclass
class Mismatch:
    tensor: str
    message: str
    line: int = 0  # in config.pbtxt, 1-based; 0 when unknown
    col: int = 0


def _config_shape(entry: Any, batching: bool) -> list[int]:
    dims = list(entry.reshape.shape) if entry.HasField("reshape") else list(entry.dims)
    return ([-1] if batching else []) + dims


def _compatible(config_shape: list[int], onnx_shape: tuple[int, ...]) -> bool:
    if len(config_shape) != len(onnx_shape):
        return False
    return all(c == o or o == -1 or c == -1 for c, o in zip(config_shape, onnx_shape, strict=True))


def check_against_onnx(config_text: str, onnx_path: Path) -> list[Mismatch]:
    """Names, data types, dims and batching of the config against the ONNX graph."""
    parsed = parse_config(config_text)
    if parsed.config is None:
        d = parsed.diagnostics[0]
        return [Mismatch("", f"config.pbtxt does not parse: {d.message}", d.line, d.col)]
    config, locator = parsed.config, parsed.locator
    assert locator is not None
    onnx_in, onnx_out = model_tensors(onnx_path)
    batching = config.max_batch_size > 0
    problems: list[Mismatch] = []
    for kind, entries, graph in (
        ("input", config.input, onnx_in),
        ("output", config.output, onnx_out),
    ):
        by_name: dict[str, TensorSpec] = {t.name: t for t in graph}
        for i, entry in enumerate(entries):
            line, col = locator.find((kind, i, "name"))
            spec = by_name.get(entry.name)
            if spec is None:
                problems.append(
                    Mismatch(
                        entry.name,
                        (
                            f"config {kind} '{entry.name}' is not an {kind} of the ONNX model "
                            f"(its {kind}s: {', '.join(sorted(by_name))})"
                        ),
                        line,
                        col,
                    )
                )
                continue
            if entry.data_type != spec.data_type:
                line, col = locator.find((kind, i, "data_type"))
                problems.append(
                    Mismatch(
                        entry.name,
                        (
                            f"{kind} '{entry.name}': config data type "
                            f"{_dtype(entry.data_type)} but the ONNX model has "
                            f"{_dtype(spec.data_type)}"
                        ),
                        line,
                        col,
                    )
                )
            shape = _config_shape(entry, batching)
            if not _compatible(shape, spec.shape):
                line, col = locator.find((kind, i, "dims"))
                batch_note = " (with the batch dimension max_batch_size adds)" if batching else ""
                problems.append(
                    Mismatch(
                        entry.name,
                        (
                            f"{kind} '{entry.name}': config shape {shape}{batch_note} does not "
                            "match the "
                            f"ONNX shape {list(spec.shape)}"
                        ),
                        line,
                        col,
                    )
                )
        configured = {e.name for e in entries}
        if kind == "input":
            for spec in graph:
                if spec.name not in configured:
                    problems.append(
                        Mismatch(
                            spec.name, (f"ONNX input '{spec.name}' is missing from the config")
                        )
                    )
    return problems


def _dtype(value: int) -> str:
    from tritonclient.grpc import model_config_pb2

    return model_config_pb2.DataType.Name(value)


@dataclass
class OutputCheck:
    name: str
    max_abs: float
    max_rel: float
    ok: bool
    note: str = ""


@dataclass
class VerifyReport:
    outputs: list[OutputCheck]
    problems: list[Mismatch]
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.outputs) and all(o.ok for o in self.outputs)


def _random(datatype: str, shape: list[int], rng: np.random.Generator) -> np.ndarray:
    if datatype == "BYTES":
        return np.array([b"triton"] * int(np.prod(shape)), dtype=object).reshape(shape)
    if datatype == "BOOL":
        return rng.integers(0, 2, shape).astype(bool)
    dtype = np.dtype(
        {"FP16": "float16", "FP32": "float32", "FP64": "float64"}.get(datatype, datatype.lower())
    )
    if dtype.kind == "f":
        return rng.random(shape).astype(dtype)
    return rng.integers(0, 8, shape).astype(dtype)


def verify(
    url: str,
    name: str,
    onnx_path: Path,
    config_text: str,
    *,
    atol: float = 1e-4,
    rtol: float = 1e-3,
    shapes: dict[str, list[int]] | None = None,
    seed: int = 0,
) -> VerifyReport:
    """Send the same random inputs through Triton and through onnxruntime; compare each output."""
    import onnxruntime as ort
    import tritonclient.http as httpclient
    from tritonclient.utils import InferenceServerException

    problems = check_against_onnx(config_text, onnx_path)
    client = httpclient.InferenceServerClient(url)
    try:
        meta = client.get_model_metadata(name)
    except InferenceServerException as exc:
        problems.append(Mismatch(name, f"cannot read the served model's metadata: {exc}"))
        return VerifyReport([], problems, atol, rtol)
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray] = {}
    requests = []
    for t in meta["inputs"]:
        shape = (shapes or {}).get(t["name"]) or [1 if d == -1 else d for d in t["shape"]]
        arrays[t["name"]] = _random(t["datatype"], shape, rng)
        inp = httpclient.InferInput(t["name"], list(shape), t["datatype"])
        inp.set_data_from_numpy(arrays[t["name"]])
        requests.append(inp)
    try:
        served = client.infer(name, requests)
    except InferenceServerException as exc:
        problems.append(Mismatch(name, f"Triton could not run the model: {exc.message()}"))
        return VerifyReport([], problems, atol, rtol)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    feed = {i.name: arrays[i.name] for i in session.get_inputs() if i.name in arrays}
    try:
        direct = dict(
            zip([o.name for o in session.get_outputs()], session.run(None, feed), strict=True)
        )
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
        problems.append(Mismatch(name, f"onnxruntime could not run these inputs: {exc}"))
        return VerifyReport([], problems, atol, rtol)
    checks = []
    for t in meta["outputs"]:
        got = served.as_numpy(t["name"])
        want = direct.get(t["name"])
        if got is None or want is None:
            checks.append(
                OutputCheck(t["name"], float("inf"), float("inf"), False, "missing on one side")
            )
            continue
        if got.shape != want.shape:
            checks.append(
                OutputCheck(
                    t["name"],
                    float("inf"),
                    float("inf"),
                    False,
                    f"shape {list(got.shape)} from Triton vs {list(want.shape)} from onnxruntime",
                )
            )
            continue
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        scale = np.maximum(np.abs(want.astype(np.float64)), 1e-12)
        max_abs = float(diff.max(initial=0.0))
        max_rel = float((diff / scale).max(initial=0.0))
        ok = bool(np.all(diff <= atol + rtol * np.abs(want.astype(np.float64))))
        checks.append(OutputCheck(t["name"], max_abs, max_rel, ok))
    return VerifyReport(checks, problems, atol, rtol)
