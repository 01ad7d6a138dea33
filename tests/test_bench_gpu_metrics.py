"""GPU figures per level from the server's metrics endpoint.

No GPU here: the real CPU server exports no nv_gpu_* metrics (test_bench_sweep checks that the
levels then carry none), so this test serves the exposition text a GPU server writes (metric
names and labels as in Triton's metrics.md) from a local HTTP endpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from tui.core.bench import report
from tui.core.bench.engine import BenchConfig, BenchResult, LevelResult, gpu_sample
from tui.core.bench.stats import LatencySummary, Window, merge_windows

UUID = "GPU-1b2c3d4e-0000-1111-2222-333344445555"
SAMPLES = [(0.5, 250.0, 2.0e9), (0.7, 300.0, 3.0e9), (0.9, 350.0, 2.5e9)]


def exposition(util: float, power: float, used: float) -> str:
    labels = f'{{gpu_uuid="{UUID}"}}'
    return (
        "# HELP nv_gpu_utilization GPU utilization rate [0.0 - 1.0)\n"
        "# TYPE nv_gpu_utilization gauge\n"
        f"nv_gpu_utilization{labels} {util}\n"
        "# HELP nv_gpu_power_usage GPU power usage in watts\n"
        "# TYPE nv_gpu_power_usage gauge\n"
        f"nv_gpu_power_usage{labels} {power}\n"
        "# HELP nv_gpu_memory_used_bytes GPU used memory, in bytes\n"
        "# TYPE nv_gpu_memory_used_bytes gauge\n"
        f"nv_gpu_memory_used_bytes{labels} {used}\n"
        "# HELP nv_gpu_memory_total_bytes GPU total memory, in bytes\n"
        "# TYPE nv_gpu_memory_total_bytes gauge\n"
        f"nv_gpu_memory_total_bytes{labels} 85899345920\n"
    )


@pytest.fixture
def metrics_endpoint() -> Iterator[tuple[str, list[str]]]:
    pages: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = pages.pop(0).encode() if pages else b""
            self.send_response(200 if self.path == "/metrics" else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}", pages
    server.shutdown()
    server.server_close()


def test_gpu_metrics_per_level(metrics_endpoint: tuple[str, list[str]]) -> None:
    url, pages = metrics_endpoint
    pages += [exposition(*s) for s in SAMPLES]
    samples = [gpu_sample(url) for _ in SAMPLES]
    assert samples[0] == {
        UUID: {
            "utilization": 0.5,
            "power_w": 250.0,
            "memory_used_bytes": 2.0e9,
            "memory_total_bytes": 85899345920,
        }
    }
    lat = np.array([1000, 2000], np.int64)
    windows = [Window(10**9, 1, lat, lat, lat, gpu=s) for s in [{}, *samples]]
    merged = merge_windows(windows).gpu[UUID]  # the last three windows
    assert merged["utilization"] == pytest.approx(0.7)
    assert merged["power_w"] == pytest.approx(300.0)
    assert merged["memory_used_bytes"] == 3.0e9  # max
    assert merged["memory_total_bytes"] == 85899345920
    summary = LatencySummary(2, 1500, 0, {50: 1000, 90: 2000, 95: 2000, 99: 2000})
    level = LevelResult(1, 2.0, summary, None, {UUID: merged}, 3, 3 * 10**9)
    block = report.level_block(BenchConfig(model="m"), level).splitlines()
    start = block.index("  Server Prometheus Metrics: ")
    assert block[start + 1 : start + 3] == ["    Avg GPU Utilization:", f"      {UUID} : 70.0%"]
    assert f"      {UUID} : 300.0 watts" in block
    assert f"      {UUID} : 3000000000 bytes" in block
    rows = report.csv_rows(BenchResult(BenchConfig(model="m"), [level]), verbose=True)
    assert rows[0][-4:] == [
        "Avg GPU Utilization",
        "Avg GPU Power Usage",
        "Max GPU Memory Usage",
        "Total GPU Memory",
    ]
    assert rows[1][-4] == f"{UUID}:0.7;" and rows[1][-1] == f"{UUID}:85899345920;"
    # an endpoint without GPU metrics (or none at all) gives no GPU figures, not an error
    assert gpu_sample(url) == {}
    assert gpu_sample(None) == {}
    assert gpu_sample("127.0.0.1:9") == {}


def test_gpu_polled_every_interval(metrics_endpoint: tuple[str, list[str]]) -> None:
    """A window's GPU figures pool the polls inside it (perf_analyzer polls every second), not
    one sample at its end: three polls over the window average to 0.7."""
    import time

    from tui.core.bench.server_stats import GpuPoller

    url, pages = metrics_endpoint
    pages += [exposition(*SAMPLES[0])] + [exposition(*s) for s in SAMPLES]
    start = time.monotonic_ns()
    poller = GpuPoller(url, interval=0.1)  # its first page tells it the server has GPUs
    deadline = time.monotonic() + 30
    while pages and time.monotonic() < deadline:  # polled three times (slowly on a busy machine)
        time.sleep(0.05)
    poller.close()  # lets the poll in progress record its sample
    samples = poller.take(start, time.monotonic_ns())
    assert [s[UUID]["utilization"] for s in samples] == [0.5, 0.7, 0.9]
    lat = np.array([1000, 2000], np.int64)
    window = Window(10**9, 1, lat, lat, lat, gpu_samples=samples)
    merged = merge_windows([window]).gpu[UUID]
    assert merged["utilization"] == pytest.approx(0.7)
    assert merged["memory_used_bytes"] == 3.0e9
    assert GpuPoller(None).take(0, start) == []
