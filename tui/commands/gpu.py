"""`triton-tui gpu`: GPU, host and server metrics as text or JSON, for scripts and SSH one-liners.

Works with no server at all (host and NVML only), with `-u HOST:PORT` (the server's metrics
endpoint, default port 8002 on that host), and with `--server-pid` for a local server's process.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from tui.commands.flags import repeat_error
from tui.core.gpu.format import render_json, render_text
from tui.core.gpu.sampler import DEFAULT_INTERVAL, MIN_INTERVAL, Sampler, Snapshot
from tui.core.server.client import split_url
from tui.core.server.endpoints import (
    DEFAULT_METRICS_PORT,
    UsageError,
    check_endpoint,
    metrics_url_for,
)


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gpu",
        help="print GPU (NVML), host and server metrics; --once for one snapshot",
        description="Print GPU, host and Triton server metrics, like `nvitop --once`. Rates and "
        "CPU percentages are measured over --interval seconds.",
    )
    parser.add_argument("--once", action="store_true", help="print one snapshot and exit")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "-u", "--url", metavar="HOST:PORT", help="Triton HTTP endpoint (its host gives the metrics)"
    )
    parser.add_argument(
        "--metrics-url",
        metavar="HOST:PORT",
        help="Triton metrics endpoint (default: the -u host, port 8002)",
    )
    parser.add_argument(
        "--server-pid", type=int, metavar="PID", help="report this local tritonserver's CPU and RSS"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        metavar="S",
        help=f"seconds between samples (default {DEFAULT_INTERVAL:g}, at least {MIN_INTERVAL:g})",
    )
    parser.add_argument(
        "--count", type=int, default=0, metavar="N", help="without --once: stop after N snapshots"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    wrong = repeat_error(args, MIN_INTERVAL)
    if wrong:
        print(f"error: {wrong}", file=sys.stderr)
        return 3
    metrics_url = args.metrics_url
    try:
        for flag, value in (("-u", args.url), ("--metrics-url", metrics_url)):
            if value:
                check_endpoint(flag, value)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    try:
        if args.url:
            metrics_url = metrics_url_for(args.url, args.metrics_url)
        elif metrics_url:
            split_url(metrics_url, DEFAULT_METRICS_PORT)  # validates HOST:PORT
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    sampler = Sampler(server_pid=args.server_pid, metrics_url=metrics_url, interval=args.interval)
    if args.json:  # one indented document with --once, JSON Lines when repeating
        indent = 2 if args.once else None
        render: Callable[[Snapshot], str] = lambda snap: render_json(snap, indent)  # noqa: E731
    else:
        render = render_text
    try:
        sampler.sample()  # the baseline that rates and CPU percentages are measured from
        limit = 1 if args.once else args.count
        shown = 0
        while True:
            time.sleep(args.interval)
            snap = sampler.sample()
            print(render(snap), flush=True)
            shown += 1
            if limit and shown >= limit:
                break
            if not args.json:
                print()  # a blank line between text snapshots
    except KeyboardInterrupt:
        return 130
    finally:
        sampler.close()
    failed = snap.metrics is not None and snap.metrics.error is not None
    gone = snap.server is not None and not snap.server.alive
    return 1 if failed or gone else 0
