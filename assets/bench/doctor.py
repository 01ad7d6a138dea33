"""Doctor benchmark: for each scenario (doctor_models.py) on the embedded server, the time to a
verdict by probe and by passive watching, whether the verdict is the expected finding, and the
measured gain of each tried fix.

The anchor, measured in the same run: one plain benchmark level of the same model at the same
window (what a user would run by hand before reading its numbers). The probe's time is printed
as a ratio to it. Passive watching takes the window it is given (plus reading the statistics)
under traffic sent by a benchmark running beside it. A try is the tuner's interleaved A/B trial:
its gain carries its 95 % interval over the rounds.

    python assets/bench/doctor.py [-p 500] [--passive 2] [--rounds 3] [--no-try]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.doctor_models import SCENARIOS, add_doctor_models  # noqa: E402
from tui.core.bench.engine import BenchConfig, run_sweep  # noqa: E402
from tui.core.bench.ranges import Range  # noqa: E402
from tui.core.doctor.examine import examine  # noqa: E402
from tui.core.doctor.gather import GatherError, Probe, Target  # noqa: E402
from tui.core.doctor.tryit import try_finding  # noqa: E402
from tui.core.server.client import TritonHTTP  # noqa: E402
from tui.core.server.launcher import LaunchSpec, ServerProcess  # noqa: E402
from tui.core.tune.measure import MeasureSettings  # noqa: E402

ANY = 10_000.0  # stability band: this benchmark reads the doctor, not a stable figure


def _level(server: ServerProcess, model: str, concurrency: int, window_ms: int) -> float:
    config = BenchConfig(
        model=model,
        url=server.http_url,
        concurrency=Range(concurrency, concurrency, 1),
        window_ms=window_ms,
        stability_pct=ANY,
        max_trials=3,
    )
    t0 = time.perf_counter()
    run_sweep(config, None, threading.Event())
    return time.perf_counter() - t0


def _served(client: TritonHTTP, model: str) -> int:
    return sum(int(e["inference_stats"]["success"]["count"]) for e in client.model_stats(model))


def _passive(
    server: ServerProcess, target: Target, model: str, args: argparse.Namespace
) -> tuple[float, str]:
    concurrency = SCENARIOS[model][0]
    config = BenchConfig(
        model=model,
        url=server.http_url,
        concurrency=Range(concurrency, concurrency, 1),
        window_ms=args.p,
        stability_pct=ANY,
        max_trials=100,
    )
    stop = threading.Event()
    traffic = threading.Thread(target=run_sweep, args=(config, None, stop), daemon=True)
    client = TritonHTTP(server.http_url)
    before = _served(client, model)
    traffic.start()
    deadline = time.monotonic() + 60
    while _served(client, model) <= before and time.monotonic() < deadline:
        time.sleep(0.1)  # the load generator's process is up and requests complete
    t0 = time.perf_counter()
    try:
        report = examine(target, model, passive_s=args.passive)
        verdict = report.top.id if report.top else "(none)"
    except GatherError as exc:
        verdict = f"error: {exc}"
    finally:
        stop.set()
        traffic.join(30)
    return time.perf_counter() - t0, verdict


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-p", type=int, default=500, help="window in ms (default 500)")
    parser.add_argument("--passive", type=float, default=2.0, help="passive window in s")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-try", action="store_true")
    args = parser.parse_args()
    repo = add_doctor_models(Path(tempfile.mkdtemp(prefix="doctor-bench-")) / "models")
    server = ServerProcess(LaunchSpec([repo]))
    server.start()
    try:
        server.wait_ready(180)
        target = Target(server.http_url, server.metrics_url, server.pid)
        print(
            f"{'scenario':<18} {'expected':<24} {'probe':<24} {'probe s':>8} {'anchor s':>9} "
            f"{'ratio':>6}  {'passive':<24} {'passive s':>9}"
        )
        tries = []
        for model, (concurrency, expected) in SCENARIOS.items():
            if model == "doc_busy":
                continue  # needs a CPU hog on every core: see tests/test_doctor_scenarios.py
            t0 = time.perf_counter()
            report = examine(target, model, probe=Probe(concurrency, args.p))
            probe_s = time.perf_counter() - t0
            anchor_s = _level(server, model, concurrency, args.p)
            got = report.top.id if report.top else "(none)"
            passive_s, passive = _passive(server, target, model, args)
            print(
                f"{model:<18} {expected or '(none)':<24} {got:<24} {probe_s:8.2f} {anchor_s:9.2f} "
                f"{probe_s / anchor_s:6.2f}  {passive:<24} {passive_s:9.2f}",
                flush=True,
            )
            if report.top is not None and report.top.triable:
                tries.append((model, concurrency, report.top))
        if args.no_try:
            return 0
        print("\nTried fixes (interleaved A/B, current config vs changed, same concurrency):")
        measure = MeasureSettings(window_ms=args.p, stability_pct=ANY, max_trials=6)
        for model, concurrency, finding in tries:
            t0 = time.perf_counter()
            tried = try_finding(
                server.http_url,
                server.metrics_url,
                model,
                finding,
                concurrency=concurrency,
                measure=measure,
                rounds=args.rounds,
                folder=Path(tempfile.mkdtemp(prefix="doctor-try-")),
            )
            c = tried.comparison
            print(
                f"  {model:<18} {finding.id:<24} {c.current.mean:9.1f} -> {c.candidate.mean:9.1f} "
                f"infer/s  gain {c.words()}  ({time.perf_counter() - t0:.1f} s)",
                flush=True,
            )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
