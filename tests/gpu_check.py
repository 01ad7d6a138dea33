"""GPU check for the GPU pane's data, run on a machine with an NVIDIA GPU (not collected by pytest).

    .venv/bin/python tests/gpu_check.py

It starts the embedded tritonserver on a repository holding `gpu_spin` (a python model that
keeps the GPU busy for a given number of milliseconds with a clock-spinning CUDA kernel, launched
through the driver API with ctypes, so nothing beyond the NVIDIA driver is needed), loads it from
four client threads, and asserts real values:

- NVML answers, and GPU utilization rises under load (idle max vs loaded max);
- NVML's compute-process list shows a pid (and says whether it is the launched server's tree);
- the server's metrics endpoint exports nv_gpu_utilization, nv_gpu_memory_used_bytes and
  nv_gpu_power_usage, and gpu_spin's request rate is measured from counter deltas;
- our onnxruntime backend runs a KIND_GPU instance of the demo's DenseNet-121 on the CUDA
  execution provider (install triton-tui[gpu] first), with the same probabilities as a KIND_CPU
  instance beside it; each one's sequential latency is printed;
- the doctor's GPU rules on those two: gpu_not_used for the KIND_CPU one beside an idle GPU,
  GPU utilization and the CUDA provider seen for the KIND_GPU one (no generic queue advice).

Exit 0 when every check passes, 1 when one fails, 2 when this machine has no usable NVML.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402
import tritonclient.http as httpclient  # noqa: E402
from conftest import copy_demo, launch  # noqa: E402

from tools.models import ensure_densenet  # noqa: E402
from tui.core.doctor.examine import examine  # noqa: E402
from tui.core.doctor.gather import Probe, Target  # noqa: E402
from tui.core.gpu.format import render_text  # noqa: E402
from tui.core.gpu.metrics import parse_metrics  # noqa: E402
from tui.core.gpu.nvml import NvmlReader, NvmlUnavailable  # noqa: E402
from tui.core.gpu.sampler import Sampler, Snapshot  # noqa: E402
from tui.core.server.client import fetch_metrics  # noqa: E402
from tui.core.server.launcher import ServerProcess  # noqa: E402

SPIN_CONFIG = """name: "gpu_spin"
backend: "python"
max_batch_size: 0
input [ { name: "MS", data_type: TYPE_INT32, dims: [ 1 ] } ]
output [ { name: "OUT", data_type: TYPE_INT32, dims: [ 1 ] } ]
instance_group [ { count: 1, kind: KIND_CPU } ]
"""

SPIN_MODEL = r'''
"""gpu_spin: spin every SM for MS milliseconds with a PTX kernel (CUDA driver API via ctypes)."""

import ctypes

import triton_python_backend_utils as pb_utils

PTX = b"""
.version 6.0
.target sm_50
.address_size 64
.visible .entry spin(.param .u64 cycles)
{
    .reg .pred %p<2>;
    .reg .b64 %rd<5>;
    ld.param.u64 %rd1, [cycles];
    mov.u64 %rd2, %clock64;
$L_spin:
    mov.u64 %rd3, %clock64;
    sub.s64 %rd4, %rd3, %rd2;
    setp.lt.u64 %p1, %rd4, %rd1;
    @%p1 bra $L_spin;
    ret;
}
"""
CLOCK_RATE_KHZ = 13
MULTIPROCESSOR_COUNT = 16


class TritonPythonModel:
    def initialize(self, args):
        self.cu = ctypes.CDLL("libcuda.so.1")
        self.check("cuInit", 0)
        dev = ctypes.c_int()
        self.check("cuDeviceGet", ctypes.byref(dev), 0)
        self.ctx = ctypes.c_void_p()
        self.check("cuDevicePrimaryCtxRetain", ctypes.byref(self.ctx), dev)
        self.check("cuCtxSetCurrent", self.ctx)
        module = ctypes.c_void_p()
        self.check("cuModuleLoadData", ctypes.byref(module), ctypes.c_char_p(PTX))
        self.fn = ctypes.c_void_p()
        self.check("cuModuleGetFunction", ctypes.byref(self.fn), module, b"spin")
        khz, sms = ctypes.c_int(), ctypes.c_int()
        self.check("cuDeviceGetAttribute", ctypes.byref(khz), CLOCK_RATE_KHZ, dev)
        self.check("cuDeviceGetAttribute", ctypes.byref(sms), MULTIPROCESSOR_COUNT, dev)
        self.khz, self.blocks = khz.value, 2 * sms.value

    def check(self, name, *args):
        rc = getattr(self.cu, name)(*args)
        if rc != 0:
            raise pb_utils.TritonModelException(f"{name} returned CUresult {rc}")

    def spin(self, ms):
        self.check("cuCtxSetCurrent", self.ctx)
        cycles = ctypes.c_uint64(int(ms * self.khz))
        params = (ctypes.c_void_p * 1)(ctypes.cast(ctypes.byref(cycles), ctypes.c_void_p))
        self.check("cuLaunchKernel", self.fn, self.blocks, 1, 1, 128, 1, 1, 0, None, params, None)
        self.check("cuCtxSynchronize")

    def execute(self, requests):
        responses = []
        for request in requests:
            ms = pb_utils.get_input_tensor_by_name(request, "MS").as_numpy()
            self.spin(float(ms.reshape(-1)[0]))
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("OUT", ms)]))
        return responses
'''

failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"[{'PASS' if ok else 'FAIL'}] {what}", flush=True)
    if not ok:
        failures.append(what)


def make_repo() -> Path:
    repo = copy_demo(Path(tempfile.mkdtemp(prefix="gpu-check-")) / "models", ("add_sub",))
    (repo / "gpu_spin" / "1").mkdir(parents=True)
    (repo / "gpu_spin" / "config.pbtxt").write_text(SPIN_CONFIG)
    (repo / "gpu_spin" / "1" / "model.py").write_text(SPIN_MODEL)
    return repo


def load(url: str, stop: threading.Event, errors: list[str]) -> None:
    client = httpclient.InferenceServerClient(url)
    ms = httpclient.InferInput("MS", [1], "INT32")
    ms.set_data_from_numpy(np.array([20], dtype=np.int32))
    while not stop.is_set():
        try:
            client.infer("gpu_spin", [ms])
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(str(exc))
            return


def densenet_cpu_and_gpu() -> None:
    """densenet_onnx with one KIND_CPU instance next to a copy with one KIND_GPU instance."""
    ensure_densenet()
    repo = copy_demo(Path(tempfile.mkdtemp(prefix="gpu-onnx-")) / "models", ("densenet_onnx",))
    config = (repo / "densenet_onnx" / "config.pbtxt").read_text()
    shutil.copytree(repo / "densenet_onnx", repo / "densenet_gpu")
    group = "instance_group [ {{ kind: {}, count: 1 }} ]\n"
    (repo / "densenet_onnx" / "config.pbtxt").write_text(config + group.format("KIND_CPU"))
    (repo / "densenet_gpu" / "config.pbtxt").write_text(
        config.replace('"densenet_onnx"', '"densenet_gpu"') + group.format("KIND_GPU")
    )
    server = launch(repo, timeout=180)
    try:
        said = [line for _, line in server.lines.snapshot() if "onnxruntime runs on" in line]
        for line in said:
            print("  server log:", line)
        check(
            any("densenet_gpu" in line and "CUDAExecutionProvider on GPU" in line for line in said),
            "densenet_gpu's KIND_GPU instance runs on the CUDA execution provider",
        )
        client = httpclient.InferenceServerClient(server.http_url)
        data = httpclient.InferInput("data_0", [1, 3, 224, 224], "FP32")
        data.set_data_from_numpy(np.random.default_rng(0).random((1, 3, 224, 224), np.float32))
        probs = {}
        for name in ("densenet_onnx", "densenet_gpu"):
            for _ in range(5):  # warm-up (CUDA kernels, memory arenas)
                client.infer(name, [data])
            start, n = time.perf_counter(), 50
            for _ in range(n):
                probs[name] = client.infer(name, [data]).as_numpy("prob_1")
            ms = (time.perf_counter() - start) / n * 1000
            print(f"  {name}: {ms:.1f} ms per request, {1000 / ms:.1f} infer/s at concurrency 1")
        diff = float(np.abs(probs["densenet_onnx"] - probs["densenet_gpu"]).max())
        check(diff < 1e-4, f"GPU and CPU instances agree (max |difference| {diff:.2e})")
        doctor_on_gpu(server)
    finally:
        server.stop()


def doctor_on_gpu(server: ServerProcess) -> None:
    """The doctor's GPU rules on real evidence: the KIND_CPU DenseNet beside an idle GPU gets
    gpu_not_used (with KIND_GPU to try); the KIND_GPU one is seen on the GPU (utilization from
    the server's nv_gpu_* metrics, the CUDA provider in the log), so neither gpu_not_used nor the
    generic queue_bound is given for it."""
    target = Target(
        server.http_url,
        server.metrics_url,
        server.pid,
        lambda: [line for _, line in server.lines.snapshot()],
    )
    cpu = examine(target, "densenet_onnx", probe=Probe(2, 2000))
    print("  doctor, densenet_onnx (KIND_CPU):", cpu.summary())
    found = cpu.find("gpu_not_used")
    check(
        found is not None and found.recipe == {"op": "kind", "kind": "KIND_GPU"},
        "doctor: a KIND_CPU model beside an idle GPU gets gpu_not_used, KIND_GPU to try",
    )
    gpu = examine(target, "densenet_gpu", probe=Probe(8, 2000))
    ids = [f.id for f in gpu.findings]
    util = max((g.utilization for g in gpu.evidence.gpus), default=0.0)
    print(f"  doctor, densenet_gpu (KIND_GPU): {ids or 'no finding'}; GPU utilization {util:.0%}")
    check(bool(gpu.evidence.gpus) and util > 0, "doctor: GPU utilization seen during the probe")
    check(
        any("CUDAExecutionProvider" in p for p in gpu.evidence.providers),
        "doctor: the instance's provider read from the server log",
    )
    check(
        "gpu_not_used" not in ids and "queue_bound" not in ids,
        "doctor: a KIND_GPU model on the GPU gets GPU-specific advice only",
    )


def max_util(snaps: list[Snapshot]) -> float:
    return max((g.util_gpu or 0.0 for s in snaps for g in s.nvml.gpus), default=0.0)


def main() -> int:
    try:
        NvmlReader().close()
    except NvmlUnavailable as exc:
        print(f"no GPU check possible here: {exc}")
        return 2
    repo = make_repo()
    server = launch(repo, "--metrics-interval-ms=500", timeout=180)
    print(f"tritonserver pid {server.pid}  http {server.http_url}  metrics {server.metrics_url}")
    sampler = Sampler(server_pid=server.pid, metrics_url=server.metrics_url, interval=0.5)
    try:
        ready = httpclient.InferenceServerClient(server.http_url).is_model_ready("gpu_spin")
        check(ready, "gpu_spin (CUDA driver API kernel) loaded READY")
        if not ready:
            for _seq, line in server.lines.snapshot():
                if "gpu_spin" in line:
                    print("  server log:", line)
        idle = []
        for _ in range(6):
            idle.append(sampler.sample())
            time.sleep(0.5)
        stop, errors = threading.Event(), []
        threads = [
            threading.Thread(target=load, args=(server.http_url, stop, errors)) for _ in range(4)
        ]
        for t in threads:
            t.start()
        busy = []
        try:
            for _ in range(16):
                time.sleep(0.5)
                busy.append(sampler.sample())
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        last = busy[-1]
        print(
            "\n--- snapshot under load ---\n" + render_text(last) + "\n---------------------------"
        )
        check(not errors, f"inference errors: {errors[:1] or 'none'}")
        nv = last.nvml
        check(nv.available and bool(nv.gpus), f"NVML sees {len(nv.gpus)} GPU(s)")
        for g in nv.gpus:
            print(f"GPU {g.index} {g.name}: NVML errors {list(g.errors) or 'none'}")
        idle_u, busy_u = max_util(idle), max_util(busy)
        check(
            busy_u >= 50 and busy_u > idle_u,
            f"NVML utilization idle max {idle_u:.0f} % -> under load max {busy_u:.0f} %",
        )
        procs = [p for s in busy for g in s.nvml.gpus for p in g.processes or ()]
        pids = sorted({p.pid for p in procs})
        check(bool(pids) and all(p > 0 for p in pids), f"GPU process list shows pids {pids}")
        ours = sorted(set(pids) & set(last.server_pids))
        print(f"of which the launched server's tree ({sorted(last.server_pids)}): {ours or 'none'}")
        check(bool(ours), "the launched tritonserver (or its stub) is in the GPU process list")
        text = fetch_metrics(server.metrics_url)
        scrape = parse_metrics(text)
        names = [
            n
            for n in ("nv_gpu_utilization", "nv_gpu_memory_used_bytes", "nv_gpu_power_usage")
            if n in text
        ]
        check(len(names) == 3, f"server exports {names}")
        check(bool(scrape.gpus), f"server GPU metrics by uuid: {scrape.gpus}")
        server_util = max(
            (g.utilization or 0.0 for s in busy if s.metrics for g in s.metrics.gpus), default=0.0
        )
        check(server_util > 0, f"server nv_gpu_utilization under load max {server_util:.2f}")
        rates = [
            m.request_rate or 0.0
            for s in busy
            if s.metrics
            for m in s.metrics.models
            if m.model == "gpu_spin"
        ]
        check(max(rates, default=0) > 0, f"gpu_spin request rate max {max(rates, default=0):.1f}/s")
        print(f"sampler cost: max {max(s.duration_s for s in busy) * 1000:.1f} ms per sample")
    finally:
        sampler.close()
        server.stop()
    densenet_cpu_and_gpu()
    print(f"\n{len(failures)} check(s) failed" if failures else "\nall GPU checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
