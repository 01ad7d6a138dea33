"""`triton-tui doctor -m MODEL`: why is this model not faster? Findings from evidence, headless.

Evidence is gathered passively (watch the statistics move under the server's own traffic, send
nothing: the default on a running server given with -u) or by a short probe through the
benchmark engine (the default on a server launched here with --model-repository, which has no
traffic). `--try ID` measures that finding's change against the current config (the tuner's
interleaved A/B trial; the model is restored) and `--write` then saves it to config.pbtxt the
way `tune --write` does, when the gain clears the noise.

Exit codes: 0 whatever was found, 3 bad options, 99 no evidence could be gathered, or a try or a
write failed (the reason is printed), 130 interrupted (the model is restored).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from tui.commands.flags import add_server_flags, server_options
from tui.core.bench.ranges import MAX_WINDOW_MS
from tui.core.doctor.examine import examine
from tui.core.doctor.findings import Report
from tui.core.doctor.gather import GatherError, Probe, Target
from tui.core.doctor.rules import WEIGHTS
from tui.core.doctor.tryit import Tried, TryError, apply_tried, try_finding
from tui.core.server.client import TritonError
from tui.core.server.endpoints import require
from tui.core.server.launcher import LaunchError
from tui.core.server.options import ServerOptions
from tui.core.server.session import Session, open_session
from tui.core.tune.compare import Cancelled, Round
from tui.core.tune.measure import MeasureSettings
from tui.core.tune.restore import StillOverridden
from tui.core.tune.trial import TrialError

DEFAULT_PASSIVE_S = 10.0


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "doctor",
        help="why is this model not faster? findings from evidence, each with a measured fix",
        description="Read the server's statistics, the model's config and this machine while "
        "the model serves, and say what limits it, how sure that is, and which config change "
        "should help; --try ID measures that change against the current config.",
    )
    p.add_argument("-m", dest="model", required=True, metavar="MODEL", help="model to examine")
    how = p.add_mutually_exclusive_group()
    how.add_argument(
        "--passive",
        type=float,
        metavar="SECONDS",
        help="watch the server's own traffic this long, sending nothing (default on -u: "
        f"{DEFAULT_PASSIVE_S:g} s)",
    )
    how.add_argument(
        "--probe",
        action="store_true",
        help="send a short benchmark of our own (default on a server launched here)",
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=0,
        metavar="N",
        help="the probe's and the try's load (default: 2 x max batch x instances, 4 to 64)",
    )
    p.add_argument(
        "-p",
        "--measurement-interval",
        type=int,
        default=500,
        metavar="MS",
        help="probe and try window in ms (default 500)",
    )
    p.add_argument("--try", dest="try_id", metavar="ID", help="measure this finding's change")
    p.add_argument("--rounds", type=int, default=3, metavar="N", help="try rounds (default 3)")
    p.add_argument(
        "--write",
        action="store_true",
        help="with --try: save the change to config.pbtxt when its gain clears the noise",
    )
    p.add_argument(
        "--repository",
        type=Path,
        metavar="DIR",
        help="with -u and --write: the attached server's model repository on this machine",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_server_flags(p)
    p.set_defaults(func=run)


def check_options(args: argparse.Namespace) -> ServerOptions:
    """The server options (-u with --model-repository: as --repository); UsageError when a
    flag is wrong."""
    options = server_options(args, local_repository=True)
    if options.local_repositories and not args.repository:
        args.repository = options.local_repositories[0]
    checks = [
        (args.passive is None or args.passive > 0, "--passive must be more than 0 seconds"),
        (args.concurrency >= 0, "--concurrency must be at least 1"),
        (
            0 < args.measurement_interval <= MAX_WINDOW_MS,
            f"-p must be more than 0 and at most {MAX_WINDOW_MS} ms",
        ),
        (args.rounds >= 2, "--rounds must be at least 2 (a spread needs two)"),
        (
            args.try_id is None or args.try_id in WEIGHTS,
            f"--try {args.try_id}: not a finding id (one of {', '.join(WEIGHTS)})",
        ),
        (not args.write or args.try_id, "--write needs --try ID"),
        (
            not args.write or args.model_repository or args.repository,
            "--write with -u needs --repository DIR (or --model-repository DIR)",
        ),
    ]
    require(checks)
    return options


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 99


def run(args: argparse.Namespace) -> int:
    options = check_options(args)
    if not options.model_repositories:
        options.url = options.url or "localhost:8000"
    cancel = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.set())
    try:
        with open_session(options) as session:
            return _doctor(args, session, cancel)
    except LaunchError as exc:
        return _fail(str(exc))
    finally:
        signal.signal(signal.SIGINT, previous)


def _doctor(args: argparse.Namespace, session: Session, cancel: threading.Event) -> int:
    server = session.server
    url, metrics_url = session.client.url, session.metrics_url
    if not session.client.wait_model_ready(args.model, args.startup_timeout if server else 5):
        reason = server.errors.reason(args.model) if server else ""
        return _fail(f"model {args.model!r} is not ready" + (f": {reason}" if reason else ""))
    lines = session.lines
    target = Target(
        url,
        metrics_url,
        session.server_pid,
        (lambda: [line for _, line in lines.snapshot()]) if lines is not None else None,
    )
    probe = args.probe or (args.passive is None and server is not None)
    if not args.json:
        how = "probing" if probe else f"watching for {args.passive or DEFAULT_PASSIVE_S:g} s"
        print(f"Doctor: {args.model} on {url}, {how}…", file=sys.stderr, flush=True)
    try:
        report = examine(
            target,
            args.model,
            passive_s=0.0 if probe else (args.passive or DEFAULT_PASSIVE_S),
            probe=Probe(args.concurrency, args.measurement_interval) if probe else None,
            cancel=cancel,
        )
    except GatherError as exc:
        return _fail(f"could not gather evidence: {exc}")
    code = 0
    if args.try_id:
        code = _try(args, report, url, metrics_url, cancel)
    print(json.dumps(report.to_dict(), indent=1) if args.json else report.text())
    return code


def _try(
    args: argparse.Namespace,
    report: Report,
    url: str,
    metrics_url: str | None,
    cancel: threading.Event,
) -> int:
    finding = report.find(args.try_id)
    if finding is None:
        report.evidence.notes.append(f"--try {args.try_id}: not among this run's findings")
        return 0
    if not finding.triable:
        report.evidence.notes.append(f"--try {args.try_id}: its fix is not a config change")
        return 0
    measure = MeasureSettings(window_ms=args.measurement_interval)

    def progress(index: int, done: Round) -> None:
        if not args.json:
            print(
                f"  round {index + 1}/{args.rounds}: current {done.current:,.1f}, changed "
                f"{done.candidate:,.1f} infer/s",
                file=sys.stderr,
                flush=True,
            )

    try:
        tried = try_finding(
            url,
            metrics_url,
            args.model,
            finding,
            concurrency=args.concurrency or report.evidence.concurrency,
            measure=measure,
            rounds=args.rounds,
            cancel=cancel,
            on_round=progress,
        )
    except Cancelled:
        print("interrupted: the model is back on its own config", file=sys.stderr)
        return 130
    except (TrialError, TryError, StillOverridden, TritonError) as exc:
        return _fail(f"--try {args.try_id}: {exc}")
    if args.write:
        return _write(args, tried, report, url, metrics_url, measure)
    return 0


def _write(
    args: argparse.Namespace,
    tried: Tried,
    report: Report,
    url: str,
    metrics_url: str | None,
    measure: MeasureSettings,
) -> int:
    finding = report.find(tried.finding_id)
    assert finding is not None
    if not tried.comparison.clears():
        report.evidence.notes.append(
            f"--write: not written, the change's gain does not clear the noise "
            f"({tried.comparison.words()})"
        )
        return 0
    repositories = [Path(p) for p in (args.model_repository or [])] or [args.repository]
    try:
        done = apply_tried(tried, finding, repositories, url, metrics_url, measure)
    except TryError as exc:
        return _fail(f"--write: {exc}")
    report.evidence.notes.append(("written: " if done.ok else "not written: ") + done.message)
    return 0 if done.ok else 99
