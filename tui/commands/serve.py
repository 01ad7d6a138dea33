"""`triton-tui serve`: the same server the console launches, headless, in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from typing import Any

from tui.commands.flags import add_server_flags, server_options
from tui.core.server.docker_server import DockerServer
from tui.core.server.endpoints import UsageError
from tui.core.server.launcher import LaunchError, ServerProcess, exposure_warning
from tui.core.server.session import Session, open_session
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
        options = server_options(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    stop = threading.Event()
    started: list[ServerProcess | DockerServer] = []

    def on_signal(signum: int, _frame: object) -> None:
        server = started[0] if started else None
        if stop.is_set() and isinstance(server, ServerProcess) and server.pid:  # second Ctrl+C
            with contextlib.suppress(OSError):
                os.kill(server.pid, signal.SIGKILL)
        stop.set()

    def on_started(session: Session) -> None:
        assert session.server is not None
        started.append(session.server)
        for warning in session.server.warnings:
            say(f"warning: {warning}")
        session.server.lines.subscribe(lambda _seq, line: say(line, sys.stdout))

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        with open_session(options, cancelled=stop.is_set, on_started=on_started) as session:
            return _until_stopped(session, stop)
    except LaunchError as exc:
        if stop.is_set():
            say("triton-tui: interrupted before tritonserver was ready; it is stopped")
            return 130
        say(f"error: {exc}")
        return 1


def _until_stopped(session: Session, stop: threading.Event) -> int:
    """Say where the ready server listens, then serve until a signal or its own exit."""
    server = session.server
    assert server is not None
    where = (
        f"; listening on {server.host}, not only this machine"
        if exposure_warning(server.host)
        else ""
    )
    say(
        f"triton-tui: tritonserver {session.version or '?'} ready: http://{server.http_url} "
        f"grpc {server.grpc_url} metrics http://{server.metrics_url}/metrics "
        f"({server.label}){where}; Ctrl+C stops it"
    )
    while not stop.wait(0.5):
        if not server.running:
            say(f"error: {server.exit_reason()}")
            return 1  # leaving the session stops what is left of it
    server.release()  # the server starts stopping now, even if we cannot write below
    say("triton-tui: stopping tritonserver …")
    return 0  # leaving the session waits until it is gone
