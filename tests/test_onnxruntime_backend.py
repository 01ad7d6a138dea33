"""Our python-based `onnxruntime` backend: which execution provider each instance runs on.

The choice is a pure function of the instance kind, its device and onnxruntime's providers, so it
is tested here with the CPU build (and with the provider list a GPU build reports); the server
tests read what the instances really log. The GPU path itself runs in tests/gpu_check.py.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import onnxruntime as ort
import pytest

from tests.conftest import FAST_ONNX_MODEL, ROOT, copy_demo, launch
from tui.core.logs.parser import has_local_gpu
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.locate import _embedded_root

GPU_BUILD = ["CUDAExecutionProvider", "CPUExecutionProvider"]


@pytest.fixture(scope="module")
def backend() -> ModuleType:
    """tui/backends/onnxruntime/model.py, imported next to the embedded server's real
    triton_python_backend_utils.py (plain Python; the stub adds its C parts at run time)."""
    root = _embedded_root()
    assert root is not None, "the embedded server is not installed"
    sys.path.insert(0, str(root / "backends" / "python"))
    try:
        path = ROOT / "tui" / "backends" / "onnxruntime" / "model.py"
        spec = importlib.util.spec_from_file_location("ort_backend_model", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(root / "backends" / "python"))
    return module


def test_gpu_instances_use_cuda_on_their_device_when_onnxruntime_has_it(
    backend: ModuleType,
) -> None:
    providers, reason = backend.choose_providers("GPU", 3, GPU_BUILD)
    assert providers == [("CUDAExecutionProvider", {"device_id": 3}), "CPUExecutionProvider"]
    assert reason == ""
    line = backend.provider_line("m_0", providers, GPU_BUILD, reason)
    assert line == "m_0: onnxruntime runs on CUDAExecutionProvider on GPU 3"
    # CUDA listed but its libraries failed to load: onnxruntime fell back, and we say so
    line = backend.provider_line("m_0", providers, ["CPUExecutionProvider"], reason)
    assert line == (
        "m_0: onnxruntime runs on CPUExecutionProvider "
        "(CUDAExecutionProvider failed to start (see onnxruntime's messages above))"
    )


def test_idle_threads_do_not_spin_unless_the_config_says_so(backend: ModuleType) -> None:
    """Spinning threads took the cores the server and its clients needed (bench-densenet)."""
    model = ROOT / "assets" / "models" / "identity_onnx" / "1" / "model.onnx"
    key = "session.intra_op.allow_spinning"
    options = backend._session(model).get_session_options()
    assert options.get_session_config_entry(key) == "0"
    config = {"parameters": {key: {"string_value": "1"}}}
    options = backend._session(model, config).get_session_options()
    assert options.get_session_config_entry(key) == "1"


def test_cpu_and_model_instances_stay_on_the_cpu(backend: ModuleType) -> None:
    for kind in ("CPU", "MODEL"):
        assert backend.choose_providers(kind, 0, GPU_BUILD) == (["CPUExecutionProvider"], "")


def test_gpu_instance_with_this_cpu_build_falls_back_with_a_reason(backend: ModuleType) -> None:
    available = ort.get_available_providers()
    if "CUDAExecutionProvider" in available:
        pytest.skip("this onnxruntime is a GPU build")
    providers, reason = backend.choose_providers("GPU", 0, available)
    assert providers == ["CPUExecutionProvider"]
    line = backend.provider_line("densenet_onnx_0", providers, ["CPUExecutionProvider"], reason)
    assert line == (
        "densenet_onnx_0: onnxruntime runs on CPUExecutionProvider (KIND_GPU requested but "
        "onnxruntime has no CUDAExecutionProvider: install triton-tui[gpu])"
    )
    assert "\n" not in line


def test_every_instance_logs_its_provider(demo_server: ServerProcess) -> None:
    said = [
        line
        for _, line in demo_server.lines.snapshot()
        if re.search(r"densenet_onnx_\d+: onnxruntime runs on ", line)
    ]
    assert said and all(line.startswith("I") for line in said), said
    if has_local_gpu():  # no instance_group: Triton gives densenet_onnx one GPU instance per GPU
        assert all("on GPU" in line or "install triton-tui[gpu]" in line for line in said), said
        return
    # no instance_group on a CPU host: two CPU instances
    assert sorted(line.split("] ", 1)[1] for line in said) == [
        f'"densenet_onnx_{i}: onnxruntime runs on CPUExecutionProvider"' for i in (0, 1)
    ]


def test_kind_gpu_instance_on_this_server(tmp_path: Path) -> None:
    """Without a GPU, tritonserver refuses a KIND_GPU instance group before our backend runs, so
    the fall-back line can only show on a GPU host whose onnxruntime lacks CUDA."""
    repo = copy_demo(tmp_path / "models", (FAST_ONNX_MODEL,))
    config = repo / FAST_ONNX_MODEL / "config.pbtxt"
    config.write_text(config.read_text() + "instance_group [ { kind: KIND_GPU, count: 1 } ]\n")
    server = launch(repo)
    try:
        index = {m["name"]: m for m in TritonHTTP(server.http_url).repository_index()}
        lines = [line for _, line in server.lines.snapshot()]
    finally:
        server.stop(timeout=3)
    if not has_local_gpu():
        assert index[FAST_ONNX_MODEL]["state"] == "UNAVAILABLE"
        assert "has kind KIND_GPU but no GPUs are available" in index[FAST_ONNX_MODEL]["reason"]
        return
    assert index[FAST_ONNX_MODEL]["state"] == "READY"
    said = [line for line in lines if f"{FAST_ONNX_MODEL}_0" in line and "runs on" in line]
    assert len(said) == 1 and ("on GPU 0" in said[0] or "install triton-tui[gpu]" in said[0])
