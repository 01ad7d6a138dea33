"""What `triton-tui tune` prints: progress lines while it measures, then the table, the
summary, the verdict's exit code, the files asked for, --write and the --json verdict."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tui.core.tune import apply, html_report, report
from tui.core.tune.record import TuneRecord
from tui.core.tune.tuner import (
    CandidateMeasured,
    CandidateStarted,
    FinalRoundMeasured,
    FinalStarted,
    LevelMeasured,
    RemeasureStarted,
    TuneEvent,
    TuneRun,
)

LOAD = ["concurrency"]  # what a level's value is, for the progress lines ("request rate")


def printer(event: TuneEvent) -> None:
    if isinstance(event, CandidateStarted):
        eta = f", about {event.eta_s:.0f} s left" if event.eta_s is not None else ""
        bound = "" if event.eta_s is not None else "≤ "
        print(
            f"[{event.index}/{bound}{event.total}] {event.candidate.words()} "
            f"({event.elapsed_s:.0f} s{eta})",
            flush=True,
        )
    elif isinstance(event, RemeasureStarted):
        if event.index == 1:
            print("re-measuring the top configurations (the ranking uses the second figure)")
        print(
            f"[again {event.index}/{event.total}] {event.candidate.words()}",
            flush=True,
        )
    elif isinstance(event, LevelMeasured):
        lv = event.level
        text = (
            f"{lv.throughput:,.1f} infer/s, p99 {lv.p99_ms:.2f} ms"
            if lv.ok
            else f"no figure: {lv.error}"
        )
        print(f"    {LOAD[0]} {lv.concurrency}: {text}", flush=True)
    elif isinstance(event, FinalStarted):
        print(
            f"final comparison: {event.candidate.words()} against the current config, "
            f"alternately, {event.rounds} rounds at {LOAD[0]} {event.concurrency}",
            flush=True,
        )
    elif isinstance(event, FinalRoundMeasured):
        r = event.round
        print(
            f"    round {event.index}/{event.total}: current {r.current:,.1f}, "
            f"candidate {r.candidate:,.1f}",
            flush=True,
        )
    elif isinstance(event, CandidateMeasured) and event.result.status != "ok":
        print(f"    {event.result.status}: {event.result.reason}", flush=True)


def finish(
    args: argparse.Namespace, record: TuneRecord, settings: TuneRun, repositories: list[Path]
) -> int:
    for note in record.notes:
        print(f"note: {note}", flush=True)
    print(f"\nrecord: {record.path}")
    if record.results:
        print(report.table(record))
        print("\n" + report.summary(record))
    chosen = record.chosen
    if chosen is not None:
        print("\nBest config (config.pbtxt):\n" + report.best_config_text(record, chosen))
    if args.export:
        for path in report.export(record, args.export):
            print(f"wrote {path}")
    if args.report and record.results:
        print(f"wrote {html_report.write(record, args.report)}")
    code = _code(record)
    if code in (0, 5, 4) and args.write:
        if chosen is not None and chosen.best is not None:
            code = _write(record, chosen, settings, repositories)
        else:
            print("Nothing beats the model's own config beyond noise: nothing to write.")
    if args.json:
        print(json.dumps(report.verdict_json(record)), flush=True)
    return code


def _code(record: TuneRecord) -> int:
    if record.status == "cancelled":
        return 130
    if record.status == "error":
        print(f"error: {record.message}", file=sys.stderr)
        return 99
    verdict = record.verdict
    if verdict is None or verdict.verdict == "none_met_constraints":
        print("No configuration met the constraints; the closest is shown.", file=sys.stderr)
        return 4
    if verdict.verdict == "no_better_beyond_noise":
        print(
            f"No configuration is better than yours beyond noise (margin {verdict.min_gain_pct:g} "
            "%): keep the current config.",
            file=sys.stderr,
        )
        return 5
    return 0


def _write(record: TuneRecord, winner: Any, settings: TuneRun, repositories: list[Path]) -> int:
    try:
        the_plan = apply.plan(repositories, record.model, winner.candidate, record.base_config)
    except apply.ApplyError as exc:
        print(f"error: --write: {exc}", file=sys.stderr)
        return 99
    print("\n" + (the_plan.diff or "(no change to config.pbtxt)"))
    done = apply.apply(
        the_plan,
        record.url,
        settings.metrics_url,
        record.model,
        winner.candidate,
        winner.best.concurrency,
        settings.measure,
        record=record,
    )
    print(("applied: " if done.ok else "not applied: ") + done.message)
    if done.level is not None and done.level.ok:
        print(
            f"measured after reload: {done.level.throughput:,.1f} infer/s, p99 "
            f"{done.level.p99_ms:.2f} ms at concurrency {done.level.concurrency} "
            f"(tuned: {winner.best.throughput:,.1f} infer/s; figures vary with the machine's load)"
        )
    return 0 if done.ok else 99
