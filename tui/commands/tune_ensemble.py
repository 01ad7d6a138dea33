"""`triton-tui tune -m ENSEMBLE`: each composing model is tuned in turn (instances, batching),
measured end to end through the ensemble, the others left as they are; `-m a,b`: each model tuned
in turn while all are driven at the same time (the objective the weighted sum of throughputs).
This module says what the steps found together.

Each step has its own verdict, files and --write; the exit code is the best news among them (0 if
any step is better beyond noise, else 5, else 4; a cancel or a server failure first), and --json
prints one object with the overall verdict, the winners by model and every step's verdict."""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import Callable
from typing import Any

from tui.core.tune import report
from tui.core.tune.record import TuneRecord
from tui.core.util.export import safe_name


def finish(
    args: argparse.Namespace,
    records: list[TuneRecord],
    total: int,
    finish_one: Callable[[argparse.Namespace, TuneRecord], int],
) -> int:
    """Report every step (files in one subfolder per composing model), then the whole."""
    codes = []
    for record in records:
        step = copy.copy(args)
        step.json = False
        if args.export:
            step.export = args.export / safe_name(record.model)
        if args.report:
            step.report = args.report / safe_name(record.model)
        how = (
            f"measured through {record.through}"
            if record.through
            else f"measured together with {', '.join(record.together)}"
        )
        print(f"\n== {record.model}, {how} ==")
        codes.append(finish_one(step, record))
    if len(records) < total:
        print(f"{total - len(records)} composing model(s) not tuned: the tune stopped early.")
    if args.json:
        name = args.model if records and records[0].through else list(args.models)
        print(json.dumps(ensemble_json(name, records)), flush=True)
    return combined_code(codes)


def combined_code(codes: list[int]) -> int:
    for code in (130, 99, 3, 0, 5):
        if code in codes:
            return code
    return 4


def ensemble_json(ensemble: str | list[str], records: list[TuneRecord]) -> dict[str, Any]:
    steps = [report.verdict_json(r) for r in records]
    verdicts = [s["verdict"] for s in steps]
    if "better" in verdicts:
        overall = "better"
    elif verdicts and all(v == "none_met_constraints" for v in verdicts):
        overall = "none_met_constraints"
    else:
        overall = "no_better_beyond_noise"
    winners = {r.model: s["winner"] for r, s in zip(records, steps, strict=True) if s["winner"]}
    gains = {r.model: s["gain_pct"] for r, s in zip(records, steps, strict=True) if s["gain_pct"]}
    group = {"ensemble": ensemble} if records and records[0].through else {"models": ensemble}
    return {
        "verdict": overall,
        **group,
        "winner": winners or None,
        "gain_pct": gains or None,
        "current": {r.model: s["current"] for r, s in zip(records, steps, strict=True)},
        "steps": steps,
    }
