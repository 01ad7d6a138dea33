"""Infer and verify any loaded model (`triton-tui infer`, `triton-tui verify`, `i` and `V`),
against the shared demo server: one request, its outputs, the same request as curl, and
Polygraphy's comparison with onnxruntime on the served model file."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from textual.widgets import Button, DataTable, Input, Select, Static

from tests.helpers import CliRun, screen_text, until
from tui.app import TritonTUI
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.core.workflows import infer, infer_report
from tui.core.workflows.verify import compare_output
from tui.panes.infer import InferScreen


def test_add_sub_answers_the_exact_sum_and_difference_shown_in_json_and_as_curl(
    demo_server: ServerProcess,
    cli: Callable[..., CliRun],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # where the request for curl is kept
    url = demo_server.http_url
    code, out, err = cli("infer", "-m", "add_sub", "-u", url, "--json", "--seed", "7")
    assert code == 0, err
    record = json.loads(out)
    a, b = (np.array(record["inputs"][n]["data"], np.float32) for n in ("INPUT0", "INPUT1"))
    outputs = record["outputs"]
    assert outputs["OUTPUT0"]["shape"] == [1, 4] and outputs["OUTPUT0"]["datatype"] == "FP32"
    assert np.array_equal(np.array(outputs["OUTPUT0"]["data"], np.float32), a + b)
    assert np.array_equal(np.array(outputs["OUTPUT1"]["data"], np.float32), a - b)
    assert record["client_us"] > 0 and record["server"]["requests"] >= 1

    grpc = ("-i", "grpc", "--grpc-url", demo_server.grpc_url)
    code, out, err = cli("infer", "-m", "add_sub", "-u", url, "--json", "--seed", "7", *grpc)
    assert code == 0, err
    assert json.loads(out)["outputs"]["OUTPUT1"]["data"] == outputs["OUTPUT1"]["data"]

    code, text, err = cli("infer", "-m", "add_sub", "-u", url, "--seed", "7")
    assert code == 0, err
    shown = ", ".join(f"{v:.6g}" for v in a + b)
    assert f"OUTPUT0  FP32 [1, 4]  min {min(a + b):.6g}" in text and f"[{shown}]" in text
    curl = next(line.strip() for line in text.splitlines() if line.strip().startswith("curl -"))
    assert f"-d @{tmp_path}/triton-tui/infer/add_sub-request.json" in curl
    answer = subprocess.run(shlex.split(curl), capture_output=True, text=True, timeout=30)
    by_name = {o["name"]: o["data"] for o in json.loads(answer.stdout)["outputs"]}
    assert np.array_equal(np.array(by_name["OUTPUT0"], np.float32), a + b)
    assert np.array_equal(np.array(by_name["OUTPUT1"], np.float32), a - b)


def test_densenet_top5_is_onnxruntimes(demo_server: ServerProcess, demo_repo: Path) -> None:
    client = TritonHTTP(demo_server.http_url)
    result = infer.run(client, infer.InferOptions("densenet_onnx", seed=3))
    summary = infer_report.summarize("prob_1", "FP32", result.outputs["prob_1"], False)
    session = ort.InferenceSession(
        str(demo_repo / "densenet_onnx" / "1" / "model.onnx"), providers=["CPUExecutionProvider"]
    )
    (direct,) = session.run(None, {"data_0": result.request.inputs["data_0"]})
    expected = np.argsort(-direct.ravel(), kind="stable")[:5].tolist()
    assert [index for index, _value, _label in summary.top] == expected
    assert summary.nan == summary.inf == 0 and summary.maximum is not None


def test_a_wrong_shape_in_the_data_file_gets_tritons_message_naming_the_input(
    demo_server: ServerProcess, tmp_path: Path, cli: Callable[..., CliRun]
) -> None:
    data = tmp_path / "data.json"
    data.write_text(
        json.dumps(
            {"data": [{"INPUT0": [1, 2, 3, 4], "INPUT1": {"content": [1, 2, 3], "shape": [3]}}]}
        )
    )
    argv = ("infer", "-m", "add_sub", "-u", demo_server.http_url, "--input-data", str(data))
    code, _out, err = cli(*argv)
    assert code == 99
    assert "unexpected shape for input 'INPUT1'" in err and "Expected [-1,4]" in err
    code, _out, err = cli("infer", "-m", "no_such_model", "-u", demo_server.http_url)
    assert code == 99 and "'no_such_model' is not ready" in err


def test_curl_and_python_never_splice_user_data_into_code(tmp_path: Path) -> None:
    name = "m'; rm -rf ~ #"
    request_file = tmp_path / "it's here" / "request.json"
    curl = infer_report.curl_command("127.0.0.1:8000", name, request_file)
    words = shlex.split(curl)
    assert words[4] == "http://127.0.0.1:8000/v2/models/m%27%3B%20rm%20-rf%20~%20%23/infer"
    assert words[-1] == f"@{request_file}"
    run = shlex.split(infer_report.python_command("127.0.0.1:8000", name, request_file))
    assert run == ["python3", "infer.py", "127.0.0.1:8000", name, str(request_file)]
    compile(infer_report.PYTHON_SNIPPET, "snippet", "exec")  # a program with no user data


def test_outputs_are_described_labelled_text_and_paged(tmp_path: Path) -> None:
    """Top-k labelled from the config's label_filename, BYTES as text (cleaned), NaN/Inf counted,
    every value paged in rows with their flat index."""
    (tmp_path / "labels.txt").write_text("".join(f"class {i}\n" for i in range(12)))
    config = {"output": [{"name": "scores", "label_filename": "labels.txt"}]}
    labels = infer_report.read_labels(tmp_path, config, "scores")
    scores = np.arange(12, dtype=np.float32).reshape(1, 12)
    scores[0, 3] = 99.0
    summary = infer_report.summarize("scores", "FP32", scores, True, labels)
    assert summary.top[:2] == [(3, 99.0, "class 3"), (11, 11.0, "class 11")]
    assert "         3  99  class 3" in summary.lines()
    odd = np.array([1.0, np.nan, np.inf, -np.inf, 2.0], np.float32)
    described = infer_report.summarize("odd", "FP32", odd, False)
    assert (described.nan, described.inf, described.minimum, described.maximum) == (1, 2, 1, 2)
    assert infer_report.tensor_json(odd, "FP32")["data"][1:4] == ["nan", "inf", "-inf"]
    text = infer_report.summarize(
        "t", "BYTES", np.array([b"caf\xc3\xa9", b"\x1b[31mred"], object), False
    )
    assert text.lines()[1:] == ["  'café'", "  'red'"]  # the escape sequence removed
    paged = infer_report.summarize("v", "INT32", np.arange(40, dtype=np.int32), False, shown=32)
    assert paged.lines()[-2:] == [
        "       30:       30        31",
        "  … 8 more (--json has them all)",
    ]


def test_outputs_compare_as_polygraphy_does() -> None:
    """An element fails only over both tolerances; NaN and infinities fail (Polygraphy's
    infinities_compare_equal is off by default); the worst index and the histogram say where."""
    want = np.array([[1000.0, 1e-7, 0.0, 5.0, np.nan, np.inf]], np.float32)
    got = np.array([[1000.001, 2e-7, 0.0, 5.5, np.nan, np.inf]], np.float32)
    check = compare_output("y", got, want, 1e-5, 1e-5)
    # 1000.001 is 1e-3 off (over atol) but 1e-6 relative: fine. 2e-7 vs 1e-7: 1e-7 absolute:
    # fine. 5.5 vs 5: a mismatch, the worst finite one; NaN and inf: mismatches
    assert (check.ok, check.mismatches, check.size) == (False, 3, 6)
    assert check.worst == (0, 4) and check.max_abs == float("inf")
    assert check.histogram == [1, 0, 1, 0, 0, 1, 0, 3]  # 0, ≤1e-6 (float32), ≤1e-3, >1e-2
    assert compare_output("y", want[:, :4], want[:, :4], 1e-5, 1e-5).ok
    assert "shape [1, 4] from Triton vs [1, 6]" in compare_output("y", got[:, :4], want, 0, 0).note


def _swapped(path: Path) -> None:
    """identity_onnx's model file replaced by one with other weights: OUTPUT0 = INPUT0 * 1.01."""
    scale = numpy_helper.from_array(np.array(1.01, np.float32), "scale")
    graph = helper.make_graph(
        [helper.make_node("Mul", ["INPUT0", "scale"], ["OUTPUT0"])],
        "swapped",
        [helper.make_tensor_value_info("INPUT0", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("OUTPUT0", TensorProto.FLOAT, [1, 16])],
        initializer=[scale],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


def test_verify_agrees_on_onnx_models_and_names_the_tensor_of_a_swapped_file(
    demo_server: ServerProcess,
    demo_repo: Path,
    tmp_path: Path,
    cli: Callable[..., CliRun],
) -> None:
    url, repo = demo_server.http_url, str(demo_repo)
    for model in ("densenet_onnx", "identity_onnx"):
        code, out, err = cli("verify", "-m", model, "-u", url, "--model-repository", repo)
        assert code == 0, out + err
        assert "agree: every output within atol 1e-05, rtol 1e-05" in out
    # The server still serves the identity; the file on disk now holds other weights.
    swapped = tmp_path / "models"
    shutil.copytree(demo_repo / "identity_onnx", swapped / "identity_onnx")
    _swapped(swapped / "identity_onnx" / "1" / "model.onnx")
    argv = ("verify", "-m", "identity_onnx", "-u", url, "--model-repository", str(swapped))
    code, out, err = cli(*argv)
    assert code == 1, out + err
    assert "OUTPUT0: MISMATCH" in out and "DISAGREE (OUTPUT0)" in out
    assert "worst at [0," in out
    code, out, _err = cli(*argv, "--json", "--rtol", "0.02")  # within 1 % it agrees
    assert code == 0 and json.loads(out)["outputs"][0]["mismatches"] == 0
    # A config on disk that does not match the file: explained per tensor, at its line
    config = swapped / "identity_onnx" / "config.pbtxt"
    config.write_text(
        'name: "identity_onnx"\nbackend: "onnxruntime"\nmax_batch_size: 4\n'
        'input [{ name: "INPUT0", data_type: TYPE_FP32, dims: [16] }]\n'
        'output [{ name: "OUTPUT0", data_type: TYPE_FP64, dims: [16] }]\n'
    )
    code, out, _err = cli(*argv, "--rtol", "0.02")
    assert code == 1
    assert f"config: {config}:5:" in out and "config data type TYPE_FP64 but the ONNX" in out


def test_verify_says_in_one_line_why_a_python_model_cannot_be_compared(
    demo_server: ServerProcess, demo_repo: Path, cli: Callable[..., CliRun]
) -> None:
    argv = ("verify", "-m", "add_sub", "-u", demo_server.http_url)
    code, out, _err = cli(*argv, "--model-repository", str(demo_repo))
    assert code == 99
    assert out.strip().splitlines() == [
        "cannot verify: add_sub runs on 'python', not ONNX: there is no model file to run in "
        "onnxruntime (infer works on it)"
    ]


async def test_i_and_v_show_the_outputs_and_the_verdict_at_80x24(
    demo_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # where `x` writes
    exports = tmp_path / "triton-tui" / "infer"
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#model-table", DataTable)
        await until(pilot, lambda: table.row_count == 4)
        await pilot.press("i")  # add_sub: the first row
        screen = app.screen
        assert isinstance(screen, InferScreen)
        out = screen.query_one("#infer-out", Static)
        # the answer, and the footer redrawn for the screen (a moment later)
        await until(pilot, lambda: "outputs:" in str(out.render()) and "Write" in screen_text(app))
        shown = screen_text(app)
        assert "OUTPUT0  FP32 [1, 4]  min" in shown and "INPUT0  FP32 [1, 4]" in shown
        assert "curl" in str(out.render()) and "Write" in shown
        await pilot.press("x")
        await until(pilot, lambda: len(list(exports.glob("add_sub-*/curl.sh"))) == 1)
        (folder,) = (p for p in exports.glob("add_sub-*") if p.is_dir())
        assert sorted(p.name for p in folder.iterdir()) == [
            "curl.sh",
            "infer.py",
            "request.json",
            "run-infer.sh",
        ]
        assert f"-d @{folder / 'request.json'}" in (folder / "curl.sh").read_text()
        screen.query_one("#infer-protocol", Select).value = "grpc"
        screen.query_one("#infer-fill", Select).value = "constant"
        screen.query_one("#infer-value", Input).value = "2.5"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "over GRPC" in str(out.render()))
        assert "OUTPUT0  FP32 [1, 4]  min 5  max 5  mean 5" in str(out.render())
        # An image for densenet_onnx's data_0 [1,3,224,224]: the layout and scaling said
        ppm = tmp_path / "red.ppm"
        ppm.write_bytes(b"P6 2 2 255\n" + bytes([255, 0, 0] * 4))
        await pilot.press("escape", "j", "i")  # densenet_onnx
        screen = app.screen
        out = screen.query_one("#infer-out", Static)
        await until(pilot, lambda: "outputs:" in str(out.render()))  # its first (random) send
        screen.query_one("#infer-fill", Select).value = "image"
        screen.query_one("#infer-value", Input).value = str(ppm)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "inputs (image):" in str(out.render()))
        shown = screen_text(app)
        assert "data_0 ← red.ppm 2×2 resized to 224×224, CHW, scaled to [0,1]" in shown
        assert "data_0  FP32 [1, 3, 224, 224]  min 0  max 1" in shown
        await pilot.press("escape", "j")  # identity_onnx
        await pilot.press("V")
        out = app.screen.query_one("#infer-out", Static)
        await until(pilot, lambda: "agree:" in str(out.render()))
        assert "OUTPUT0: ok" in screen_text(app)
        await pilot.press("escape")
        app.action_infer_model("no_such_model")  # as the palette's "infer no_such_model"
        await until(pilot, lambda: bool(app.screen.query("#infer-out")))
        out = app.screen.query_one("#infer-out", Static)
        await until(pilot, lambda: "not ready" in str(out.render()))
        assert app.screen.query_one("#infer-load", Button).display
