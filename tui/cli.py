"""Command line: `triton-tui [console flags] [-- tritonserver args]` or `triton-tui SUBCOMMAND ...`.

This module only dispatches: each subcommand's flags and run live in tui/commands/<name>.py, the
console's in tui/commands/console.py, the flags they share in tui/commands/flags.py; options are
checked into the core's typed options objects. Bad flags exit 3 with the reason in words.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from tui.commands.console import console_parser as _console_parser
from tui.commands.flags import Parser
from tui.core.server.endpoints import UsageError
from tui.core.util.sanitize import guard_stdio

# Subcommand name -> module under tui.commands providing add_parser(subparsers) and run(args).
COMMANDS: dict[str, str] = {
    "serve": "tui.commands.serve",
    "deploy": "tui.commands.deploy",
    "bench": "tui.commands.bench",
    "gpu": "tui.commands.gpu",
    "config": "tui.commands.config",
    "coldstart": "tui.commands.coldstart",
    "tune": "tui.commands.tune",
    "infer": "tui.commands.infer",
    "verify": "tui.commands.verify",
    "doctor": "tui.commands.doctor",
    "fleet": "tui.commands.fleet",
}

__all__ = ["COMMANDS", "UsageError", "console_parser", "main", "split_passthrough"]


def console_parser() -> Parser:
    """The console's flags (its help lists the subcommands)."""
    return _console_parser(list(COMMANDS))


def split_passthrough(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split `a b -- c d` into our args and the extra tritonserver args."""
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ours, extra = split_passthrough(argv)
    try:
        if argv and argv[0] in COMMANDS:
            guard_stdio()  # a headless command prints what servers, logs and files said
            module = importlib.import_module(COMMANDS[argv[0]])
            parser = Parser(prog="triton-tui")
            sub = parser.add_subparsers(dest="command", parser_class=Parser)
            module.add_parser(sub)
            args = parser.parse_args(ours)
            args.server_args = extra
            return int(args.func(args) or 0)
        args = console_parser().parse_args(ours)
        args.server_args = extra
        from tui.commands import console

        return console.run(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
