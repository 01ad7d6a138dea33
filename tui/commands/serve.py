"""`triton-tui serve`: the same server the console launches, headless, in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from typing import Any

from tui.cli import (
    UsageError,
    add_server_flags,
    server_from_args,
    validate_server_flags,
)
from tui.core.fleet.registry import register_server, unregister
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import LaunchError, ServerBase, ServerProcess, exposure_warning
from tui.core.util.sanitize import say


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="start tritonserver headless, print its URL and log, stop it on Ctrl+C",
        description="Start tritonserver in the foreground (arguments after -- go to it).",
    )
    add_server_flags(parser, attach=False)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    before = signal.getsignal(signal.SIGINT)
    try:
        return _serve(args)
    finally:
        # The server is stopped: a late Ctrl+C (the second of two) must not kill the interpreter
        # while it finalises, which restores default handlers and would end us with -SIGINT.
        if signal.getsignal(signal.SIGINT) is not before:
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)


def _serve(args: argparse.Namespace) -> int:
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
        if stop.is_set() and isinstance(server, ServerProcess) and server.pid:  # second Ctrl+C
            with contextlib.suppress(OSError):
                os.kill(server.pid, signal.SIGKILL)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        server.start()
        for warning in server.warnings:
            say(f"warning: {warning}")
        server.lines.subscribe(lambda _seq, line: say(line, sys.stdout))
        server.wait_ready(args.startup_timeout, stop.is_set)
    except LaunchError as exc:
        server.stop()
        if stop.is_set():
            say("triton-tui: interrupted before tritonserver was ready; it is stopped")
            return 130
        say(f"error: {exc}")
        return 1
    entry = register_server(server)  # `fleet` lists it, `-u` finds its metrics port
    try:
        return _serve_ready(server, stop, args)
    finally:
        unregister(entry)


def _serve_ready(server: ServerBase, stop: threading.Event, args: argparse.Namespace) -> int:
    version = TritonHTTP(server.http_url).server_metadata().get("version", "?")
    where = (
        f"; listening on {server.host}, not only this machine"
        if exposure_warning(server.host)
        else ""
    )
    say(
        f"triton-tui: tritonserver {version} ready: http://{server.http_url} "
        f"grpc {server.grpc_url} metrics http://{server.metrics_url}/metrics "
        f"({server.label}){where}; Ctrl+C stops it"
    )
    while not stop.wait(0.5):
        if not server.running:
            say(f"error: {server.exit_reason()}")
            server.stop()
            return 1
    server.release()  # the server starts stopping now, even if we cannot write below
    say("triton-tui: stopping tritonserver …")
    server.stop()
    return 0
