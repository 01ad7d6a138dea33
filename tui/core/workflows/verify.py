"""Verify a served model against onnxruntime: the check the deploy flow's third step runs.

Static first (the config's names, data types, dims and batching against the ONNX graph, each
problem pointing at its line in config.pbtxt), then numeric: the same random inputs through Triton
and through onnxruntime, every output compared within a tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from tui.core.bench.inputs import answer_cap, output_specs
from tui.core.modelconfig import parse_config, proto
from tui.core.modelconfig.generate import TensorSpec, model_tensors
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.workflows.infer import InferOptions, InferRequest, build_request, check_ready, send

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig


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
    sides: list[
        tuple[str, Sequence[proto.ModelInput | proto.ModelOutput], Sequence[TensorSpec]]
    ] = [
        ("input", config.input, onnx_in),
        ("output", config.output, onnx_out),
    ]
    for kind, entries, graph in sides:
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


def _dtype(value: int) -> str:  # a DataType number (an ONNX spec carries it as an int)
    return proto.DataType.Name(cast("proto.DataType.ValueType", value))


# Polygraphy's defaults (polygraphy run --atol/--rtol, CompareFunc.simple, check_error_stat
# "elemwise"): an element is a mismatch when its absolute error is over atol AND its relative
# error (to onnxruntime's value, the reference) over rtol.
ATOL = 1e-5
RTOL = 1e-5
EPSILON = 2.220446049250313e-16  # added to a reference value of 0 for the relative error
# The error histogram's bins: absolute error up to each bound, and one for anything above.
HISTOGRAM_BOUNDS = (0.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
HISTOGRAM_LABELS = ("0", *(f"≤{b:g}" for b in HISTOGRAM_BOUNDS[1:]), f">{HISTOGRAM_BOUNDS[-1]:g}")


@dataclass
class OutputCheck:
    name: str
    max_abs: float
    max_rel: float
    ok: bool
    note: str = ""
    mismatches: int = 0  # elements over both tolerances
    size: int = 0
    worst: tuple[int, ...] = ()  # index of the largest absolute error
    served: float = 0.0  # the values at `worst`: Triton's and onnxruntime's
    direct: float = 0.0
    histogram: list[int] = field(default_factory=list)  # counts per HISTOGRAM_BOUNDS bin

    def lines(self) -> list[str]:
        """The check in words: a line for the verdict, one for the worst element, one for the
        histogram (the CLI prints them; the verify screen shows them)."""
        verdict = "ok" if self.ok else "MISMATCH"
        head = f"{self.name}: {verdict}  max abs {self.max_abs:.3g}  max rel {self.max_rel:.3g}"
        if self.size:
            head += f"  mismatches {self.mismatches}/{self.size}"
        out = [head + (f"  ({self.note})" if self.note else "")]
        if self.size:
            out.append(
                f"  worst at {list(self.worst)}: Triton {self.served:.6g}, "
                f"onnxruntime {self.direct:.6g}"
            )
            bins = zip(HISTOGRAM_LABELS, self.histogram, strict=True)
            out.append("  |error|: " + "  ".join(f"{label}: {n}" for label, n in bins if n))
        return out


def compare_output(
    name: str,
    got: np.ndarray[Any, Any] | None,
    want: np.ndarray[Any, Any] | None,
    atol: float,
    rtol: float,
) -> OutputCheck:
    """Triton's output `got` against onnxruntime's `want`, as Polygraphy compares them."""
    inf = float("inf")
    if got is None or want is None:
        return OutputCheck(name, inf, inf, False, "missing on one side")
    if got.shape != want.shape:
        return OutputCheck(
            name,
            inf,
            inf,
            False,
            f"shape {list(got.shape)} from Triton vs {list(want.shape)} from onnxruntime",
        )
    if got.dtype.kind in "OSU" or want.dtype.kind in "OSU":
        same = bool(np.array_equal(got, want))
        return OutputCheck(
            name, 0.0 if same else inf, 0.0 if same else inf, same, "compared as text"
        )
    served, direct = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        # As Polygraphy: NaN anywhere, and infinities (its infinities_compare_equal is off by
        # default), give a NaN error, which counts as a mismatch; onnxruntime's zeros get an
        # epsilon before dividing.
        diff = np.abs(served - direct)
        rel = diff / np.abs(np.where(direct == 0, EPSILON, direct))
    bad = ((diff > atol) | np.isnan(diff)) & ((rel > rtol) | np.isnan(rel))
    if diff.size == 0:
        return OutputCheck(name, 0.0, 0.0, True, size=0)
    ranked = np.where(np.isnan(diff), inf, diff)
    worst = np.unravel_index(int(np.argmax(ranked)), diff.shape)
    where = np.searchsorted(HISTOGRAM_BOUNDS, np.nan_to_num(diff, nan=inf).ravel(), side="left")
    histogram = [int(n) for n in np.bincount(where, minlength=len(HISTOGRAM_LABELS))]
    return OutputCheck(
        name,
        float(np.max(ranked)),
        float(np.max(np.where(np.isnan(rel), inf, rel))),
        not bool(bad.any()),
        mismatches=int(bad.sum()),
        size=int(diff.size),
        worst=tuple(int(i) for i in worst),
        served=float(served[worst]),
        direct=float(direct[worst]),
        histogram=histogram,
    )


@dataclass
class VerifyReport:
    outputs: list[OutputCheck]
    problems: list[Mismatch]
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.outputs) and all(o.ok for o in self.outputs)


def _random(datatype: str, shape: list[int], rng: np.random.Generator) -> np.ndarray[Any, Any]:
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
    client = TritonHTTP(url)  # bounded in time and size, unlike tritonclient's own client
    try:
        meta = client.model_metadata(name)
    except TritonError as exc:
        problems.append(Mismatch(name, f"cannot read the served model's metadata: {exc}"))
        return VerifyReport([], problems, atol, rtol)
    rng = np.random.default_rng(seed)
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    requests = []
    for t in meta["inputs"]:
        shape = (shapes or {}).get(t["name"]) or [1 if d == -1 else d for d in t["shape"]]
        arrays[t["name"]] = _random(t["datatype"], shape, rng)
        inp = httpclient.InferInput(t["name"], list(shape), t["datatype"])
        inp.set_data_from_numpy(arrays[t["name"]])
        requests.append(inp)
    body, json_size = httpclient.InferenceServerClient.generate_request_body(requests)
    try:
        answer, header_length = client.infer(
            name, body, json_size, answer_cap(output_specs(meta), 1, binary=True)
        )
    except TritonError as exc:
        problems.append(Mismatch(name, f"Triton could not run the model: {exc}"))
        return VerifyReport([], problems, atol, rtol)
    try:
        served = httpclient.InferenceServerClient.parse_response_body(
            answer, header_length=header_length
        )
    except (ValueError, KeyError, InferenceServerException) as exc:
        problems.append(Mismatch(name, f"Triton's answer could not be read: {exc}"))
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
    checks = [
        compare_output(t["name"], served.as_numpy(t["name"]), direct.get(t["name"]), atol, rtol)
        for t in meta["outputs"]
    ]
    return VerifyReport(checks, problems, atol, rtol)


# Any loaded model (`triton-tui verify`, `V`) --------------------------------------------------
@dataclass
class ServedVerify:
    """The verdict on a served model: `report` when the comparison ran, else `reason` (one line:
    why it cannot compare) and, for an ensemble, its ONNX steps to verify one by one."""

    model: str
    report: VerifyReport | None = None
    reason: str = ""
    steps: list[str] = field(default_factory=list)
    model_file: Path | None = None
    config_file: Path | None = None
    request: InferRequest | None = None  # the inputs both sides ran

    @property
    def exit_code(self) -> int:
        """0 agree, 1 disagree, 99 could not run (`triton-tui verify`)."""
        if self.report is None:
            return 99
        return 0 if self.report.ok else 1


def _is_onnx(metadata: dict[str, Any], config: ServedConfig) -> bool:
    platform = str(metadata.get("platform") or config.get("platform") or "")
    backend = str(config.get("backend") or "")
    return platform == "onnxruntime_onnx" or backend == "onnxruntime"


def served_version(metadata: dict[str, Any]) -> str:
    """The version the server serves (the highest it lists, as its default policy)."""
    versions = [str(v) for v in metadata.get("versions", []) if str(v).isdigit()]
    return max(versions, key=int) if versions else "1"


def verify_served(
    client: TritonHTTP,
    options: InferOptions,
    repository: Path | None,
    *,
    atol: float = ATOL,
    rtol: float = RTOL,
) -> ServedVerify:
    """Polygraphy's comparison for any loaded ONNX model: `options` (infer.InferOptions) build
    the inputs; the same ones go through Triton and through onnxruntime on the file the server
    serves from `repository` (this machine's copy)."""
    import onnxruntime as ort

    name = options.model
    check_ready(client, name)
    metadata = client.model_metadata(name)
    config = client.model_config(name)
    if not _is_onnx(metadata, config):
        kind = str(config.get("platform") or config.get("backend") or metadata.get("platform"))
        if kind == "ensemble":
            steps = [
                str(s.get("model_name"))
                for s in config.get("ensemble_scheduling", {}).get("step", [])
            ]
            onnx_steps = [s for s in steps if _step_is_onnx(client, s)]
            said = ", ".join(onnx_steps) if onnx_steps else "none of its steps is ONNX"
            return ServedVerify(
                name,
                reason=f"{name} is an ensemble: verify each ONNX step on its own ({said})",
                steps=onnx_steps,
            )
        return ServedVerify(
            name,
            reason=f"{name} runs on '{kind}', not ONNX: there is no model file to run in "
            "onnxruntime (infer works on it)",
        )
    if repository is None:
        return ServedVerify(
            name,
            reason="verify runs the model file itself: give the server's repository on this "
            "machine (--model-repository DIR with -u)",
        )
    folder = repository / name
    version = served_version(metadata)
    filename = str(config.get("default_model_filename") or "model.onnx")
    model_file = folder / version / filename
    if model_file.resolve().parent != (folder / version).resolve():
        return ServedVerify(name, reason=f"default_model_filename {filename!r} leaves {folder}")
    if not model_file.is_file():
        return ServedVerify(name, reason=f"{model_file}: not found (the served version {version})")
    config_file = folder / "config.pbtxt"
    problems: list[Mismatch] = []
    if config_file.is_file():
        problems = check_against_onnx(config_file.read_text(errors="replace"), model_file)
    request = build_request(metadata, config, options)
    served = send(client, request, timeout=options.timeout)
    session = ort.InferenceSession(str(model_file), providers=["CPUExecutionProvider"])
    feed = {
        i.name: request.inputs[i.name] for i in session.get_inputs() if i.name in request.inputs
    }
    try:
        direct = dict(
            zip([o.name for o in session.get_outputs()], session.run(None, feed), strict=True)
        )
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
        problems.append(Mismatch(name, f"onnxruntime could not run these inputs: {exc}"))
        direct = {}
    checks = [
        compare_output(s.name, served.outputs.get(s.name), direct.get(s.name), atol, rtol)
        for s in request.outputs
    ]
    report = VerifyReport(checks, problems, atol, rtol)
    return ServedVerify(
        name, report, model_file=model_file, config_file=config_file, request=request
    )


def _step_is_onnx(client: TritonHTTP, model: str) -> bool:
    try:
        return _is_onnx(client.model_metadata(model), client.model_config(model))
    except TritonError:
        return False


def verdict_lines(verdict: ServedVerify) -> list[str]:
    """The verdict in words (`triton-tui verify` prints them, the verify screen shows them)."""
    report = verdict.report
    if report is None:
        out = [f"cannot verify: {verdict.reason}"]
        out += [f"  triton-tui verify -m {step}" for step in verdict.steps]
        return out
    out = [f"{verdict.model}: Triton against onnxruntime on {verdict.model_file}"]
    out += [f"input {note}" for note in (verdict.request.notes if verdict.request else [])]
    for mismatch in report.problems:
        where = f"{verdict.config_file}:{mismatch.line}:{mismatch.col}: " if mismatch.line else ""
        out.append(f"config: {where}{mismatch.message}")
    for check in report.outputs:
        out += check.lines()
    tolerance = f"atol {report.atol:g}, rtol {report.rtol:g}"
    if report.ok:
        out.append(f"agree: every output within {tolerance}")
    else:
        bad = [c.name for c in report.outputs if not c.ok]
        named = f" ({', '.join(bad)})" if bad else ""
        out.append(f"DISAGREE{named}: beyond {tolerance} or a config mismatch")
    return out
