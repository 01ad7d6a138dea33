"""What one inference looks like (tui.core.workflows.infer runs it): every output described (shape,
dtype, min/max/mean, NaN and Inf counts, top-k with labels for a classification-shaped one, BYTES
as text) in the lines `triton-tui infer` prints and the infer screen shows, the issue's JSON
record, and the same request as an operator pastes it into a ticket: a curl command and a
tritonclient snippet that read the request from a JSON file (values never spliced into code).
"""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import numpy as np

from tui.core.util.export import safe_name, write_export
from tui.core.util.paths import cache_dir, read_regular
from tui.core.util.sanitize import clean, clean_line
from tui.core.workflows.infer import InferRequest, InferResult

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig

TOP_K = 5
SHOWN_VALUES = 16  # raw values printed per tensor in text (all of them in --json)
PAGED_VALUES = 10_000  # raw values per tensor the screen pages through ("all values")
ROW = 6  # values a row when paged (fits 80 columns)
LABEL_LIMIT = 4 << 20  # bytes of a label file read


# Describing the outputs ---------------------------------------------------------------------
@dataclass
class TensorSummary:
    name: str
    datatype: str
    shape: list[int]
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    nan: int = 0
    inf: int = 0
    top: list[tuple[int, float, str]] = field(default_factory=list)  # index, value, label
    text: list[str] = field(default_factory=list)  # BYTES elements as text (the first ones)
    values: list[Any] = field(default_factory=list)  # the first SHOWN_VALUES values
    count: int = 0  # elements in all

    def lines(self) -> list[str]:
        """The summary in words, one item a line (the CLI prints them, the screen shows them)."""
        head = f"{self.name}  {self.datatype} {self.shape}"
        out = []
        if self.minimum is not None:
            head += f"  min {self.minimum:.6g}  max {self.maximum:.6g}  mean {self.mean:.6g}"
            if self.nan or self.inf:
                head += f"  NaN {self.nan}  Inf {self.inf}"
        out.append(head)
        if self.top:
            out.append(f"  top-{len(self.top)}:")
            out += [
                f"    {i:>6}  {v:.6g}" + (f"  {label}" if label else "") for i, v, label in self.top
            ]
        if self.text:
            out += [f"  {t!r}" for t in self.text]
        elif len(self.values) > SHOWN_VALUES:  # paged: rows with the flat index of their first
            for start in range(0, len(self.values), ROW):
                row = " ".join(_cell(v) for v in self.values[start : start + ROW])
                out.append(f"  {start:>7}:{row}")
            if self.count > len(self.values):
                out.append(f"  … {self.count - len(self.values)} more (--json has them all)")
        elif self.values:
            shown = ", ".join(_number(v) for v in self.values)
            out.append(f"  [{shown}{', …' if self.count > len(self.values) else ''}]")
        return out


CLASSES = 10  # a score vector at least this long is classification-shaped (any, with labels)


def _classes(
    array: np.ndarray[Any, Any], batching: bool, labelled: bool
) -> np.ndarray[Any, Any] | None:
    """The score vector of a classification-shaped output (one dim over 1, at least CLASSES
    long or labelled; of the first batch item when batched), or None."""
    if array.dtype.kind not in "fiu" or array.size < 2:
        return None
    item = array[0] if batching and array.ndim > 1 else array
    squeezed = np.squeeze(item)
    long_enough = squeezed.size >= (2 if labelled else CLASSES)
    return squeezed if squeezed.ndim == 1 and long_enough else None


def read_labels(model_dir: Path | None, config: ServedConfig, output: str) -> list[str]:
    """The lines of the output's `label_filename` in the model folder (cleaned), or []."""
    if model_dir is None:
        return []
    for entry in config.get("output", []):
        if entry.get("name") == output and entry.get("label_filename"):
            path = model_dir / str(entry["label_filename"])
            if path.resolve().parent != model_dir.resolve():
                return []
            try:
                text = read_regular(path, limit=LABEL_LIMIT).decode("utf-8", "replace")
            except OSError:
                return []
            return [clean_line(line.strip()) for line in text.splitlines()]
    return []


def summarize(
    name: str,
    datatype: str,
    array: np.ndarray[Any, Any],
    batching: bool,
    labels: list[str] | None = None,
    classify: bool = True,
    shown: int = SHOWN_VALUES,
) -> TensorSummary:
    """`array` described with its first `shown` values; top-k when `classify` and it is
    classification-shaped."""
    summary = TensorSummary(name, datatype, list(array.shape), count=int(array.size))
    if datatype == "BYTES":
        flat = array.ravel()[:shown]
        summary.text = [clean(_text(v)) for v in flat]
        return summary
    numbers = array.astype(np.float64) if array.dtype.kind in "fiub" else None
    if numbers is None or numbers.size == 0:
        return summary
    finite = numbers[np.isfinite(numbers)]
    summary.nan = int(np.isnan(numbers).sum())
    summary.inf = int(np.isinf(numbers).sum())
    if finite.size:
        summary.minimum = float(finite.min())
        summary.maximum = float(finite.max())
        summary.mean = float(finite.mean())
    summary.values = [_plain(v) for v in array.ravel()[:shown]]
    scores = _classes(array, batching, bool(labels)) if classify else None
    if scores is not None:
        order = np.argsort(-scores.astype(np.float64), kind="stable")[:TOP_K]
        summary.top = [
            (int(i), float(scores[i]), labels[i] if labels and i < len(labels) else "")
            for i in order
        ]
    return summary


def _cell(value: Any) -> str:
    return f"{value:>9.4g}" if isinstance(value, float) else f"{value!s:>9}"


def _number(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _plain(value: Any) -> Any:
    """A numpy scalar as JSON takes it (non-finite floats as the strings "nan", "inf")."""
    if isinstance(value, bytes | np.bytes_):
        return _text(bytes(value))
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        number = float(value)
        return number if math.isfinite(number) else str(number)
    return _text(value)


def tensor_json(array: np.ndarray[Any, Any], datatype: str) -> dict[str, Any]:
    return {
        "shape": list(array.shape),
        "datatype": datatype,
        "data": [_plain(v) for v in array.ravel()],
    }


def result_json(result: InferResult) -> dict[str, Any]:
    """`--json`: the issue's record (data flat, row-major, BYTES as strings)."""
    request = result.request
    return {
        "model": request.model,
        "protocol": result.protocol,
        "inputs": {n: tensor_json(a, request.datatypes[n]) for n, a in request.inputs.items()},
        "outputs": {n: tensor_json(a, result.datatypes[n]) for n, a in result.outputs.items()},
        "client_us": round(result.client_us, 1),
        "server": result.server,
    }


def timing(result: InferResult) -> str:
    """Client time, and the server's queue and compute time from its statistics."""
    text = f"client {result.client_us / 1000:.2f} ms"
    server = result.server
    if server:
        parts = ("compute_input_us", "compute_infer_us", "compute_output_us")
        compute = sum(server.get(p, 0.0) for p in parts)
        text += (
            f", server queue {server['queue_us'] / 1000:.2f} ms, compute {compute / 1000:.2f} ms"
        )
    return text


def result_lines(
    result: InferResult,
    config: ServedConfig,
    model_dir: Path | None = None,
    shown: int = SHOWN_VALUES,
) -> list[str]:
    """The request and its answer in words (`triton-tui infer` prints them, the screen shows
    them): timing, each input, each output with its top-k labelled from `model_dir`."""
    request = result.request
    out = [f"{request.model} over {result.protocol.upper()}: {timing(result)}"]
    out.append(f"inputs ({request.fill}):")
    out += ["  " + note for note in request.notes]
    for name, array in request.inputs.items():
        datatype = request.datatypes[name]
        summary = summarize(name, datatype, array, request.batching, classify=False, shown=shown)
        out += ["  " + line for line in summary.lines()]
    out.append("outputs:")
    for name, array in result.outputs.items():
        labels = read_labels(model_dir, config, name)
        datatype = result.datatypes[name]
        summary = summarize(name, datatype, array, request.batching, labels, shown=shown)
        out += ["  " + line for line in summary.lines()]
    return out


def copy_lines(url: str, model: str, request_file: Path | None) -> list[str]:
    """The curl command and the tritonclient snippet, as printed under the outputs."""
    if request_file is None:
        return []
    out = [f"the same request with curl (its JSON is in {request_file}):"]
    out.append("  " + curl_command(url, model, request_file))
    out.append("and with tritonclient (x writes it as infer.py), run as")
    out.append("  " + python_command(url, model, request_file))
    out += ["  " + line for line in PYTHON_SNIPPET.splitlines()]
    return out


# The same request, to copy ------------------------------------------------------------------
def request_json(request: InferRequest) -> dict[str, Any]:
    """The KServe v2 JSON body of `request` (what the curl command posts)."""
    return {
        "inputs": [
            {"name": n, **tensor_json(a, request.datatypes[n])} for n, a in request.inputs.items()
        ],
        "outputs": [{"name": s.name} for s in request.outputs],
    }


def infer_url(url: str, model: str) -> str:
    return f"http://{url}/v2/models/{quote(model, safe='')}/infer"


def curl_command(url: str, model: str, request_file: Path | str) -> str:
    """curl posting the request file (every part shell-quoted; the values stay in the file)."""
    return (
        f"curl -sS -X POST {shlex.quote(infer_url(url, model))} "
        f"-H 'Content-Type: application/json' -d @{shlex.quote(str(request_file))}"
    )


# The script holds no user data: the URL, the model and the request file come from its command
# line (`python_command`), so nothing the user or a server named is spliced into code.
PYTHON_SNIPPET = """\
import json
import sys

import numpy as np
import tritonclient.http as httpclient
from tritonclient.utils import triton_to_np_dtype

url, model, request_file = sys.argv[1:4]
with open(request_file) as f:
    request = json.load(f)
inputs = []
for t in request["inputs"]:
    tensor = httpclient.InferInput(t["name"], t["shape"], t["datatype"])
    dtype = object if t["datatype"] == "BYTES" else triton_to_np_dtype(t["datatype"])
    tensor.set_data_from_numpy(np.array(t["data"], dtype=dtype).reshape(t["shape"]))
    inputs.append(tensor)
result = httpclient.InferenceServerClient(url).infer(model, inputs)
for out in request["outputs"]:
    print(out["name"], result.as_numpy(out["name"]))
"""


def python_command(url: str, model: str, request_file: Path | str, script: str = "infer.py") -> str:
    """How to run PYTHON_SNIPPET saved as `script` (every argument shell-quoted)."""
    args = (script, url, model, str(request_file))
    return "python3 " + " ".join(shlex.quote(a) for a in args)


def request_bytes(request: InferRequest) -> bytes:
    return json.dumps(request_json(request)).encode()


def last_request_file(model: str) -> Path:
    """Where the last request to `model` is kept for the printed curl command (our cache)."""
    return cache_dir() / "infer" / f"{safe_name(model)}-request.json"


def keep_request(request: InferRequest) -> Path:
    """Write the request's JSON where `last_request_file` says; its path."""
    path = last_request_file(request.model)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_export(path, request_bytes(request))


def export_request(url: str, request: InferRequest, folder: Path | None = None) -> Path:
    """`x`: request.json, curl.sh, infer.py and run-infer.sh in a new folder (under our cache
    unless given); the folder. The scripts name the request file by its absolute path."""
    if folder is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = cache_dir() / "infer" / f"{safe_name(request.model)}-{stamp}"
    folder.mkdir(parents=True, exist_ok=True)
    data = folder.resolve() / "request.json"
    write_export(data, request_bytes(request))
    write_export(folder / "curl.sh", (curl_command(url, request.model, data) + "\n").encode())
    write_export(folder / "infer.py", PYTHON_SNIPPET.encode())
    run = python_command(url, request.model, data, str(folder.resolve() / "infer.py"))
    write_export(folder / "run-infer.sh", (run + "\n").encode())
    return folder
