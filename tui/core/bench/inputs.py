"""Request bodies for the benchmark, built once before any load is sent.

Inputs come from the model's metadata and config (batch dimension when `max_batch_size > 0`);
variable dimensions need `--shape NAME:d1,d2`. Data is `zero`, `random` (generated once, seeded)
or a perf_analyzer JSON file (`{"data": [{NAME: [...] | {"content": [...], "shape": [...]} |
{"b64": "..."}}, ...], "validation_data": [...]}`), used round-robin; `data` may also be a list
of streams (lists of steps): a sequence model's sequences each follow one (sequences.py), other
models read the first, as perf_analyzer. Bodies are encoded by
`tritonclient.http.InferenceServerClient.generate_request_body`, binary tensors by default; for
gRPC they are serialized `inference.ModelInferRequest` messages with raw input contents. With
`--shared-memory system` both inputs and outputs are references into shm.py's regions.
"""

from __future__ import annotations

import base64
import json
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import triton_to_np_dtype

from tui.core.util.paths import not_utf8

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig


class InputError(ValueError):
    """The inputs cannot be built from what the user gave: a flag, or the data file, does not
    fit the model (reported; exit code 99 from a run, as perf_analyzer's; 3 where the CLI finds
    a flag wrong by itself)."""


@dataclass
class TensorSpec:
    name: str
    datatype: str
    shape: list[int]  # request shape, batch dimension included when the model batches


@dataclass
class PreparedRequest:
    """Everything the load generator needs: raw HTTP requests (one per data entry)."""

    model: str
    path: str
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    requests: list[bytes]  # full HTTP/1.1 requests, headers and body
    body_sizes: list[int]
    validation: list[dict[str, np.ndarray[Any, Any]]] = field(default_factory=list)
    binary: bool = True
    protocol: str = "http"  # "grpc": requests are serialized inference.ModelInferRequest
    regions: list[Any] = field(default_factory=list)  # --shared-memory system: shm.Region each
    templates: list[Any] | None = None  # sequence models: sequences.Template variants per entry
    streams: tuple[int, ...] | None = None  # --input-data: steps per data stream (entries in order)
    max_answer: int = 1 << 30  # bytes an answer may take (`answer_cap`); more ends the level


def parse_shapes(values: list[str] | None) -> dict[str, list[int]]:
    """`--shape NAME:d1,d2,...` (repeatable) -> {NAME: [d1, d2]}."""
    shapes: dict[str, list[int]] = {}
    for value in values or []:
        name, sep, dims = value.rpartition(":")
        try:
            parsed = [int(d) for d in dims.split(",")] if dims else []
        except ValueError:
            parsed = []
        if not sep or not name or not parsed or any(d <= 0 for d in parsed):
            raise InputError(f"--shape {value!r}: expected NAME:d1,d2,... with positive dims")
        shapes[name] = parsed
    return shapes


def tensor_specs(
    metadata: dict[str, Any],
    config: ServedConfig,
    batch_size: int,
    shapes: dict[str, list[int]],
) -> tuple[list[TensorSpec], list[TensorSpec]]:
    batching = int(config.get("max_batch_size", 0) or 0) > 0
    if batch_size < 1:
        raise InputError(f"-b {batch_size}: the batch size must be at least 1")
    if not batching and batch_size > 1:
        raise InputError(
            f"-b {batch_size}: model {metadata.get('name')!r} does not support batching "
            "(max_batch_size is 0)"
        )
    if batching and batch_size > int(config["max_batch_size"]):
        raise InputError(
            f"-b {batch_size}: larger than the model's max_batch_size {config['max_batch_size']}"
        )
    names = {t["name"] for t in metadata.get("inputs", [])}
    for unknown in sorted(set(shapes) - names):
        raise InputError(f"--shape {unknown}: the model has no input named {unknown!r}")

    def spec(tensor: dict[str, Any], is_input: bool) -> TensorSpec:
        dims = [int(d) for d in tensor.get("shape", [])]
        if batching:
            dims = dims[1:]
        if is_input and tensor["name"] in shapes:
            given = shapes[tensor["name"]]
            if len(given) != len(dims) or any(
                d not in (-1, g) for d, g in zip(dims, given, strict=False)
            ):
                raise InputError(
                    f"--shape {tensor['name']}:{','.join(map(str, given))} does not fit the "
                    f"model's dims {dims}"
                )
            dims = given
        elif is_input and any(d < 0 for d in dims):
            raise InputError(
                f"input {tensor['name']} has variable dims {dims}: give them with "
                f"--shape {tensor['name']}:{','.join('N' if d < 0 else str(d) for d in dims)}"
            )
        return TensorSpec(
            tensor["name"], tensor["datatype"], ([batch_size] if batching else []) + dims
        )

    inputs = [spec(t, True) for t in metadata.get("inputs", [])]
    outputs = [spec(t, False) for t in metadata.get("outputs", [])]
    if not inputs:
        raise InputError(f"model {metadata.get('name')!r} declares no inputs")
    return inputs, outputs


def _generated(
    spec: TensorSpec,
    mode: str,
    rng: np.random.Generator,
    string_length: int,
    string_data: str | None,
) -> np.ndarray[Any, Any]:
    if spec.datatype == "BYTES":
        count = int(np.prod(spec.shape))
        if string_data is not None:
            items = [string_data.encode()] * count
        elif mode == "zero":
            items = [b"0" * string_length] * count
        else:
            letters = np.frombuffer((string.ascii_letters + string.digits).encode(), np.uint8)
            items = [bytes(rng.choice(letters, string_length)) for _ in range(count)]
        return np.array(items, dtype=np.object_).reshape(spec.shape)
    dtype = triton_to_np_dtype(spec.datatype)
    if dtype is None:
        raise InputError(f"input {spec.name}: datatype {spec.datatype} is not supported")
    if mode == "zero":
        return np.zeros(spec.shape, dtype=dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, spec.shape).astype(np.bool_)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(max(info.min, -100), min(info.max, 100), spec.shape).astype(dtype)
    return rng.random(spec.shape).astype(dtype)


def fill_tensor(
    spec: TensorSpec, mode: str, rng: np.random.Generator, string_length: int = 128
) -> np.ndarray[Any, Any]:
    """One input's values: `mode` "zero" or "random" (integers within ±100, floats in [0, 1),
    BYTES as random letters and digits of `string_length`), as the benchmark generates them."""
    return _generated(spec, mode, rng, string_length, None)


def _from_json(spec: TensorSpec, value: Any, batching: bool) -> np.ndarray[Any, Any]:
    dtype = np.object_ if spec.datatype == "BYTES" else triton_to_np_dtype(spec.datatype)
    shape = spec.shape[1:] if batching else spec.shape
    if isinstance(value, dict) and "b64" in value:
        raw = base64.b64decode(value["b64"])
        arr = np.frombuffer(raw, dtype=dtype) if dtype is not np.object_ else np.array([raw])
    elif isinstance(value, dict) and "content" in value:
        arr = np.asarray(value["content"], dtype=dtype)
        shape = list(value.get("shape", shape))
    else:
        arr = np.asarray(value, dtype=dtype)
    if dtype is np.object_:
        arr = np.array([v.encode() if isinstance(v, str) else v for v in arr.ravel()], np.object_)
    try:
        arr = arr.reshape(shape)
    except ValueError:
        raise InputError(
            f"input data for {spec.name}: {arr.size} values do not fill shape {shape}"
        ) from None
    if batching:
        arr = np.stack([arr] * spec.shape[0])
    return arr


def read_json_data(path: Path) -> Any:
    """The JSON document `path` holds; InputError, in words naming the file, when it cannot be
    read, is not UTF-8, is not JSON or nests deeper than Python's parser goes."""
    try:
        text = path.read_bytes().decode("utf-8")
        return json.loads(text)
    except OSError as exc:
        raise InputError(f"--input-data {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"--input-data {path}: {not_utf8(exc)}; perf_analyzer's JSON data files are UTF-8"
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"--input-data {path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"--input-data {path}: JSON nested too deeply to read") from None


def _tensor(
    path: Path, where: str, spec: TensorSpec, value: Any, batching: bool
) -> np.ndarray[Any, Any]:
    """`_from_json`, its failures on values that are not a tensor of `spec` said in words."""
    try:
        return _from_json(spec, value, batching)
    except InputError as exc:
        raise InputError(f"--input-data {path}: {where} {exc}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        reason = str(exc).split(". ")[0] or type(exc).__name__
        raise InputError(
            f"--input-data {path}: {where} {spec.name} is not a {spec.datatype} tensor ({reason})"
        ) from None


def load_json_data(
    path: Path, inputs: list[TensorSpec], outputs: list[TensorSpec], batching: bool
) -> tuple[
    list[dict[str, np.ndarray[Any, Any]]], list[dict[str, np.ndarray[Any, Any]]], tuple[int, ...]
]:
    """perf_analyzer's JSON: `data` is a list of entries (one stream) or a list of streams, each
    a list of steps; `validation_data`, when given, has the same layout. Returns the entries
    stream after stream, the expected outputs aligned with them, and each stream's step count."""
    doc = read_json_data(path)
    streams = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(streams, list) or not streams:
        raise InputError(f'--input-data {path}: expected {{"data": [{{...}}, ...]}}')
    nested = isinstance(streams[0], list)
    if any(isinstance(s, list) != nested for s in streams):
        raise InputError(f"--input-data {path}: data mixes entries and lists of entries (streams)")
    if not nested:
        streams = [streams]
    expected = doc.get("validation_data") or []
    if expected and not nested:
        expected = [expected]
    if not isinstance(expected, list) or not all(isinstance(s, list) for s in expected):
        raise InputError(f"--input-data {path}: validation_data is not laid out as data is")
    if expected and [len(s) for s in expected] != [len(s) for s in streams]:
        raise InputError(f"--input-data {path}: validation_data does not align with data")
    data, validation = [], []
    for k, steps in enumerate(streams):
        if not steps or not all(isinstance(e, dict) for e in steps):
            raise InputError(f"--input-data {path}: data stream {k} is not a list of entries")
        for i, entry in enumerate(steps):
            where = f"data[{k}][{i}]" if nested else f"data[{i}]"
            missing = [s.name for s in inputs if s.name not in entry]
            if missing:
                raise InputError(
                    f"--input-data {path}: {where} lacks input(s) {', '.join(missing)}"
                )
            data.append({s.name: _tensor(path, where, s, entry[s.name], batching) for s in inputs})
    names = [s.name for s in outputs]
    for k, steps in enumerate(expected):
        for i, entry in enumerate(steps):
            # a subset of the outputs may be checked (perf_analyzer wants them all, so a model
            # with an output no one can predict cannot be validated there); a name the model
            # does not have is an error, or a misspelt one would silently check nothing
            unknown = sorted(set(entry) - set(names)) if isinstance(entry, dict) else ["?"]
            if unknown or not entry:
                raise InputError(
                    f"--input-data {path}: validation_data for stream {k}, step {i} names no "
                    f"output of the model ({', '.join(unknown) or 'empty'}; it has "
                    f"{', '.join(names)})"
                )
            where = f"validation_data for stream {k}, step {i}:"
            entry_outputs = [s for s in outputs if s.name in entry]
            validation.append(
                {s.name: _tensor(path, where, s, entry[s.name], batching) for s in entry_outputs}
            )
    return data, validation, tuple(len(s) for s in streams)


def http_request(host: str, path: str, body: bytes, json_size: int | None) -> bytes:
    headers = [f"POST {path} HTTP/1.1", f"Host: {host}"]
    if json_size is not None:
        headers.append("Content-Type: application/octet-stream")
        headers.append(f"Inference-Header-Content-Length: {json_size}")
    else:
        headers.append("Content-Type: application/json")
    headers.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + body


def prepare(
    *,
    host: str,
    model: str,
    version: str,
    metadata: dict[str, Any],
    config: ServedConfig,
    batch_size: int = 1,
    shapes: dict[str, list[int]] | None = None,
    input_data: str = "random",
    binary: bool = True,
    string_length: int = 128,
    string_data: str | None = None,
    seed: int = 0,
    protocol: str = "http",
    shared_memory: str = "none",
    output_shm_size: int = 102400,
    sequence: bool = False,
) -> PreparedRequest:
    """Build the raw requests once. `host` is the HTTP endpoint's host:port. For a sequence
    model (`sequence`) also the templates its sequence IDs and flags are written into.
    `output_shm_size`: with `shared_memory` "system", the bytes per batch item reserved for an
    output whose size the model does not fix."""
    from tui.core.bench import sequences

    inputs, outputs = tensor_specs(metadata, config, batch_size, shapes or {})
    batching = int(config.get("max_batch_size", 0) or 0) > 0
    validation: list[dict[str, np.ndarray[Any, Any]]] = []
    streams = None
    if input_data in ("zero", "random"):
        rng = np.random.default_rng(seed)
        data = [
            {s.name: _generated(s, input_data, rng, string_length, string_data) for s in inputs}
        ]
    else:
        data, validation, streams = load_json_data(Path(input_data), inputs, outputs, batching)
        if not sequence:  # as perf_analyzer, a model without sequences reads the first stream
            data, validation, streams = data[: streams[0]], validation[: streams[0]], None
    path = (
        f"/v2/models/{quote(model)}" + (f"/versions/{quote(version)}" if version else "") + "/infer"
    )
    regions = []
    if shared_memory == "system":
        from tui.core.bench.shm import layout, output_room

        rooms = {
            s.name: output_room(s.datatype, s.shape, batch_size, output_shm_size) for s in outputs
        }
        regions = layout(data, {s.name: s.datatype for s in inputs}, rooms)
    if protocol == "grpc":
        requests = [
            grpc_request(model, version, inputs, outputs, entry, regions[k] if regions else None)
            for k, entry in enumerate(data)
        ]
        sizes = [len(r) for r in requests]
        templates = [sequences.grpc_templates(r) for r in requests] if sequence else None
        binary, kind = True, "grpc"
    else:
        requests, sizes, templates = _http_requests(
            host, path, data, inputs, outputs, regions, binary, sequence
        )
        kind = "http"
    return PreparedRequest(
        model,
        path,
        inputs,
        outputs,
        requests,
        sizes,
        validation,
        binary,
        kind,
        regions,
        templates,
        streams,
        answer_cap(outputs, batch_size, binary),
    )


def output_specs(metadata: dict[str, Any]) -> list[TensorSpec]:
    """The outputs as a model's metadata gives them (-1: a size the model leaves open)."""
    return [
        TensorSpec(
            str(o.get("name", "")),
            str(o.get("datatype", "")),
            [d if isinstance(d, int) else -1 for d in o["shape"]],
        )
        for o in metadata.get("outputs", [])
        if isinstance(o, dict) and isinstance(o.get("shape"), list)
    ]


VARIABLE_OUTPUT_CAP = 64 << 20  # bytes per batch item of an output whose size the model leaves open


def answer_cap(outputs: list[TensorSpec], batch_size: int, binary: bool) -> int:
    """The most bytes one answer may take, from the model's metadata: every output at its size
    (32 bytes an element as JSON text), VARIABLE_OUTPUT_CAP per batch item where the model does
    not fix it, twice over, and 1 MiB for the headers and the JSON around them. A hostile or
    broken server's larger answer ends the level instead of filling the load generator."""
    from tui.core.bench.shm import output_room

    total = 0
    for spec in outputs:
        room = output_room(spec.datatype, spec.shape, batch_size, VARIABLE_OUTPUT_CAP)
        fixed = spec.datatype != "BYTES" and all(d >= 0 for d in spec.shape)
        total += room if binary or not fixed else room * 32
    return 2 * total + (1 << 20)


def _http_requests(
    host: str,
    path: str,
    data: list[dict[str, np.ndarray[Any, Any]]],
    inputs: list[TensorSpec],
    outputs: list[TensorSpec],
    regions: list[Any],
    binary: bool,
    sequence: bool,
) -> tuple[list[bytes], list[int], list[Any] | None]:
    """One whole HTTP request per data entry, its body size, and for a sequence model its
    flag variants (sequences.Template)."""
    from tui.core.bench import sequences

    templates: list[Any] | None = [] if sequence else None
    requests, sizes = [], []
    for k, entry in enumerate(data):
        tensors = []
        for spec in inputs:
            tensor = httpclient.InferInput(spec.name, list(entry[spec.name].shape), spec.datatype)
            if regions:
                offset, size = regions[k].offsets[spec.name]
                tensor.set_shared_memory(regions[k].name, size, offset)
            else:
                tensor.set_data_from_numpy(entry[spec.name], binary_data=binary)
            tensors.append(tensor)
        wanted = [httpclient.InferRequestedOutput(s.name, binary_data=binary) for s in outputs]
        for tensor in wanted if regions else []:
            offset, room = regions[k].outputs[tensor.name()]
            tensor.set_shared_memory(regions[k].name, room, offset)
        body, json_size = httpclient.InferenceServerClient.generate_request_body(tensors, wanted)
        requests.append(http_request(host, path, body, json_size))
        sizes.append(len(body))
        if templates is not None:
            templates.append(sequences.http_templates(host, path, tensors, wanted))
    return requests, sizes, templates


def grpc_request(
    model: str,
    version: str,
    inputs: list[TensorSpec],
    outputs: list[TensorSpec],
    entry: dict[str, np.ndarray[Any, Any]],
    region: Any = None,
) -> bytes:
    """A serialized `inference.ModelInferRequest` with raw (binary) input contents, or with
    references into a shared memory `region` (shm.Region) for inputs and outputs."""
    from tritonclient.grpc import service_pb2

    from tui.core.bench.shm import raw_bytes

    request = service_pb2.ModelInferRequest(model_name=model, model_version=version)
    for spec in inputs:
        array = entry[spec.name]
        tensor = request.inputs.add()
        tensor.name, tensor.datatype = spec.name, spec.datatype
        tensor.shape.extend(array.shape)
        if region is not None:
            offset, size = region.offsets[spec.name]
            tensor.parameters["shared_memory_region"].string_param = region.name
            tensor.parameters["shared_memory_byte_size"].int64_param = size
            tensor.parameters["shared_memory_offset"].int64_param = offset
        else:
            request.raw_input_contents.append(raw_bytes(array, spec.datatype))
    for spec in outputs:
        wanted = request.outputs.add()
        wanted.name = spec.name
        if region is not None:
            offset, room = region.outputs[spec.name]
            wanted.parameters["shared_memory_region"].string_param = region.name
            wanted.parameters["shared_memory_byte_size"].int64_param = room
            wanted.parameters["shared_memory_offset"].int64_param = offset
    serialized: bytes = request.SerializeToString()
    return serialized


def _decode(prepared: PreparedRequest, body: bytes, header_length: int | None) -> Any:
    if prepared.protocol == "grpc":
        import tritonclient.grpc as grpcclient
        from tritonclient.grpc import service_pb2

        return grpcclient.InferResult(service_pb2.ModelInferResponse.FromString(body))
    return httpclient.InferResult.from_response_body(body, header_length=header_length)


def _shm_output(result: Any, name: str) -> tuple[str, list[int]] | None:
    """(datatype, shape) of an output the server wrote into shared memory, from the answer."""
    output = result.get_output(name)
    if output is None:
        return None
    if isinstance(output, dict):  # HTTP's JSON header
        return output["datatype"], [int(d) for d in output["shape"]]
    return output.datatype, [int(d) for d in output.shape]


def check_response(
    prepared: PreparedRequest,
    index: int,
    body: bytes,
    header_length: int | None,
    shm: Any = None,
) -> str | None:
    """Return a problem with a sampled response body, or None when it is a correct answer.
    With outputs in shared memory the answer gives their shapes and `shm` (shm.SystemShm) their
    data. A sequence model's answers in shared memory are checked by shape only: they depend on
    each sequence's state, and concurrent sequences at one step share the entry's output room
    (for other models every request writing a room carries that entry's inputs, so the room
    holds this answer whichever of them wrote last)."""
    try:
        result = _decode(prepared, body, header_length)
    except Exception as exc:  # noqa: BLE001 - any decoding failure is the finding
        return f"undecodable response: {exc}"
    expected = prepared.validation[index % len(prepared.validation)] if prepared.validation else {}
    in_shm = bool(prepared.regions and prepared.regions[0].outputs)
    for spec in prepared.outputs:
        array: np.ndarray[Any, Any] | None = None
        if in_shm:
            found = _shm_output(result, spec.name)
            if found is None:
                return f"response lacks output {spec.name}"
            datatype, shape = found
            if shm is not None and prepared.templates is None:
                array = shm.output(index, spec.name, datatype, shape)
        else:
            array = result.as_numpy(spec.name)
            if array is None:
                return f"response lacks output {spec.name}"
            shape = list(array.shape)
        if len(shape) != len(spec.shape) or any(
            d >= 0 and d != a for d, a in zip(spec.shape, shape, strict=False)
        ):
            return f"output {spec.name} has shape {shape}, expected {spec.shape}"
        if (
            array is not None
            and spec.name in expected
            and not np.array_equal(array, expected[spec.name])
        ):
            return f"output {spec.name} differs from the validation data"
    return None
