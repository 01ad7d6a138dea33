"""A simulated fleet for `just bench-fleet`: OpenMetrics for N Triton servers × M models over an
hour, written the way tritonserver names its metrics, then loaded into a Prometheus data folder
with `promtool tsdb create-blocks-from openmetrics`.

The hour is sampled every 5 minutes, its last 5 minutes every 15 s (enough for rate windows up to
a few minutes at the end, where the console evaluates). Each server has its own request rate per
model; a few are down at the end (no Triton samples, `up` 0), one restarted mid-way (its counters
start again from zero), one model is served as version 2 on a few replicas (drift), and one
replica per model queues ten times longer (the outlier). The blocks are cached under our cache
folder, keyed by the sizes and the seed, and reused.

Run alone: `python -m assets.bench.fleet_sim [SERVERS] [MODELS]` prints the data folder and the
evaluation time.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tui.core.util.paths import cache_dir

JOB = "triton-sim"
HOUR = 3600
COARSE = 300
FINE = 15
SEED = 23
COUNTERS = (
    "nv_inference_request_success",
    "nv_inference_request_failure",
    "nv_inference_count",
    "nv_inference_exec_count",
    "nv_inference_queue_duration_us",
    "nv_inference_compute_input_duration_us",
    "nv_inference_compute_infer_duration_us",
    "nv_inference_compute_output_duration_us",
)


def timestamps(end: int) -> list[int]:
    coarse = list(range(end - HOUR, end - COARSE, COARSE))
    return coarse + list(range(end - COARSE, end + 1, FINE))


class Server:
    def __init__(self, i: int, models: int, rng: random.Random) -> None:
        self.instance = f"10.{i // 250}.{i % 250}.7:8002"
        self.name = f"triton-{i:03d}"
        self.down_from = HOUR - 120 if i % 97 == 5 else None  # a few die 2 min before the end
        self.restart_at = HOUR // 2 if i == 1 else None
        self.rates = [rng.uniform(5, 200) for _ in range(models)]
        self.batch = rng.choice((1.0, 2.0, 4.0))
        slow = [10 if (i + m) % 50 == 0 else 1 for m in range(models)]  # the outliers
        self.queue = [rng.uniform(50, 400) * k for k in slow]

    def labels(self) -> str:
        return f'job="{JOB}",instance="{self.instance}",name="{self.name}"'

    def up(self, t: int) -> bool:
        return self.down_from is None or t < self.down_from

    def since_start(self, t: int) -> int:
        return t - self.restart_at if self.restart_at is not None and t >= self.restart_at else t


def counter(server: Server, name: str, m: int, seconds: int) -> float:
    ok = server.rates[m] * seconds
    return {
        "nv_inference_request_success": ok,
        "nv_inference_request_failure": ok * 0.001,
        "nv_inference_count": ok,
        "nv_inference_exec_count": ok / server.batch,
        "nv_inference_queue_duration_us": ok * server.queue[m],
        "nv_inference_compute_input_duration_us": ok * 20,
        "nv_inference_compute_infer_duration_us": ok * 800,
        "nv_inference_compute_output_duration_us": ok * 15,
    }[name]


def lines(servers: list[Server], models: int, end: int) -> Iterator[str]:
    times = timestamps(end)
    start = end - HOUR
    yield "# TYPE up gauge"
    for s in servers:
        for t in times:
            yield f"up{{{s.labels()}}} {1 if s.up(t - start) else 0} {t}"
    for name in COUNTERS:
        # `unknown`, not `counter`: OpenMetrics would add _total to the names Triton writes.
        yield f"# TYPE {name} unknown"
        for s in servers:
            for m in range(models):
                version = "2" if m == 3 and s.name.endswith(("0", "5")) else "1"
                series = f'{name}{{{s.labels()},model="model_{m:02d}",version="{version}"}}'
                for t in times:
                    if s.up(t - start):
                        yield f"{series} {counter(s, name, m, s.since_start(t - start)):.1f} {t}"
    for name, value in (("nv_inference_pending_request_count", 3.0),):
        yield f"# TYPE {name} gauge"
        for s in servers:
            for m in range(models):
                series = f'{name}{{{s.labels()},model="model_{m:02d}",version="1"}}'
                for t in times:
                    if s.up(t - start):
                        yield f"{series} {value} {t}"
    for name in ("nv_gpu_utilization", "nv_gpu_memory_used_bytes", "nv_cpu_utilization"):
        yield f"# TYPE {name} gauge"
        for s in servers:
            value = {"nv_gpu_utilization": 0.6, "nv_gpu_memory_used_bytes": 12e9}.get(name, 0.3)
            series = f'{name}{{{s.labels()},gpu_uuid="GPU-{s.name}"}}'
            for t in times:
                if s.up(t - start):
                    yield f"{series} {value} {t}"
    yield "# EOF"


def build(servers: int = 500, models: int = 20) -> tuple[Path, float]:
    """The Prometheus data folder holding the simulation, and the time to evaluate at."""
    folder = cache_dir() / "bench-fleet" / f"{servers}x{models}-seed{SEED}"
    meta = folder / "meta.json"
    if meta.exists():
        return folder / "data", float(json.loads(meta.read_text())["end"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    end = int(time.time()) // FINE * FINE - FINE
    rng = random.Random(SEED)
    fleet = [Server(i, models, rng) for i in range(servers)]
    text = folder / "fleet.om"
    t0 = time.perf_counter()
    with open(text, "w") as out:
        for line in lines(fleet, models, end):
            out.write(line + "\n")
    wrote = time.perf_counter() - t0
    t0 = time.perf_counter()
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", str(text), str(folder / "data")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    loaded = time.perf_counter() - t0
    size = text.stat().st_size
    text.unlink()
    meta.write_text(json.dumps({"end": end, "servers": servers, "models": models}))
    print(
        f"simulated {servers} servers × {models} models over an hour: {size / 1e6:.0f} MB of "
        f"OpenMetrics written in {wrote:.1f} s, loaded by promtool in {loaded:.1f} s",
        flush=True,
    )
    return folder / "data", float(end)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    data, at = build(n, m)
    print(data, at)
