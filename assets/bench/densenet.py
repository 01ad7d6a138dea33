"""What the demo's DenseNet-121 costs, and what the server adds to it.

1. Parameters and multiply-accumulates, counted from the generated graph (Conv and Gemm nodes).
2. A server on the demo repository (its config unchanged: two CPU instances), and per concurrency
   c in 1..4: onnxruntime directly in this process (one session, default options, c threads
   calling run() on the same zero input), then `triton-tui bench -m densenet_onnx
   --concurrency-range c:c` against the server as a user runs it, then onnxruntime again: the
   mean of the two direct runs is the anchor, as the machine may be shared.
3. Per concurrency: throughput server/direct and mean latency server/direct.

Run: `just bench-densenet` (or `python -m assets.bench.densenet [SECONDS]` from the checkout).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from tools.models import DENSENET_FILE, MODELS, ensure_densenet, model_cost
from tui.core.server.launcher import LaunchSpec, ServerProcess

LEVELS = (1, 2, 3, 4)


def direct(session: ort.InferenceSession, concurrency: int, seconds: float) -> tuple[float, float]:
    """(infer/s, mean latency in ms) of `concurrency` threads calling run() for `seconds`."""
    feed = {"data_0": np.zeros((1, 3, 224, 224), np.float32)}
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    start = time.perf_counter()
    stop = start + seconds

    def worker(out: list[float]) -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            session.run(None, feed)
            out.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=worker, args=(out,)) for out in latencies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    done = [x for out in latencies for x in out]
    return len(done) / elapsed, 1000 * sum(done) / len(done)


def server_level(url: str, concurrency: int, seconds: float) -> tuple[float, float] | None:
    """`triton-tui bench` at one concurrency: (infer/s, mean latency in ms), None if unstable."""
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "bench.json"
        args = ["bench", "-m", "densenet_onnx", "-u", url, "--input-data", "zero"]
        args += [
            "--concurrency-range",
            f"{concurrency}:{concurrency}",
            "-p",
            f"{seconds * 1000:.0f}",
        ]
        # A shared machine: a wide stability band, or a level may never settle.
        args += ["-s", "100", "-r", "8", "--json", str(record)]
        print("$ triton-tui " + " ".join(args[:-1]) + " FILE", flush=True)
        run = subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True)
        if not record.is_file():
            raise SystemExit(f"triton-tui bench failed ({run.returncode}):\n{run.stderr[-2000:]}")
        levels = json.loads(record.read_text())["levels"]
    if not levels:
        return None
    return levels[0]["throughput"], levels[0]["latency_us"]["avg"] / 1000


def main(seconds: float) -> None:
    ensure_densenet()
    cost = model_cost(onnx.load(str(DENSENET_FILE)))
    print(
        f"densenet_onnx: {cost.learnable / 1e6:.2f} M learnable parameters "
        f"(+{cost.bn_stats / 1e6:.2f} M batch-norm statistics), "
        f"{DENSENET_FILE.stat().st_size / 1e6:.1f} MB; {cost.macs / 1e9:.2f} GMACs "
        f"({2 * cost.macs / 1e9:.2f} GFLOPs) per image",
        flush=True,
    )
    session = ort.InferenceSession(str(DENSENET_FILE), providers=["CPUExecutionProvider"])
    direct(session, 1, 1.0)  # warm-up
    server = ServerProcess(LaunchSpec([MODELS]))
    server.start()
    rows = []
    try:
        server.wait_ready(180)
        for c in LEVELS:
            before = direct(session, c, seconds)
            served = server_level(server.http_url, c, seconds)
            after = direct(session, c, seconds)
            rows.append((c, before, served, after))
    finally:
        server.stop()
    print(f"\nonnxruntime {ort.__version__} in one process vs tritonserver, {os.cpu_count()} CPUs")
    print(f"{'conc':>4} {'direct/s':>9} {'server/s':>9} {'tput s/d':>9} {'lat ms d':>9}", end="")
    print(f" {'lat ms s':>9} {'lat s/d':>8}   direct before / after")
    for c, before, served, after in rows:
        d_tput, d_lat = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
        if served is None:
            print(f"{c:>4} {d_tput:>9.1f}  (the server level did not stabilise)")
            continue
        s_tput, s_lat = served
        print(
            f"{c:>4} {d_tput:>9.1f} {s_tput:>9.1f} {s_tput / d_tput:>9.2f} {d_lat:>9.1f}"
            f" {s_lat:>9.1f} {s_lat / d_lat:>8.2f}   {before[0]:.1f} / {after[0]:.1f} infer/s"
        )


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0)
