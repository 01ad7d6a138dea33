"""Tune benchmark: brute force against the quick (hill-climbing) search, same model, same space.

Launches the embedded server on a temporary repository holding `fixed_cost_onnx` (see
tools/tune_models.py), runs `brute` then `quick`, and prints for each the configurations and
measurements taken, the wall time and the winner; then the ratios: quick's winner throughput over
brute's (target >= 0.95) and quick's wall time over brute's (target <= 0.4). Because the two runs
measure at different moments, the throughput ratio is also given with both winners' figures
taken from the brute run (the search's quality without the machine's drift between runs). Quick
ends by measuring its top configurations again and ranks them on that figure: its winner's
throughput is the second measurement, and the re-measures count in its measurements and time.

Then the verdict's repeatability: `--repeats N` (default 3) quick tunes each of two models on the
same server, and how often their verdicts agree. `sleepy_python` sleeps per request, so a second
instance doubles its throughput (target: "better" every time, the winner two instances);
`fixed_cost_batched` already batches, so nothing in its space helps at concurrency 8 (target: never
a winner). `--agreement-only` skips the brute/quick comparison.

    python assets/bench/tune.py [--counts 1:3] [--batch 2:16] [--concurrency 1:64] [-p 1000]
                                [--repeats 3] [--agreement-only]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tools.tune_models import (  # noqa: E402
    FIXED_COST,
    FIXED_COST_BATCHED,
    SLEEPY,
    add_fixed_cost_batched_model,
    add_fixed_cost_model,
    add_sleepy_model,
)
from tui.core.server.client import TritonHTTP  # noqa: E402
from tui.core.server.launcher import LaunchSpec, ServerProcess  # noqa: E402
from tui.core.tune.measure import MeasureSettings  # noqa: E402
from tui.core.tune.record import TuneRecord  # noqa: E402
from tui.core.tune.space import SearchSpace, powers_of_two  # noqa: E402
from tui.core.tune.tuner import CandidateMeasured, TuneRun, run_tune  # noqa: E402


def _pair(text: str) -> tuple[int, int]:
    low, _, high = text.partition(":")
    return int(low), int(high or low)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1:3", help="instance counts MIN:MAX")
    parser.add_argument("--batch", default="2:16", help="max_batch_size MIN:MAX (powers of 2)")
    parser.add_argument("--concurrency", default="1:64", help="MIN:MAX (powers of 2)")
    parser.add_argument("-p", type=int, default=1000, help="measurement window, ms")
    parser.add_argument("-s", type=float, default=20.0, help="stability percentage")
    parser.add_argument("--repeats", type=int, default=3, help="tunes per model for agreement")
    parser.add_argument("--agreement-only", action="store_true", help="skip brute vs quick")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="triton-tui-bench-tune-"))
    add_fixed_cost_model(work / "models")
    add_fixed_cost_batched_model(work / "models")
    add_sleepy_model(work / "models")
    server = ServerProcess(LaunchSpec([work / "models"]))
    server.start()
    try:
        server.wait_ready(120)
        run = TuneRun(server.metrics_url, MeasureSettings(args.p, args.s), work / "records")
        code = 0 if args.agreement_only else _search(args, server, run)
        return code or _agreement(server, run, args.repeats)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def _search(args: argparse.Namespace, server: ServerProcess, run: TuneRun) -> int:
    """Brute against quick on the fixed-cost model (the search's quality and cost)."""
    config = TritonHTTP(server.http_url).model_config(FIXED_COST)
    low, high = _pair(args.counts)
    space = SearchSpace.for_model(
        config,
        has_gpu=False,
        counts=list(range(low, high + 1)),
        batch_sizes=powers_of_two(*_pair(args.batch)),
        concurrency=powers_of_two(*_pair(args.concurrency)),
    )
    print(
        f"model {FIXED_COST}, {space.size()} configs + default, concurrency "
        f"{args.concurrency}, window {args.p} ms, stability {args.s:g} %",
        flush=True,
    )
    records: dict[str, TuneRecord] = {}
    walls: dict[str, float] = {}
    for mode in ("brute", "quick"):
        record = TuneRecord(FIXED_COST, server.http_url, space, mode=mode, window_ms=args.p)
        t0 = time.monotonic()
        records[mode] = run_tune(record, run, _progress(mode))
        walls[mode] = time.monotonic() - t0
    return _report(records, walls)


AGREEMENT_CASES = [
    # model, axes, the verdict expected every time, the winner's key when "better"
    (SLEEPY, {"counts": [1, 2], "concurrency": [1, 2, 4]}, "better", "cpu2-mbs0-nodb"),
    (
        FIXED_COST_BATCHED,
        {"counts": [1], "batch_sizes": [8, 16], "dynamic": [True], "concurrency": [8]},
        "no_better_beyond_noise",
        None,
    ),
]


def _agreement(server: ServerProcess, run: TuneRun, repeats: int) -> int:
    """The same quick tune `repeats` times per model: how often the verdicts agree."""
    print(f"\nverdict agreement over {repeats} repeated quick tunes per model", flush=True)
    for model, axes, expected, winner in AGREEMENT_CASES:
        config = TritonHTTP(server.http_url).model_config(model)
        space = SearchSpace.for_model(config, has_gpu=False, **axes)  # type: ignore[arg-type]
        seen = []
        for i in range(repeats):
            t0 = time.monotonic()
            record = run_tune(TuneRecord(model, server.http_url, space, mode="quick"), run)
            verdict = record.verdict
            chosen = record.chosen
            key = chosen.key if chosen is not None else None
            seen.append((verdict.verdict if verdict else record.status, key))
            gain = verdict.final.get("gain_pct") if verdict and verdict.final else None
            span = f", gain {gain[0]:+.0f} to {gain[1]:+.0f} %" if gain else ""
            print(
                f"  {model:20} run {i + 1}: {seen[-1][0]}"
                f"{' (' + key + ')' if key else ''}{span}, {time.monotonic() - t0:.0f} s",
                flush=True,
            )
        pairs = [(a, b) for i, a in enumerate(seen) for b in seen[i + 1 :]]
        agree = sum(a == b for a, b in pairs)
        hits = sum(v == expected and k == winner for v, k in seen)
        print(
            f"{model}: verdicts agree in {agree}/{len(pairs)} pairs; as expected "
            f"({expected}{' ' + winner if winner else ''}) in {hits}/{repeats} runs"
            + ("" if expected == "better" else f"; winners: {sum(k is not None for _, k in seen)}")
        )
    return 0


def _progress(mode: str):  # type: ignore[no-untyped-def]
    def on_event(event: object) -> None:
        if isinstance(event, CandidateMeasured):
            r = event.result
            best = max((lv.throughput for lv in r.levels if lv.ok), default=0.0)
            print(
                f"  {mode:5} {r.candidate.words():55} {len(r.levels)} levels, "
                f"best {best:,.0f} infer/s",
                flush=True,
            )

    return on_event


def _report(records: dict[str, TuneRecord], walls: dict[str, float]) -> int:
    print()
    winners = {}
    for mode, record in records.items():
        winner = record.winner
        assert winner is not None and winner.best is not None, f"{mode}: nothing measured"
        winners[mode] = winner
        print(
            f"{mode:5}: {len(record.results):2} configs, {record.measurements:3} measurements, "
            f"{walls[mode]:6.1f} s; winner {winner.candidate.words()} "
            f"{winner.best.throughput:,.0f} infer/s at concurrency {winner.best.concurrency} "
            f"({record.status})"
        )
        if record.remeasured:
            print(
                f"       ranked on a second measurement of {len(record.remeasured)} configs "
                "(the top 3 and the default; counted in its measurements and wall time)"
            )
    brute, quick = winners["brute"], winners["quick"]
    assert brute.best is not None and quick.best is not None
    same = brute.key == quick.key
    ratio = quick.best.throughput / brute.best.throughput
    wall_ratio = walls["quick"] / walls["brute"]
    print(f"same winner: {'yes' if same else 'no'}")
    print(f"throughput ratio quick/brute (each run's own figures): {ratio:.2f} (target >= 0.95)")
    in_brute = records["brute"].result(quick.key)
    if in_brute is not None:
        records["brute"].score(in_brute)
        if in_brute.best is not None:
            print(
                "throughput ratio quick/brute (both winners as the brute run measured them): "
                f"{in_brute.best.throughput / brute.best.throughput:.2f}"
            )
    print(f"wall time ratio quick/brute: {wall_ratio:.2f} (target <= 0.4)")
    print(
        "measurements ratio quick/brute: "
        f"{records['quick'].measurements / max(1, records['brute'].measurements):.2f}"
    )
    print("note: client and server share this machine's CPUs; other load makes figures drift.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
