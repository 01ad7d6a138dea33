"""`triton-tui fleet`: every Triton server in one table (or JSON), from Prometheus, a list of
endpoints, a fleet file, or the servers this machine registered; `--once` like `gpu --once`,
repeated every `--interval` otherwise. `--load/--unload/--reload MODEL` rolls that action across
the fleet, one server at a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from tui.commands.flags import repeat_error
from tui.core.fleet.rolling import RollAction, preview, roll
from tui.core.fleet.sources import FleetSource, open_source
from tui.core.fleet.table import render_text
from tui.core.util.sanitize import say

MIN_INTERVAL = 0.5


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "fleet",
        help="every Triton server you run, in one table: Prometheus, a list or this machine's",
        description="List Triton servers with their health and figures. Sources: --prometheus "
        "URL (every target of the jobs exposing Triton metrics), -u HOST:PORT[,HOST:PORT …], "
        "--fleet FILE (one `HOST:PORT [METRICS_HOST:PORT] [NAME]` a line); with none, the "
        "servers started on this machine by `triton-tui serve` or the console.",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--prometheus", metavar="URL", help="Prometheus, e.g. http://host:9090")
    source.add_argument("-u", "--url", metavar="LIST", help="HOST:PORT[,HOST:PORT …] to poll")
    source.add_argument("--fleet", metavar="FILE", help="a file listing the servers")
    parser.add_argument("--job", metavar="NAME", help="with --prometheus: only this job")
    parser.add_argument(
        "--http-port",
        type=int,
        metavar="N",
        help="with --prometheus: the servers' HTTP port (default: the metrics port minus 2, or "
        "the target's triton_http label)",
    )
    parser.add_argument(
        "--window",
        default="30s",
        metavar="DURATION",
        help="with --prometheus: the window rates are taken over (default 30s)",
    )
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--interval",
        type=float,
        default=2.0,
        metavar="S",
        help="seconds between snapshots (and, for polled servers, the rate window; default 2)",
    )
    parser.add_argument(
        "--count", type=int, default=0, metavar="N", help="without --once: stop after N snapshots"
    )
    act = parser.add_mutually_exclusive_group()
    for action in ("load", "unload", "reload"):
        act.add_argument(
            f"--{action}",
            metavar="MODEL",
            help=f"{action} MODEL on every server, one at a time, checking each before the next",
        )
    parser.add_argument("--yes", action="store_true", help="do not ask before a rolling action")
    parser.add_argument(
        "--read-only", action="store_true", help="refuse any action that changes a server"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    wrong = repeat_error(args, MIN_INTERVAL)
    if wrong:
        print(f"error: {wrong}", file=sys.stderr)
        return 3
    try:
        source = open_source(
            args.prometheus,
            args.url,
            args.fleet,
            job=args.job,
            http_port=args.http_port,
            window=args.window,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    action = next((a for a in ("load", "unload", "reload") if getattr(args, a)), None)
    if action is not None:
        return _roll(source, action, getattr(args, action), args)  # type: ignore[arg-type]
    return _watch(source, args)


def _show(source: FleetSource, args: argparse.Namespace) -> int:
    snap = source.refresh()
    if args.json:
        print(json.dumps(snap.as_json(), indent=2 if args.once else None), flush=True)
    else:
        say(render_text(snap), sys.stdout)
    return 1 if snap.error else 0


def _watch(source: FleetSource, args: argparse.Namespace) -> int:
    try:
        if args.prometheus is None:  # polled servers: rates need a first scrape to start from
            source.refresh()
            time.sleep(args.interval)
        limit = 1 if args.once else args.count
        shown = 0
        while True:
            code = _show(source, args)
            shown += 1
            if limit and shown >= limit:
                return code
            time.sleep(args.interval)
            if not args.json:
                print()
    except KeyboardInterrupt:
        return 130


def _roll(source: FleetSource, action: RollAction, model: str, args: argparse.Namespace) -> int:
    if args.read_only:
        print(f"error: read-only: {action} is turned off", file=sys.stderr)
        return 3
    snap = source.refresh()
    if snap.error:
        say(f"error: {snap.error}")
        return 1
    urls = [s.url for s in snap.servers if s.live]
    down = [s.name for s in snap.servers if not s.live]
    if not urls:
        say("error: no live server in the fleet")
        return 1
    say(preview(action, model, urls), sys.stdout)
    if down:
        say(f"not touched (down): {', '.join(down)}", sys.stdout)
    if not args.yes:
        if not sys.stdin.isatty():
            say("error: not a terminal: give --yes to roll without asking")
            return 3
        if input("Go on? [y/N] ").strip().lower() not in ("y", "yes"):
            say("nothing done")
            return 1
    try:
        result = roll(action, model, urls, lambda _u, words: say(f"  {_u}: {words}", sys.stdout))
    except ValueError as exc:
        say(f"error: {exc}")
        return 3
    say(result.summary(), sys.stdout)
    return 0 if result.ok else 1
