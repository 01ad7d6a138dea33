"""One inference on any loaded model: the recipe `triton-tui infer` prints and the infer screen
renders (the seed's "can I infer on it?").

`build_request` fills each input from the model's metadata and config (random values in a
sensible range for its dtype, zeros, a constant, or the first entry of a perf_analyzer
`--input-data` JSON file: tui.core.bench.inputs reads it, or an image file for inputs shaped like
an image: tui.core.util.image decodes, resizes and scales it); `send` runs it over HTTP (the bounded
client: a deadline and an answer cap from the model's output metadata) or gRPC (the same bounds
through tritonclient's channel), timing it on the client and, from the model's statistics, on
the server. What an answer looks like in words, and the same request as curl and Python, is
tui.core.workflows.infer_report's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from tui.core.bench.inputs import (
    InputError,
    TensorSpec,
    answer_cap,
    fill_tensor,
    load_json_data,
    tensor_specs,
)
from tui.core.server.client import TritonError, TritonHTTP
from tui.core.util import image

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig

FILLS = ("random", "zero", "constant", "file", "image")
STRING_LENGTH = 16  # characters of a random BYTES element
TIMEOUT_S = 120.0


@dataclass
class InferOptions:
    """What one inference is built from; the defaults are the CLI's and the screen's."""

    model: str
    fill: str = "random"  # one of FILLS
    constant: str = "1"  # the value of every element with fill "constant" (text for BYTES)
    data_file: Path | None = None  # fill "file": perf_analyzer's --input-data JSON
    image_file: Path | None = None  # fill "image": a PNG, PPM or PGM for the image inputs
    image_scale: str = "unit"  # float image inputs: one of image.SCALES
    batch_size: int = 1
    shapes: dict[str, list[int]] = field(default_factory=dict)  # sizes for -1 dims
    protocol: str = "http"  # or "grpc"
    seed: int = 0
    timeout: float = TIMEOUT_S


@dataclass
class InferRequest:
    model: str
    inputs: dict[str, np.ndarray[Any, Any]]  # by name, in the model's order
    datatypes: dict[str, str]
    outputs: list[TensorSpec]
    batching: bool
    fill: str
    notes: list[str] = field(default_factory=list)  # how an image became each image input


@dataclass
class InferResult:
    request: InferRequest
    outputs: dict[str, np.ndarray[Any, Any]]
    datatypes: dict[str, str]
    client_us: float
    server: dict[str, float]  # server-side µs of this request from the model's statistics
    protocol: str


class NotReady(TritonError):
    """The model is not READY on the server (the message says its state and how to load it)."""


class NoImageInput(InputError):
    """An image file was given for a model with no input shaped like an image (a bad flag)."""


# Building the request -----------------------------------------------------------------------
def _constant(spec: TensorSpec, value: str) -> np.ndarray[Any, Any]:
    if spec.datatype == "BYTES":
        return np.full(spec.shape, value.encode(), dtype=np.object_)
    from tritonclient.utils import triton_to_np_dtype

    dtype = triton_to_np_dtype(spec.datatype)
    if dtype is None:
        raise InputError(f"input {spec.name}: datatype {spec.datatype} is not supported")
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"constant {value!r} is not a number for {spec.datatype}") from None
    if np.dtype(dtype).kind in "iub" and not number.is_integer():
        raise InputError(f"constant {value!r} is not an integer for {spec.datatype}")
    return np.full(spec.shape, number, dtype=dtype)


def variable_inputs(metadata: dict[str, Any], config: ServedConfig) -> dict[str, list[int]]:
    """The inputs with a dimension the model leaves open (-1), their dims without the batch
    one: the sizes a user is asked for."""
    batching = int(config.get("max_batch_size", 0) or 0) > 0
    found = {}
    for tensor in metadata.get("inputs", []):
        dims = [int(d) for d in tensor.get("shape", [])][1 if batching else 0 :]
        if any(d < 0 for d in dims):
            found[str(tensor["name"])] = dims
    return found


def image_inputs(metadata: dict[str, Any], config: ServedConfig) -> dict[str, list[int]]:
    """The inputs shaped like an image ([3,H,W] or [H,W,3], under one more leading dim or not)
    of a numeric type that holds 0..255, their dims without the batch one."""
    batching = int(config.get("max_batch_size", 0) or 0) > 0
    found = {}
    for tensor in metadata.get("inputs", []):
        dims = [int(d) for d in tensor.get("shape", [])][1 if batching else 0 :]
        numeric = tensor.get("datatype") in image.FLOAT_TYPES + image.INT_TYPES
        if numeric and image.layout(dims) is not None:
            found[str(tensor["name"])] = dims
    return found


def _image_dims(dims: list[int], height: int, width: int) -> list[int]:
    """An image input's open dims (-1) set: H and W the image's own, a leading one 1."""
    core = list(dims[-3:])
    h, w = (1, 2) if image.layout(dims) == "CHW" else (0, 1)
    core[h] = height if core[h] < 0 else core[h]
    core[w] = width if core[w] < 0 else core[w]
    return [1 if d < 0 else d for d in dims[:-3]] + [3 if d < 0 else d for d in core]


def _read_image(
    metadata: dict[str, Any], config: ServedConfig, options: InferOptions
) -> tuple[dict[str, list[int]], np.ndarray[Any, Any]]:
    """(the image inputs' dims, the image as RGB 0..255), in words when either is missing."""
    if options.image_file is None:
        raise InputError("fill 'image' needs an image file (PNG, PPM or PGM)")
    targets = image_inputs(metadata, config)
    if not targets:
        raise NoImageInput(
            f"model {options.model!r} has no input shaped like an image ([3,H,W] or [H,W,3], "
            "optional batch dim, numeric) to take an image file"
        )
    if options.image_scale not in image.SCALES:
        raise InputError(f"image scale {options.image_scale!r}: one of {', '.join(image.SCALES)}")
    try:
        pixels, maxval = image.read_image(options.image_file)
    except image.ImageError as exc:
        raise InputError(str(exc)) from None
    return targets, image.to_rgb255(pixels, maxval)


def build_request(
    metadata: dict[str, Any], config: ServedConfig, options: InferOptions
) -> InferRequest:
    """The inputs of one request (InputError, in words, when the options do not fit)."""
    if options.fill not in FILLS:
        raise InputError(f"fill {options.fill!r}: expected one of {', '.join(FILLS)}")
    shapes, notes = options.shapes, []
    targets: dict[str, list[int]] = {}
    rgb = np.zeros((1, 1, 3))
    if options.fill == "image":
        targets, rgb = _read_image(metadata, config, options)
        shapes = dict(shapes)
        for name, dims in targets.items():
            if name not in shapes and any(d < 0 for d in dims):
                shapes[name] = _image_dims(dims, rgb.shape[0], rgb.shape[1])
    inputs, outputs = tensor_specs(metadata, config, options.batch_size, shapes)
    batching = int(config.get("max_batch_size", 0) or 0) > 0
    rng = np.random.default_rng(options.seed)
    if options.fill == "image":  # the image inputs take the image, the others random values
        arrays = {}
        for s in inputs:
            if s.name not in targets:
                arrays[s.name] = fill_tensor(s, "random", rng, STRING_LENGTH)
                continue
            try:
                arrays[s.name], how = image.image_tensor(
                    rgb, s.shape, s.datatype, options.image_scale
                )
            except image.ImageError as exc:
                raise InputError(f"input {s.name}: {exc}") from None
            assert options.image_file is not None
            notes.append(f"{s.name} ← {options.image_file.name} {how}")
    elif options.fill == "file":
        if options.data_file is None:
            raise InputError("fill 'file' needs a perf_analyzer --input-data JSON file")
        data, _validation, _streams = load_json_data(options.data_file, inputs, outputs, batching)
        arrays = data[0]
    elif options.fill == "constant":
        arrays = {s.name: _constant(s, options.constant) for s in inputs}
    else:
        mode = "zero" if options.fill == "zero" else "random"
        arrays = {s.name: fill_tensor(s, mode, rng, STRING_LENGTH) for s in inputs}
    return InferRequest(
        options.model,
        {s.name: arrays[s.name] for s in inputs},
        {s.name: s.datatype for s in inputs},
        outputs,
        batching,
        options.fill,
        notes,
    )


# Sending it ---------------------------------------------------------------------------------
def check_ready(client: TritonHTTP, model: str) -> None:
    """NotReady, naming the model's state and reason, unless the server has it READY."""
    if client.model_ready(model):
        return
    state, reason = "not loaded", ""
    try:
        for entry in client.repository_index():
            if entry.get("name") == model:
                state = str(entry.get("state") or "UNKNOWN")
                reason = str(entry.get("reason") or "")
    except TritonError:
        pass
    because = f": {reason}" if reason else ""
    raise NotReady(f"model {model!r} is not ready ({state}{because}); load it first")


_STAT_PARTS = ("queue", "compute_input", "compute_infer", "compute_output")
STATS_TRIES = 10


def _stats_ns(client: TritonHTTP, model: str) -> dict[str, int]:
    try:
        stats = client.model_stats(model)
    except TritonError:
        return {}
    totals = dict.fromkeys(_STAT_PARTS, 0)
    totals["count"] = 0
    for entry in stats:
        inference = entry.get("inference_stats", {})
        for part in _STAT_PARTS:
            totals[part] += int(inference.get(part, {}).get("ns", 0) or 0)
        totals["count"] += int(inference.get("success", {}).get("count", 0) or 0)
    return totals


def _server_us(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    """This request's server-side times: the statistics' growth (other clients' requests in
    the same moment would add to it; `requests` says how many were counted)."""
    if not before or not after:
        return {}
    out: dict[str, float] = {f"{p}_us": (after[p] - before[p]) / 1000 for p in _STAT_PARTS}
    out["requests"] = after["count"] - before["count"]
    return out


def _http_tensors(request: InferRequest, binary: bool = True) -> tuple[list[Any], list[Any]]:
    import tritonclient.http as httpclient

    tensors = []
    for name, array in request.inputs.items():
        tensor = httpclient.InferInput(name, list(array.shape), request.datatypes[name])
        tensor.set_data_from_numpy(array, binary_data=binary)
        tensors.append(tensor)
    wanted = [httpclient.InferRequestedOutput(s.name, binary_data=binary) for s in request.outputs]
    return tensors, wanted


def _send_http(
    client: TritonHTTP, request: InferRequest, cap: int, timeout: float
) -> dict[str, np.ndarray[Any, Any]]:
    import tritonclient.http as httpclient

    tensors, wanted = _http_tensors(request)
    body, json_size = httpclient.InferenceServerClient.generate_request_body(tensors, wanted)
    answer, header_length = client.infer(request.model, body, json_size, cap, timeout)
    try:
        result = httpclient.InferResult.from_response_body(answer, header_length=header_length)
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the finding
        raise TritonError(f"the answer could not be read: {exc}") from exc
    found = {}
    for spec in request.outputs:
        array = result.as_numpy(spec.name)
        if array is not None:
            found[spec.name] = array
    return found


def _send_grpc(
    url: str, request: InferRequest, cap: int, timeout: float
) -> dict[str, np.ndarray[Any, Any]]:
    import tritonclient.grpc as grpcclient
    from tritonclient.utils import InferenceServerException

    limits = [
        ("grpc.max_send_message_length", 1 << 30),
        ("grpc.max_receive_message_length", min(cap, (1 << 31) - 1)),
    ]
    client = grpcclient.InferenceServerClient(url, channel_args=limits)
    tensors = []
    for name, array in request.inputs.items():
        tensor = grpcclient.InferInput(name, list(array.shape), request.datatypes[name])
        tensor.set_data_from_numpy(array)
        tensors.append(tensor)
    wanted = [grpcclient.InferRequestedOutput(s.name) for s in request.outputs]
    try:
        result = client.infer(request.model, tensors, outputs=wanted, client_timeout=timeout)
    except InferenceServerException as exc:
        raise TritonError(str(exc.message())) from exc
    finally:
        client.close()
    return {s.name: a for s in request.outputs if (a := result.as_numpy(s.name)) is not None}


def send(
    client: TritonHTTP,
    request: InferRequest,
    protocol: str = "http",
    grpc_url: str = "",
    timeout: float = TIMEOUT_S,
) -> InferResult:
    """Run `request` once; TritonError (Triton's own words) when the server refuses it."""
    cap = answer_cap(
        request.outputs,
        next(iter(request.inputs.values())).shape[0] if request.batching else 1,
        binary=True,
    )
    before = _stats_ns(client, request.model)
    start = time.perf_counter()
    if protocol == "grpc":
        outputs = _send_grpc(grpc_url, request, cap, timeout)
    else:
        outputs = _send_http(client, request, cap, timeout)
    client_us = (time.perf_counter() - start) * 1e6
    datatypes = {s.name: s.datatype for s in request.outputs}
    after = _stats_ns(client, request.model)
    for _ in range(STATS_TRIES):  # a backend may count the request just after answering it
        if not before or not after or after["count"] > before["count"]:
            break
        time.sleep(0.02)
        after = _stats_ns(client, request.model)
    server = _server_us(before, after)
    return InferResult(request, outputs, datatypes, client_us, server, protocol)


def run(
    client: TritonHTTP,
    options: InferOptions,
    grpc_url: str = "",
    progress: Callable[[str], None] | None = None,
) -> InferResult:
    """The whole recipe: ready check, metadata and config, the request, the answer."""
    say = progress or (lambda _t: None)
    check_ready(client, options.model)
    say(f"reading {options.model}'s metadata")
    metadata = client.model_metadata(options.model)
    config = client.model_config(options.model)
    request = build_request(metadata, config, options)
    say(f"sending one request over {options.protocol.upper()}")
    return send(client, request, options.protocol, grpc_url, options.timeout)
