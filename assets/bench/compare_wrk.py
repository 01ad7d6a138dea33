"""Measure triton-tui's load generator against wrk on the same server, model and body.

Per concurrency level, rounds alternate ours / wrk (same duration each) so that noise from other
work on the machine hits both; the medians of the rounds are compared:
throughput(ours)/throughput(wrk) and p50(ours)/p50(wrk).
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

from tui.core.bench.inputs import prepare
from tui.core.bench.loadgen import LoadGenerator
from tui.core.bench.stats import percentile
from tui.core.client import TritonHTTP
from tui.core.launcher import LaunchSpec, ServerProcess
from tui.core.paths import cache_dir

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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-repository", type=Path, help="launch the embedded server on DIR")
    ap.add_argument("-u", "--url", help="attach to a server at HOST:PORT instead")
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
        url = server.http_url
    else:
        url = args.url or "127.0.0.1:8000"
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
        print(f"model {args.model} on {url}, {args.rounds} x {args.seconds:g} s per tool and level")
        print(
            f"{'conc':>4} {'ours/s':>9} {'wrk/s':>9} {'ratio':>6} "
            f"{'p50 ours':>9} {'p50 wrk':>8} {'ratio':>6}"
        )
        with LoadGenerator(client.host, client.port, prep.requests) as gen:
            for c in (int(x) for x in args.concurrency.split(",")):
                o, w = [], []
                for _ in range(args.rounds):
                    o.append(ours(gen, c, args.seconds))
                    w.append(wrk(infer_url, c, args.seconds, env, args.wrk_threads))
                ot = statistics.median(x[0] for x in o)
                wt = statistics.median(x[0] for x in w)
                op = statistics.median(x[1] for x in o)
                wp = statistics.median(x[1] for x in w)
                print(
                    f"{c:>4} {ot:>9.0f} {wt:>9.0f} {ot / wt:>6.2f} "
                    f"{op:>7.0f}us {wp:>6.0f}us {op / wp:>6.2f}",
                    flush=True,
                )
    finally:
        if server:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
