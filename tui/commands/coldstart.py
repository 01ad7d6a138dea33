"""`triton-tui coldstart -m MODEL`: the cold-start probe, headless.

Unloads the model, loads it timed through the API, times the first inference and N steady ones,
and prints them side by side with the log's load timeline (when the server is ours) and
`nv_model_load_duration_secs` (when exported). Suggests `model_warmup` when the first request is
much slower than the steady state. With `--model-repository` it launches its own server (verbose
logging on, so instance initialisation shows); with `-u` it works on a running server: that
model is unloaded and reloaded there.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tui.commands.flags import add_server_flags, server_options
from tui.core.logs.coldstart import LoadTimeline, format_seconds
from tui.core.logs.probe import STEADY, ProbeResult, run_probe
from tui.core.server.client import TritonError
from tui.core.server.endpoints import UsageError
from tui.core.server.launcher import LaunchError
from tui.core.server.session import Session, open_session
from tui.core.workflows.diagnosis import ModelErrorTracker


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "coldstart",
        help="time a model's unload, load, first and steady inferences; suggest model_warmup",
        description=(
            "Cold-start probe: unload MODEL, load it timed, time the first inference and N steady "
            "ones. --model-repository launches a server for the probe; -u uses a running one "
            "(the model is unloaded and reloaded there)."
        ),
    )
    parser.add_argument("-m", "--model", required=True, metavar="MODEL", help="model to probe")
    parser.add_argument(
        "-n", type=int, default=STEADY, metavar="N", help=f"steady inferences (default {STEADY})"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_server_flags(parser)
    parser.set_defaults(func=run)


def _has_flag(args: list[str], flag: str) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in args)


def run(args: argparse.Namespace) -> int:
    if args.n < 1:
        print("error: -n must be at least 1", file=sys.stderr)
        return 3
    try:
        # -u with its repository here: the probe uses the server
        options = server_options(args, local_repository=True)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    if bool(options.url) == bool(options.model_repositories):
        print(
            "error: give --model-repository DIR (launch a server for the probe) or -u HOST:PORT",
            file=sys.stderr,
        )
        return 3
    timeline: LoadTimeline | None = None
    if options.model_repositories:
        if not _has_flag(options.server_args, "--log-verbose"):
            options.server_args.append("--log-verbose=1")  # instance initialisation lines
        timeline = LoadTimeline()
    say = (lambda _t: None) if args.json else (lambda t: print(f"… {t}", file=sys.stderr))

    errors: list[ModelErrorTracker] = []  # the launched server's, for a failure's reason

    def on_started(session: Session) -> None:
        if session.server is not None and timeline is not None:
            session.server.lines.subscribe(timeline.feed_line)  # from its first line on
            errors.append(session.server.errors)

    try:
        if timeline is not None:
            say("starting tritonserver")
        with open_session(options, on_started=on_started) as session:
            result = run_probe(
                session.client,
                args.model,
                args.n,
                timeline=timeline,
                metrics_url=session.metrics_url,
                progress=say,
            )
    except (LaunchError, TritonError, ValueError) as exc:
        reason = errors[0].reason(args.model) if errors else None
        print(f"error: {exc}" + (f"\n  server log: {reason}" if reason else ""), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(render_text(result))
    return 0


def render_text(result: ProbeResult) -> str:
    rows = result.rows()
    width = max(len(label) for label, _ in rows)
    out = [f"cold start of {result.model} (version {result.version or '?'})"]
    out += [f"  {label:<{width}}  {value:>10}" for label, value in rows]
    if result.log is not None and result.log.state == "FAILED":
        out.append(f"  log: load failed: {result.log.reason}")
    for note in result.notes:
        out.append(f"note: {note}")
    if result.snippet:
        out.append("suggested config.pbtxt addition:")
        out.append(result.snippet)
    elif result.first_s is not None and result.p50 is not None:
        first, steady = format_seconds(result.first_s), format_seconds(result.p50)
        out.append(f"first request {first} vs steady {steady}: no warmup needed")
    return "\n".join(out)
