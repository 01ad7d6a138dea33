"""The console's own flags (`triton-tui [flags] [-- tritonserver args]`), read into the core's
options and handed to the console (tui/app.py, imported only when it runs)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tui import __version__
from tui.commands.flags import Parser, add_server_flags, server_options
from tui.core.server.endpoints import UsageError


def console_parser(commands: list[str] | None = None) -> Parser:
    listed = (
        f"Subcommands: {', '.join(commands)} (triton-tui SUBCOMMAND --help). " if commands else ""
    )
    parser = Parser(
        prog="triton-tui",
        description=f"Terminal console for NVIDIA Triton Inference Server. {listed}"
        "Arguments after `--` go to tritonserver.",
    )
    parser.add_argument("--version", action="version", version=f"triton-tui {__version__}")
    add_server_flags(parser, container=True, pick=True)
    parser.add_argument(
        "--log-file",
        metavar="PATH",
        help="follow this server log file in the logs pane (like tail -F, across rotation)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="watch only: no load, unload, apply, deploy, probe or log-setting change",
    )
    fleet = parser.add_argument_group("Fleet pane (0)")
    fleet.add_argument(
        "--prometheus", metavar="URL", help="list every Triton server this Prometheus scrapes"
    )
    fleet.add_argument("--job", metavar="NAME", help="with --prometheus: only this job")
    fleet.add_argument(
        "--fleet",
        metavar="FILE",
        help="list the servers in FILE (one `HOST:PORT [METRICS_HOST:PORT] [NAME]` a line); "
        "default: the servers started on this machine by triton-tui",
    )
    return parser


def pick_registered() -> tuple[str, str | None, list[str]]:
    """A bare `-u`: the server triton-tui started on this machine (its URL, metrics URL and
    repository), asking which when several run (a UsageError listing them without a terminal)."""
    from tui.core.fleet.registry import registered

    entries = registered()
    if not entries:
        raise UsageError(
            "-u without HOST:PORT: no server started by triton-tui runs on this machine "
            "(start one with `triton-tui serve --model-repository DIR`)"
        )
    listing = "\n".join(
        f"  {i}. {e.url}  (pid {e.pid}, {e.repository or 'no repository'})"
        for i, e in enumerate(entries, 1)
    )
    choice = entries[0]
    if len(entries) > 1:
        if not sys.stdin.isatty():
            raise UsageError(f"-u: several servers run here; give one:\n{listing}")
        print(f"Servers started by triton-tui on this machine:\n{listing}")
        try:
            answer = input(f"Attach to which (1-{len(entries)})? ").strip()
        except EOFError:
            answer = ""
        if not answer.isdigit() or not 1 <= int(answer) <= len(entries):
            raise UsageError(f"-u: {answer!r} is none of 1-{len(entries)}")
        choice = entries[int(answer) - 1]
    return choice.url, choice.metrics_url, [p for p in choice.repository.split(os.pathsep) if p]


def run(args: argparse.Namespace) -> int:
    """Check the flags (UsageError, exit 3), then run the console until it quits."""
    if args.url == "":  # a bare -u
        args.url, picked_metrics, repository = pick_registered()
        args.metrics_url = args.metrics_url or picked_metrics
        args.model_repository = args.model_repository or repository
    options = server_options(args, local_repository=True)
    from tui.core.fleet.sources import open_source

    try:
        fleet = open_source(args.prometheus, None, args.fleet, job=args.job)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not (options.url or options.model_repositories or options.attach_container):
        print(
            "error: give --model-repository DIR (launch a server), -u HOST:PORT or "
            "--attach-container NAME (attach)",
            file=sys.stderr,
        )
        return 3
    from tui.app import run_console

    log_file = Path(args.log_file).expanduser() if args.log_file else None
    return run_console(options, log_file=log_file, read_only=bool(args.read_only), fleet=fleet)
