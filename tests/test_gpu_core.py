"""GPU sampling core: the real no-NVML path, a fake NVML, host/process sampling, histories."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import Any

import pynvml
import pytest

from tui.cli import main
from tui.core.gpu import Histories, History, HostReader, NvmlReader, NvmlUnavailable, Sampler
from tui.core.gpu.format import render_text
from tui.core.gpu.history import DEFAULT_CAPACITY
from tui.core.gpu.metrics import MetricsReader, parse_metrics

HAS_NVML = True
try:
    pynvml.nvmlInit()
    pynvml.nvmlShutdown()
except pynvml.NVMLError:
    HAS_NVML = False


def fake_pynvml(
    *, gpus: int = 1, unsupported: tuple[str, ...] = (), pids: tuple[int, ...] = (4242,)
) -> types.ModuleType:
    """A stand-in for pynvml: this machine has no GPU and no libnvidia-ml, so the NVML path can
    only be exercised with a fake. It raises pynvml's own NVMLError classes, so the error
    handling under test is the one real NVML errors go through. `fail` maps a function name to
    an error code to raise from then on (an NVML error mid-sample)."""
    nv = types.ModuleType("fake_pynvml")
    nv.NVMLError = pynvml.NVMLError
    nv.NVMLError_LibraryNotFound = pynvml.NVMLError_LibraryNotFound
    nv.NVMLError_DriverNotLoaded = pynvml.NVMLError_DriverNotLoaded
    nv.NVML_TEMPERATURE_GPU = pynvml.NVML_TEMPERATURE_GPU
    nv.NVML_CLOCK_SM = pynvml.NVML_CLOCK_SM
    nv.fail = {}
    nv.calls = 0

    def fn(name: str, result: Callable[..., Any]) -> None:
        def call(*args: Any) -> Any:
            nv.calls += 1
            if name in nv.fail:
                raise pynvml.NVMLError(nv.fail[name])
            if name in unsupported:
                raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)
            return result(*args)

        setattr(nv, name, call)

    ns = types.SimpleNamespace
    fn("nvmlInit", lambda: None)
    fn("nvmlShutdown", lambda: None)
    fn("nvmlSystemGetDriverVersion", lambda: "550.54.15")
    fn("nvmlDeviceGetCount", lambda: gpus)
    fn("nvmlDeviceGetHandleByIndex", lambda i: ("handle", i))
    fn("nvmlDeviceGetName", lambda h: b"NVIDIA H100 80GB HBM3")
    fn("nvmlDeviceGetUUID", lambda h: f"GPU-0000-{h[1]}")
    fn("nvmlDeviceGetUtilizationRates", lambda h: ns(gpu=87, memory=41))
    fn("nvmlDeviceGetMemoryInfo", lambda h: ns(used=20 * 2**30, total=80 * 2**30))
    fn("nvmlDeviceGetPowerUsage", lambda h: 350_500)
    fn("nvmlDeviceGetEnforcedPowerLimit", lambda h: 700_000)
    fn("nvmlDeviceGetTemperature", lambda h, s: 55)
    fn("nvmlDeviceGetClockInfo", lambda h, c: 1980)
    fn("nvmlDeviceGetTotalEnergyConsumption", lambda h: 12_345_678)
    fn(
        "nvmlDeviceGetComputeRunningProcesses",
        lambda h: [ns(pid=p, usedGpuMemory=512 * 2**20) for p in pids],
    )
    return nv


# The real no-NVML path -----------------------------------------------------------------------
@pytest.mark.skipif(HAS_NVML, reason="this machine has NVML; the no-NVML path needs one without")
def test_no_nvml_gives_one_line_reason_and_host_stays_live() -> None:
    with pytest.raises(NvmlUnavailable) as info:
        NvmlReader()
    assert str(info.value).startswith("NVML not available: ")
    assert "\n" not in str(info.value)

    sampler = Sampler(server_pid=os.getpid())
    try:
        assert not sampler.nvml_available
        first = sampler.sample()
        cpu0, wall0 = time.process_time(), time.monotonic()
        while time.process_time() < cpu0 + 0.2:  # make our own CPU figure move
            pass
        # On a loaded machine those 0.2 s of CPU take longer than 0.2 s: the figure to expect
        # is the share this process got, as measured here.
        share = 100 * (time.process_time() - cpu0) / (time.monotonic() - wall0)
        snap = sampler.sample()
    finally:
        sampler.close()
    assert snap.nvml.message == first.nvml.message
    assert snap.nvml.message == "NVML not available: libnvidia-ml.so.1 not found (no NVIDIA driver)"
    assert snap.host.memory_total > 0 and snap.host.memory_used > 0
    assert snap.server is not None and snap.server.alive
    assert snap.server.cpu_percent is not None and snap.server.cpu_percent > share / 2, share
    assert snap.server.rss and snap.server.rss > 10 * 2**20
    assert snap.server.threads and snap.server.threads >= 1
    text = render_text(snap)
    assert text.splitlines()[1] == snap.nvml.message
    assert "Host  CPU" in text and f"tritonserver pid {os.getpid()}" in text


@pytest.mark.skipif(HAS_NVML, reason="this machine has NVML")
def test_cli_once_without_server_or_nvml() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tui", "gpu", "--once", "--json", "--interval", "0.3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["nvml"]["available"] is False
    assert data["nvml"]["message"].startswith("NVML not available: ")
    assert data["host"]["cpu_count"] >= 1 and data["metrics"] is None


def test_cli_rejects_bad_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gpu", "--once", "--interval", "0"]) == 3
    assert "--interval" in capsys.readouterr().err
    assert main(["gpu", "--once", "--metrics-url", "localhost:notaport"]) == 3
    assert "HOST:PORT" in capsys.readouterr().err


def test_cli_unreachable_metrics_is_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["gpu", "--once", "--metrics-url", "127.0.0.1:9", "--interval", "0.2"])
    out = capsys.readouterr().out
    assert rc == 1
    assert "Server metrics 127.0.0.1:9: cannot reach metrics" in out
    assert "Host  CPU" in out


# NVML through a fake module ------------------------------------------------------------------
def test_fake_nvml_fields_and_processes() -> None:
    """Mocked NVML (no GPU on this machine): every field is read and converted to units."""
    me = os.getpid()
    sampler = Sampler(server_pid=me, nvml_module=fake_pynvml(gpus=2, pids=(me, 999_999)))
    try:
        snap = sampler.sample()
    finally:
        sampler.close()
    nv = snap.nvml
    assert nv.available and nv.driver_version == "550.54.15" and len(nv.gpus) == 2
    g = nv.gpus[1]
    assert (g.name, g.uuid) == ("NVIDIA H100 80GB HBM3", "GPU-0000-1")
    assert (g.util_gpu, g.util_memory, g.memory_percent) == (87.0, 41.0, 25.0)
    assert (g.power_w, g.power_limit_w, g.energy_j) == (350.5, 700.0, 12345.678)
    assert (g.temperature_c, g.sm_clock_mhz, g.errors) == (55.0, 1980.0, ())
    assert g.processes is not None and [p.pid for p in g.processes] == [me, 999_999]
    assert g.processes[0].name and g.processes[1].name is None  # no such process: no name
    text = render_text(snap)
    assert "GPU 1  NVIDIA H100 80GB HBM3  GPU-0000-1" in text
    assert "util 87 %" in text and "power 350 / 700 W" in text and "SM 1980 MHz" in text
    marked = [line for line in text.splitlines() if f"pid {me:>7}" in line]
    assert marked and all(line.endswith("tritonserver (launched)") for line in marked)
    assert sampler.histories.values("gpu1.util") == [87.0]


def test_fake_nvml_unsupported_fields_are_na() -> None:
    """Mocked NVML (no GPU here): NOT_SUPPORTED fields become None / N/A, not errors."""
    nv = fake_pynvml(unsupported=("nvmlDeviceGetPowerUsage", "nvmlDeviceGetTotalEnergyConsumption"))
    reader = NvmlReader(nv)
    g = reader.sample().gpus[0]
    assert g.power_w is None and g.energy_j is None and g.errors == ()
    assert g.power_limit_w == 700.0
    sampler = Sampler(nvml_module=nv)
    text = render_text(sampler.sample())
    assert "power N/A / 700 W" in text and "energy N/A" in text


def test_fake_nvml_error_mid_sample_is_shown_not_raised() -> None:
    """Mocked NVML (no GPU here): a GPU lost between samples is reported inside the snapshot."""
    nv = fake_pynvml()
    sampler = Sampler(nvml_module=nv)
    assert sampler.sample().nvml.gpus[0].errors == ()
    nv.fail["nvmlDeviceGetPowerUsage"] = pynvml.NVML_ERROR_GPU_IS_LOST
    g = sampler.sample().nvml.gpus[0]
    assert g.power_w is None and g.errors == ("power: GPU is lost",)
    assert g.util_gpu == 87.0  # the other fields still read
    assert "NVML error: power: GPU is lost" in render_text(sampler.sample())
    nv.fail["nvmlDeviceGetCount"] = pynvml.NVML_ERROR_UNKNOWN
    snap = sampler.sample()
    assert snap.nvml.available and snap.nvml.gpus == ()
    assert snap.nvml.error == "GPU count: Unknown Error"
    assert snap.host.memory_total > 0  # host still sampled


def test_fake_nvml_init_failure_is_unavailable() -> None:
    """Mocked NVML (no GPU here): a driver that is not loaded is a reason, not a crash."""
    nv = fake_pynvml()
    nv.fail["nvmlInit"] = pynvml.NVML_ERROR_DRIVER_NOT_LOADED
    sampler = Sampler(nvml_module=nv)
    snap = sampler.sample()
    assert not snap.nvml.available
    assert snap.nvml.message == "NVML not available: the NVIDIA kernel driver is not loaded"


# Host, histories, metrics parsing ----------------------------------------------------------
def test_host_reader_sums_children_and_notices_exit() -> None:
    child = "import time; time.sleep(30)"
    code = (
        "import subprocess,sys,time; "
        f"subprocess.Popen([sys.executable,'-c',{child!r}]); time.sleep(30)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        reader = HostReader(parent.pid)
        deadline = time.monotonic() + 10
        proc = reader.sample()[1]
        while proc is not None and not proc.children and time.monotonic() < deadline:
            time.sleep(0.1)
            proc = reader.sample()[1]
        assert proc is not None and proc.alive and len(proc.children) == 1
        assert proc.threads and proc.threads >= 2 and proc.rss and proc.rss > 2 * 2**20
    finally:
        os.killpg(parent.pid, signal.SIGKILL)  # the parent and its child
        parent.wait(5)
    gone = reader.sample()[1]
    assert gone is not None and not gone.alive and "is not running" in (gone.error or "")


def test_host_cpu_from_a_new_thread_each_sample() -> None:
    """The pane samples from a fresh worker thread each tick; the host CPU figure must still
    measure the interval since the previous sample (psutil's own baseline is per thread)."""
    reader = HostReader()
    figures: list[float] = []
    for _ in range(3):
        end = time.monotonic() + 0.3
        while time.monotonic() < end:  # keep one of the cores busy
            pass
        t = threading.Thread(target=lambda: figures.append(reader.sample()[0].cpu_percent))
        t.start()
        t.join()
    ncpu = reader.sample()[0].cpu_count
    assert all(f >= 60 / ncpu for f in figures), figures


def test_histories_are_bounded() -> None:
    h = History(5)
    h.extend(range(12))
    assert len(h) == 5 and h.values() == [7, 8, 9, 10, 11] and h.peak == 11
    h.append(None)
    assert h.values() == [8, 9, 10, 11] and h.last is None
    with pytest.raises(ValueError):
        History(0)
    hs = Histories(capacity=3)
    for i in range(1000):
        hs.record("a", i)
    assert hs.values("a") == [997, 998, 999] and hs.values("missing") == []

    sampler = Sampler(history_capacity=4)
    for _ in range(9):
        sampler.sample()
    assert len(sampler.histories.values("host.cpu")) == 4
    assert Sampler().histories.capacity == DEFAULT_CAPACITY >= 180  # several minutes at 1/s


def test_metrics_reader_rates_from_counter_deltas() -> None:
    base = """# TYPE nv_inference_request_success counter
nv_inference_request_success{model="m",version="1"} %d
# TYPE nv_inference_request_failure counter
nv_inference_request_failure{model="m",reason="BACKEND",version="1"} %d
nv_inference_request_failure{model="m",reason="OTHER",version="1"} 1
# TYPE nv_inference_count counter
nv_inference_count{model="m",version="1"} %d
# TYPE nv_inference_queue_duration_us counter
nv_inference_queue_duration_us{model="m",version="1"} %d
# TYPE nv_inference_compute_infer_duration_us counter
nv_inference_compute_infer_duration_us{model="m",version="1"} %d
# TYPE nv_gpu_utilization gauge
nv_gpu_utilization{gpu_uuid="GPU-1"} 0.5
"""
    texts = iter([base % (10, 0, 40, 1000, 5000), base % (110, 3, 440, 21000, 105000), "{oops"])
    reader = MetricsReader("x:1", fetch=lambda url: next(texts))
    first = reader.sample()
    assert first.models[0].success == 10 and first.models[0].request_rate is None
    second = reader.sample()
    m = second.models[0]
    dt = second.interval_s
    assert dt and m.request_rate == pytest.approx(100 / dt)
    assert m.inference_rate == pytest.approx(400 / dt) and m.failure_rate == pytest.approx(3 / dt)
    assert m.avg_queue_us == pytest.approx(200) and m.avg_compute_infer_us == pytest.approx(1000)
    assert second.gpus[0].uuid == "GPU-1" and second.gpus[0].utilization == 0.5
    bad = reader.sample()
    assert bad.error and "not Prometheus text" in bad.error
    restarted = parse_metrics(base % (5, 0, 5, 5, 5), at=1.0)
    assert restarted.counters[("m", "1")]["nv_inference_request_success"] == 5


def test_cli_repeats_as_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gpu", "--json", "--count", "2", "--interval", "0.2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    # The gap is the 0.2 s sleep plus the second sample's own reading time, which a loaded
    # machine stretches: less that, it is the interval (the default would make it 1 s or more).
    slept = second["taken_at"] - first["taken_at"] - second["duration_s"]
    assert 0.19 <= slept < 0.8, (slept, second["duration_s"])
