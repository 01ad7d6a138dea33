"""Verify a served model against onnxruntime: the check the deploy flow's third step runs.

Static first (the config's names, data types, dims and batching against the ONNX graph, each
problem pointing at its line in config.pbtxt), then numeric: the same random inputs through Triton
and through onnxruntime, every output compared within a tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tui.core.bench.inputs import answer_cap, output_specs
from tui.core.client import TritonError, TritonHTTP
from tui.core.modelconfig import parse_config
from tui.core.modelconfig.generate import TensorSpec, model_tensors


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
    client = TritonHTTP(url)  # bounded in time and size, unlike tritonclient's own client
    try:
        meta = client.model_metadata(name)
    except TritonError as exc:
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
