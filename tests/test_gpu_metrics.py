"""The server's own metrics endpoint, read from the real embedded tritonserver under load."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import tritonclient.http as httpclient

from tui.cli import main
from tui.core.gpu import Sampler
from tui.core.server.launcher import ServerProcess


def send_add_sub(url: str, count: int) -> None:
    client = httpclient.InferenceServerClient(url)
    try:
        a = np.arange(4, dtype=np.float32).reshape(1, 4)
        inputs = [httpclient.InferInput(n, [1, 4], "FP32") for n in ("INPUT0", "INPUT1")]
        for tensor in inputs:
            tensor.set_data_from_numpy(a)
        for _ in range(count):
            result = client.infer("add_sub", inputs)
        np.testing.assert_allclose(result.as_numpy("OUTPUT0"), a + a)
    finally:
        client.close()


def test_metrics_move_under_load(demo_server: ServerProcess) -> None:
    sampler = Sampler(server_pid=demo_server.pid, metrics_url=demo_server.metrics_url)
    try:
        before = sampler.sample()
        send_add_sub(demo_server.http_url, 300)
        after = sampler.sample()
    finally:
        sampler.close()
    assert before.metrics and before.metrics.error is None
    assert after.metrics and after.metrics.error is None, after.metrics
    old = {m.model: m for m in before.metrics.models}
    new = {m.model: m for m in after.metrics.models}
    assert {"add_sub", "densenet_onnx", "identity_onnx"} <= set(new)
    add = new["add_sub"]
    assert add.success - old["add_sub"].success >= 300
    interval = after.metrics.interval_s
    assert interval and add.request_rate == pytest.approx(
        (add.success - old["add_sub"].success) / interval
    )
    assert add.inference_rate and add.inference_rate >= add.request_rate  # batch of 1 each
    assert add.failure_rate == 0
    assert add.avg_queue_us is not None and add.avg_queue_us > 0
    assert add.avg_compute_us is not None and add.avg_compute_us > 0
    assert add.avg_request_us is not None and add.avg_request_us >= add.avg_compute_us
    assert new["densenet_onnx"].request_rate == 0  # idle model: a rate of 0, not N/A
    # The launched server's own process tree did the work.
    server = after.server
    assert server and server.alive and server.children  # the python backend stub(s)
    assert server.cpu_percent and server.cpu_percent > 5
    assert server.rss and server.rss > 20 * 2**20
    assert sampler.histories.values("model.add_sub.rate")[-1] == add.request_rate


def test_server_cpu_gauges_appear(demo_server: ServerProcess) -> None:
    """nv_cpu_* are gauges the server refreshes every metrics interval (2 s by default)."""
    reader = Sampler(metrics_url=demo_server.metrics_url)
    deadline = time.monotonic() + 8
    metrics = reader.sample().metrics
    while metrics and not metrics.cpu_memory_total and time.monotonic() < deadline:
        time.sleep(0.5)
        metrics = reader.sample().metrics
    assert metrics and metrics.error is None
    assert metrics.cpu_memory_total and metrics.cpu_memory_used
    assert 0 < metrics.cpu_memory_used < metrics.cpu_memory_total
    assert metrics.cpu_utilization is not None and 0 <= metrics.cpu_utilization <= 1


def test_cli_once_with_server_metrics(
    demo_server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    pid = str(demo_server.pid)
    argv = ["gpu", "--once", "--metrics-url", demo_server.metrics_url, "--server-pid", pid]
    assert main([*argv, "--interval", "0.3"]) == 0
    text = capsys.readouterr().out
    assert f"Server metrics {demo_server.metrics_url}  CPU" in text
    assert f"tritonserver pid {pid} (+" in text
    header = next(line for line in text.splitlines() if "MODEL" in line)
    assert header.split()[:4] == ["MODEL", "VER", "REQ/S", "INF/S"]
    assert any(line.split()[:2] == ["add_sub", "1"] for line in text.splitlines())

    assert main([*argv, "--json", "--interval", "0.3"]) == 0
    data = json.loads(capsys.readouterr().out)
    models = {m["model"]: m for m in data["metrics"]["models"]}
    assert models["add_sub"]["request_rate"] is not None
    assert data["server"]["pid"] == demo_server.pid and data["server"]["alive"]
