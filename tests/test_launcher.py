"""The launcher against the real embedded tritonserver: start, infer, fail in words."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import tritonclient.http as httpclient

from tests.conftest import DEMO, copy_demo, launch
from tui.core.logs.parser import has_local_gpu
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import LaunchError, LaunchSpec, ServerProcess
from tui.core.server.locate import move_into_place


def test_demo_models_all_ready(demo_client: TritonHTTP) -> None:
    index = {m["name"]: m for m in demo_client.repository_index()}
    assert sorted(index) == ["add_sub", "densenet_onnx", "identity_onnx", "slow_init"]
    assert {m["state"] for m in index.values()} == {"READY"}


def test_listens_on_loopback_only(demo_server: ServerProcess) -> None:
    cmd = demo_server.command()
    for name in ("http", "grpc", "metrics"):
        assert f"--{name}-address=127.0.0.1" in cmd


def test_add_sub_numbers(demo_server: ServerProcess) -> None:
    client = httpclient.InferenceServerClient(demo_server.http_url)
    a = np.array([[1, 2, 3, 4]], dtype=np.float32)
    b = np.array([[10, 20, 30, 40]], dtype=np.float32)
    inputs = [
        httpclient.InferInput("INPUT0", [1, 4], "FP32"),
        httpclient.InferInput("INPUT1", [1, 4], "FP32"),
    ]
    inputs[0].set_data_from_numpy(a)
    inputs[1].set_data_from_numpy(b)
    result = client.infer("add_sub", inputs)
    np.testing.assert_array_equal(result.as_numpy("OUTPUT0"), a + b)
    np.testing.assert_array_equal(result.as_numpy("OUTPUT1"), a - b)


def test_densenet_probabilities_match_onnxruntime(demo_server: ServerProcess) -> None:
    client = httpclient.InferenceServerClient(demo_server.http_url)
    data = np.random.default_rng(1).random((1, 3, 224, 224), dtype=np.float32)
    inp = httpclient.InferInput("data_0", [1, 3, 224, 224], "FP32")
    inp.set_data_from_numpy(data)
    prob = client.infer("densenet_onnx", [inp]).as_numpy("prob_1")
    assert prob.shape == (1, 1000, 1, 1)
    assert prob.sum() == pytest.approx(1.0, abs=1e-4)
    path = DEMO / "densenet_onnx/1/model.onnx"
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = session.run(["prob_1"], {"data_0": data})[0]
    # On a GPU host the served instance may run on CUDA (cuDNN), which rounds differently.
    rtol, atol = (1e-3, 1e-6) if has_local_gpu() else (1e-5, 1e-7)
    np.testing.assert_allclose(prob, expected, rtol=rtol, atol=atol)


def test_identity_onnx_config_autocompleted_from_onnx(demo_client: TritonHTTP) -> None:
    config = demo_client.model_config("identity_onnx")
    assert config["max_batch_size"] == 4  # first dimension is dynamic in the ONNX file
    assert [(t["name"], t["data_type"], t["dims"]) for t in config["input"]] == [
        ("INPUT0", "TYPE_FP32", [16])
    ]
    assert [(t["name"], t["data_type"], t["dims"]) for t in config["output"]] == [
        ("OUTPUT0", "TYPE_FP32", [16])
    ]


def test_log_history_kept_from_first_line(demo_server: ServerProcess) -> None:
    lines = [line for _, line in demo_server.lines.snapshot()]
    assert any("successfully loaded 'slow_init'" in line for line in lines)
    assert any("Started HTTPService" in line for line in lines)
    seqs = [seq for seq, _ in demo_server.lines.snapshot()]
    assert seqs[0] == 1 and seqs == sorted(seqs)


def test_missing_repository_is_refused(tmp_path: Path) -> None:
    server = ServerProcess(LaunchSpec([tmp_path / "nope"]))
    with pytest.raises(LaunchError, match="does not exist"):
        server.start()
    assert server.proc is None


def test_empty_repository_warns(tmp_path: Path) -> None:
    server = ServerProcess(LaunchSpec([tmp_path]))
    server.start()
    try:
        server.wait_ready(60)
        assert any("empty" in w for w in server.warnings)
    finally:
        server.stop()


def test_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        server = ServerProcess(LaunchSpec([DEMO], http_port=port))
        with pytest.raises(LaunchError, match=f"http port {port} .* in use"):
            server.start()


def test_missing_binary_is_named(tmp_path: Path) -> None:
    server = ServerProcess(LaunchSpec([DEMO], tritonserver=str(tmp_path / "tritonserver")))
    with pytest.raises(LaunchError, match="no executable"):
        server.start()


def test_broken_model_reason_names_model_and_line(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    broken = repo / "broken"
    (broken / "1").mkdir(parents=True)
    (broken / "config.pbtxt").write_text('name: "broken"\nbackend: "python"\nmax_batch_size: x\n')
    server = launch(repo)
    try:
        index = {m["name"]: m for m in TritonHTTP(server.http_url).repository_index()}
        assert index["add_sub"]["state"] == "READY"
        assert "state" not in index["broken"]  # the index alone does not say why
        reason = server.errors.reason("broken")
        assert reason is not None
        assert "failed to read text proto" in reason
        assert "3:17" in reason  # line:column from the server's own protobuf parser
    finally:
        server.stop()


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    import psutil

    server = launch(copy_demo(tmp_path / "models", ("add_sub",)))
    proc = psutil.Process(server.pid)
    family = [proc, *proc.children(recursive=True)]
    assert any("stub" in p.name() for p in family[1:])  # the python backend stub
    server.stop()
    gone, alive = psutil.wait_procs(family, timeout=10)
    assert not alive


_NUMPY_FIRST = """import numpy as np  # before triton_python_backend_utils, on purpose
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def execute(self, requests):
        out = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            out.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUTPUT0", np.negative(x))]))
        return out
"""


def test_python_model_may_import_numpy_first_and_leaves_no_bytecode(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    model = repo / "numpy_first"
    (model / "1").mkdir(parents=True)
    (model / "config.pbtxt").write_text(
        'name: "numpy_first"\nbackend: "python"\nmax_batch_size: 0\n'
        'input [{ name: "INPUT0" data_type: TYPE_FP32 dims: [ 4 ] }]\n'
        'output [{ name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 4 ] }]\n'
    )
    (model / "1" / "model.py").write_text(_NUMPY_FIRST)
    server = launch(repo)
    try:
        index = {m["name"]: m.get("state") for m in TritonHTTP(server.http_url).repository_index()}
        assert index == {"add_sub": "READY", "numpy_first": "READY"}, server.errors.reason(
            "numpy_first"
        )
        client = httpclient.InferenceServerClient(server.http_url)
        inp = httpclient.InferInput("INPUT0", [4], "FP32")
        inp.set_data_from_numpy(np.arange(4, dtype=np.float32))
        result = client.infer("numpy_first", [inp]).as_numpy("OUTPUT0")
        np.testing.assert_array_equal(result, -np.arange(4, dtype=np.float32))
    finally:
        server.stop()
    assert not list(repo.rglob("__pycache__")), "the server wrote bytecode into the repository"


def test_exit_reason_names_the_code_and_the_real_error(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    (repo / "broken" / "1").mkdir(parents=True)
    (repo / "broken" / "config.pbtxt").write_text('name: "broken"\nbackend: "nosuchbackend"\n')
    server = ServerProcess(
        LaunchSpec([repo], extra_args=["--model-control-mode=none", "--exit-on-error=true"])
    )
    server.start()
    try:
        with pytest.raises(LaunchError) as caught:
            server.wait_ready(90)
        reason = str(caught.value)
        assert reason.startswith("tritonserver exited with code 1"), reason
        assert "broken" in reason
        for harmless in ("CudaDriverHelper", "NVML", "failed to load all models"):
            assert harmless not in reason
    finally:
        server.stop()


def _build(folder: Path, marker: str, complete: bool = True) -> Path:
    (folder / "python").mkdir(parents=True)
    (folder / "python" / marker).write_text(marker)
    if complete:
        (folder / ".complete").write_text("ok\n")
    return folder


def test_a_backend_folder_another_process_finished_is_kept(tmp_path: Path) -> None:
    """Two consoles (or two test workers on a fresh cache) build the backend folder at once:
    the one finishing second must not delete the first one's folder, which its server may be
    loading models from already (the old code removed it before renaming its own)."""
    target = _build(tmp_path / "key", "theirs")
    move_into_place(_build(tmp_path / "key.tmp2", "ours"), target)
    assert (target / "python" / "theirs").is_file() and not (tmp_path / "key.tmp2").exists()
    # an interrupted build (no .complete) is replaced
    leftover = _build(tmp_path / "other", "stale", complete=False)
    move_into_place(_build(tmp_path / "other.tmp2", "fresh"), leftover)
    assert (leftover / "python" / "fresh").is_file() and (leftover / ".complete").is_file()
    assert not (leftover / "python" / "stale").exists()
