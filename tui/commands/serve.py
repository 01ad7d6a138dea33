"""`triton-tui serve`: the same server the console launches, headless, in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from tui.cli import UsageError, add_server_flags, server_from_args, validate_server_flags
from tui.core.client import TritonHTTP
from tui.core.launcher import LaunchError


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="start tritonserver headless, print its URL and log, stop it on Ctrl+C",
        description="Start tritonserver in the foreground (arguments after -- go to it).",
    )
    add_server_flags(parser, attach=False)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.model_repository:
        print("error: serve needs --model-repository DIR", file=sys.stderr)
        return 3
    try:
        validate_server_flags(args)
        server = server_from_args(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except LaunchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        server.start()
        server.lines.subscribe(lambda _seq, line: print(line, flush=True))
        server.wait_ready(args.startup_timeout)
    except LaunchError as exc:
        server.stop()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for warning in server.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    version = TritonHTTP(server.http_url).server_metadata().get("version", "?")
    print(
        f"triton-tui: tritonserver {version} ready: http://{server.http_url} "
        f"grpc {server.grpc_url} metrics http://{server.metrics_url}/metrics "
        f"({server.label}); Ctrl+C stops it",
        file=sys.stderr,
        flush=True,
    )
    while not stop.wait(0.5):
        if not server.running:
            print(f"error: {server.exit_reason()}", file=sys.stderr)
            server.stop()
            return 1
    print("triton-tui: stopping tritonserver …", file=sys.stderr, flush=True)
    server.stop()
    return 0
