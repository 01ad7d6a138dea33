"""Measure triton-tui's load generator against wrk and the real perf_analyzer, one server.

Per concurrency level, rounds alternate ours / anchor (same duration each) so that noise from
other work on the machine hits both; the medians of the rounds are compared as
throughput(ours)/throughput(anchor) and p50(ours)/p50(anchor), against:
- wrk (HTTP, the same JSON body);
- perf_analyzer 2.41 over HTTP (binary tensors, as its default) and over gRPC, installed by
  tools/perf_analyzer.py; it measures with its own windows (`-p` = the run length
  / 1.2, the merge of its last three), ours counts every answer of a run of the same length.
Targets: ours >= 0.95x perf_analyzer's throughput on both protocols at every level, p50 <= 1.1x
at concurrency 1.
Run: `just bench-loadgen`
(or `python assets/bench/compare_wrk.py --model-repository assets/models`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.perf_analyzer import PerfAnalyzer, install  # noqa: E402
from tui.core.bench.inputs import prepare  # noqa: E402
from tui.core.bench.loadgen import LoadGenerator  # noqa: E402
from tui.core.bench.stats import percentile  # noqa: E402
from tui.core.server.client import TritonHTTP  # noqa: E402
from tui.core.server.launcher import LaunchSpec, ServerProcess  # noqa: E402
from tui.core.util.paths import cache_dir  # noqa: E402

LUA = Path(__file__).with_name("infer.lua")


def ours(gen: LoadGenerator, concurrency: int, seconds: float) -> tuple[float, float]:
    gen.run(concurrency=concurrency)
    time.sleep(0.2)  # connections open, first answers back
    gen.collect()
    t0 = time.monotonic_ns()
    time.sleep(seconds)
    got = gen.collect()
    t1 = time.monotonic_ns()
    gen.pause()  # quiet while wrk runs
    lat = np.sort(got.records[:, 1] - got.records[:, 0])
    return len(lat) / ((t1 - t0) / 1e9), percentile(lat, 50) / 1000


def wrk(
    url: str, concurrency: int, seconds: float, env: dict[str, str], threads: int
) -> tuple[float, float]:
    threads = min(threads, concurrency)
    cmd = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds:g}s", "-s", str(LUA), url]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=seconds + 30).stdout
    m = re.search(
        r"WRK_RESULT requests=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=\d+ errors=(\d+)", out
    )
    if not m:
        raise SystemExit(f"wrk gave no result:\n{out}")
    if int(m[4]):
        raise SystemExit(f"wrk saw {m[4]} errors:\n{out}")
    return int(m[1]) / (int(m[2]) / 1e6), float(m[3])


def perf_analyzer(
    pa: PerfAnalyzer, url: str, protocol: str, model: str, concurrency: int, seconds: float
) -> tuple[float, float]:
    out = cache_dir() / "bench" / "perf_analyzer.csv"
    out.unlink(missing_ok=True)
    cmd = pa.command(
        "-m", model, "-u", url, "-i", protocol, "--concurrency-range", str(concurrency),
        "-p", str(int(seconds * 1000 / 1.2 / 3)), "-s", "100", "-r", "10", "-f", str(out),
    )  # fmt: skip
    for _ in range(3):  # no stable result in a burst of load: try again
        proc = subprocess.run(
            cmd, capture_output=True, text=True, env=pa.env, timeout=seconds * 5 + 60
        )
        if proc.returncode != 2:
            break
    if proc.returncode != 0 or not out.exists():
        raise SystemExit(f"perf_analyzer failed ({proc.returncode}):\n{proc.stderr[-1000:]}")
    header, row = (line.split(",") for line in out.read_text().splitlines()[:2])
    return float(row[1]), float(row[header.index("p50 latency")])


def _median_ratio(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> tuple:
    at, bt = statistics.median(x[0] for x in a), statistics.median(x[0] for x in b)
    ap, bp = statistics.median(x[1] for x in a), statistics.median(x[1] for x in b)
    return at, bt, at / bt, ap, bp, ap / bp


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-repository", type=Path, help="launch the embedded server on DIR")
    ap.add_argument("-u", "--url", help="attach to a server at HOST:PORT instead")
    ap.add_argument("--grpc-url", default="127.0.0.1:8001", help="with -u: the gRPC endpoint")
    ap.add_argument("-m", "--model", default="add_sub")
    ap.add_argument("--concurrency", default="1,4,8")
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each run (default 3)")
    ap.add_argument("--wrk-threads", type=int, default=1, help="wrk -t (default 1)")
    ap.add_argument("--rounds", type=int, default=3, help="ours/wrk alternations per level")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    server = None
    if args.model_repository:
        server = ServerProcess(LaunchSpec([args.model_repository]))
        server.start()
        server.wait_ready(120)
        url, grpc_url = server.http_url, server.grpc_url
    else:
        url = args.url or "127.0.0.1:8000"
        grpc_url = args.grpc_url
    try:
        client = TritonHTTP(url)
        deadline = time.monotonic() + 60
        while not client.model_ready(args.model):
            if time.monotonic() > deadline:
                raise SystemExit(f"model {args.model} is not ready on {url}")
            time.sleep(0.2)
        meta, config = client.model_metadata(args.model), client.model_config(args.model)
        # The same JSON body for both tools (wrk cannot easily send our binary framing variants).
        prep = prepare(
            host=client.url,
            model=args.model,
            version="",
            metadata=meta,
            config=config,
            input_data="random",
            binary=False,
        )
        body_file = cache_dir() / "bench" / f"{args.model}.body"
        body_file.parent.mkdir(parents=True, exist_ok=True)
        body_file.write_bytes(prep.requests[0][-prep.body_sizes[0] :])
        env = {**os.environ, "TRITON_TUI_BODY": str(body_file)}
        infer_url = f"http://{client.url}{prep.path}"
        binary = prepare(
            host=client.url, model=args.model, version="", metadata=meta, config=config,
            input_data="random",
        )  # fmt: skip
        grpc_prep = prepare(
            host=client.url, model=args.model, version="", metadata=meta, config=config,
            input_data="random", protocol="grpc",
        )  # fmt: skip
        pa = install()
        grpc_host, grpc_port = grpc_url.rsplit(":", 1)
        print(f"model {args.model} on {url}, {args.rounds} x {args.seconds:g} s per tool and level")
        print(
            f"{'':>4} {'against':<13} {'ours/s':>9} {'anchor/s':>9} {'ratio':>6} "
            f"{'p50 ours':>9} {'p50 anchor':>10} {'ratio':>6}"
        )
        with (
            LoadGenerator(client.host, client.port, prep.requests) as json_gen,
            LoadGenerator(client.host, client.port, binary.requests) as bin_gen,
            LoadGenerator(
                grpc_host, int(grpc_port), grpc_prep.requests, protocol="grpc"
            ) as grpc_gen,
        ):
            for c in (int(x) for x in args.concurrency.split(",")):
                runs: dict[str, list] = {k: [] for k in ("wrk", "pa-http", "pa-grpc")}
                mine: dict[str, list] = {k: [] for k in runs}
                for _ in range(args.rounds):
                    mine["wrk"].append(ours(json_gen, c, args.seconds))
                    runs["wrk"].append(wrk(infer_url, c, args.seconds, env, args.wrk_threads))
                    mine["pa-http"].append(ours(bin_gen, c, args.seconds))
                    runs["pa-http"].append(
                        perf_analyzer(pa, client.url, "http", args.model, c, args.seconds)
                    )
                    mine["pa-grpc"].append(ours(grpc_gen, c, args.seconds))
                    runs["pa-grpc"].append(
                        perf_analyzer(pa, grpc_url, "grpc", args.model, c, args.seconds)
                    )
                for i, key in enumerate(runs):
                    ot, at, tr, op, ap, pr = _median_ratio(mine[key], runs[key])
                    print(
                        f"{c if i == 0 else '':>4} {key:<13} {ot:>9.0f} {at:>9.0f} {tr:>6.2f} "
                        f"{op:>7.0f}us {ap:>8.0f}us {pr:>6.2f}",
                        flush=True,
                    )
    finally:
        if server:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
