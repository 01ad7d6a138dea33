"""The console's own flags (`triton-tui [flags] [-- tritonserver args]`), read into the core's
options and handed to the console (tui/app.py, imported only when it runs)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tui import __version__
from tui.commands.flags import Parser, add_server_flags, server_options


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
    add_server_flags(parser, container=True)
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
    return parser


def run(args: argparse.Namespace) -> int:
    """Check the flags (UsageError, exit 3), then run the console until it quits."""
    options = server_options(args, local_repository=True)
    if not (options.url or options.model_repositories or options.attach_container):
        print(
            "error: give --model-repository DIR (launch a server), -u HOST:PORT or "
            "--attach-container NAME (attach)",
            file=sys.stderr,
        )
        return 3
    from tui.app import run_console

    log_file = Path(args.log_file).expanduser() if args.log_file else None
    return run_console(options, log_file=log_file, read_only=bool(args.read_only))
