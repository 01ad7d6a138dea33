"""Command line: `triton-tui [console flags] [-- tritonserver args]` or `triton-tui SUBCOMMAND ...`.

Flags are spelled like tritonserver's and perf_analyzer's. The console and every subcommand share
`add_server_flags` so `--model-repository`, `-u` and friends mean the same thing everywhere.
"""

from __future__ import annotations

import argparse
import importlib
import ipaddress
import os
import re
import sys
from collections.abc import Sequence

from tui import __version__
from tui.core.server.serverspec import server_from_args as server_from_args  # for tui.commands
from tui.core.util.sanitize import guard_stdio

# Subcommand name -> module under tui.commands providing add_parser(subparsers).
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
    "fleet": "tui.commands.fleet",
}


class UsageError(Exception):
    """Bad flags: reported in words, exit code 3 (perf_analyzer's OPTION_ERROR)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def add_server_flags(
    parser: argparse.ArgumentParser,
    *,
    attach: bool = True,
    container: bool = False,
    pick: bool = False,
) -> None:
    """Flags that choose or launch the Triton server (`pick`: a bare `-u` offers the servers
    this machine runs, see `pick_registered`)."""
    parser.add_argument(
        "--model-repository",
        action="append",
        metavar="DIR",
        help="model repository to serve (repeatable); launches a server on it. With -u (console, "
        "deploy, coldstart, tune): the attached server's repository on this machine",
    )
    if attach:
        parser.add_argument(
            "-u",
            "--url",
            metavar="HOST:PORT",
            nargs="?" if pick else None,
            const="" if pick else None,
            help="attach to a running server's HTTP endpoint instead of launching one"
            + (
                "; alone, pick one of the servers triton-tui started on this machine"
                if pick
                else ""
            ),
        )
        parser.add_argument(
            "--metrics-url",
            metavar="HOST:PORT",
            help="metrics endpoint of the attached server (default: same host, port 8002)",
        )
    parser.add_argument("--tritonserver", metavar="PATH", help="tritonserver binary to launch")
    parser.add_argument(
        "--listen",
        default="127.0.0.1",
        metavar="ADDR",
        help="address the launched server listens on (default 127.0.0.1)",
    )
    parser.add_argument("--http-port", type=int, metavar="N", help="HTTP port (default: free)")
    parser.add_argument("--grpc-port", type=int, metavar="N", help="gRPC port (default: free)")
    parser.add_argument(
        "--metrics-port", type=int, metavar="N", help="metrics port (default: free)"
    )
    parser.add_argument(
        "--cache-size",
        type=cache_size,
        metavar="SIZE",
        help="give the launched server a local response cache of SIZE bytes (k, m, g suffixes: "
        "256m); it serves models whose config has response_cache { enable: true } "
        "(tritonserver's --cache-config local,size=BYTES)",
    )
    docker = parser.add_argument_group("Docker")
    docker.add_argument(
        "--launch-mode",
        choices=("local", "docker"),
        default="local",
        help="run tritonserver as a local process (default) or in a Docker container",
    )
    docker.add_argument(
        "--image",
        metavar="IMAGE",
        help="image for --launch-mode docker, e.g. nvcr.io/nvidia/tritonserver:24.10-py3",
    )
    docker.add_argument("--gpus", metavar="all|0,1", help="GPUs for the container")
    docker.add_argument("--shm-size", default="1g", metavar="SIZE", help="container shm size")
    docker.add_argument(
        "--network-host",
        action="store_true",
        help="use host networking instead of publishing ports",
    )
    if container:
        docker.add_argument(
            "--attach-container", metavar="NAME", help="attach to a running Triton container"
        )
    parser.add_argument(
        "--startup-timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="seconds to wait for the launched server to become ready (default 120)",
    )


_SIZE = re.compile(r"(\d+)([kmg]?)(?:i?b)?", re.IGNORECASE)


def cache_size(text: str) -> int:
    """`--cache-size`: bytes, or with a binary k/m/g suffix (256m, 1GiB); more than zero."""
    m = _SIZE.fullmatch(text.strip())
    if not m:
        raise argparse.ArgumentTypeError(
            f"--cache-size {text!r}: expected a size in bytes, e.g. 268435456 or 256m"
        )
    size = int(m[1]) * 1024 ** " kmg".index(m[2].lower() or " ")
    if size <= 0:
        raise argparse.ArgumentTypeError(f"--cache-size {text!r}: the cache needs some bytes")
    return size


def split_passthrough(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split `a b -- c d` into our args and the extra tritonserver args."""
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def console_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="triton-tui",
        description="Terminal console for NVIDIA Triton Inference Server. "
        f"Subcommands: {', '.join(COMMANDS)} (triton-tui SUBCOMMAND --help). "
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


def attach_local_repository(args: argparse.Namespace) -> None:
    """With -u, --model-repository names the attached server's repository on this machine (to
    edit or deploy into; nothing is launched on it): it moves to `args.local_repository`.

    For the console and the commands that work on a repository (deploy, coldstart, tune); call
    before `validate_server_flags`, which refuses the pair otherwise."""
    args.local_repository = getattr(args, "local_repository", None)
    if getattr(args, "url", None) and args.model_repository:
        args.local_repository, args.model_repository = args.model_repository, None


def validate_server_flags(args: argparse.Namespace) -> None:
    if getattr(args, "url", None) and args.model_repository:
        raise UsageError("use either -u (attach to a server) or --model-repository (launch one)")
    if getattr(args, "attach_container", None) and (args.model_repository or args.url):
        raise UsageError("--attach-container cannot be combined with -u or --model-repository")
    if args.launch_mode == "docker" and not args.image:
        raise UsageError("--launch-mode docker needs --image IMAGE")
    if args.launch_mode != "docker" and (args.image or args.gpus):
        raise UsageError("--image and --gpus need --launch-mode docker")
    if getattr(args, "cache_size", None) and (
        getattr(args, "url", None) or getattr(args, "attach_container", None)
    ):
        raise UsageError("--cache-size configures a server we launch, not one we attach to")
    if getattr(args, "cache_size", None) and any(
        a.split("=", 1)[0] in ("--cache-config", "--response-cache-byte-size")
        for a in getattr(args, "server_args", [])
    ):
        raise UsageError(
            "--cache-size and tritonserver's own cache flags after -- cannot be combined"
        )
    for name in ("http_port", "grpc_port", "metrics_port"):
        port = getattr(args, name, None)
        if port is not None and not 0 < port < 65536:
            raise UsageError(f"--{name.replace('_', '-')} {port}: not a TCP port")
    for flag, value in (
        ("-u", getattr(args, "url", None)),
        ("--metrics-url", getattr(args, "metrics_url", None)),
    ):
        if value is not None:
            check_endpoint(flag, value)
    try:
        ipaddress.ip_address(args.listen)
    except ValueError:
        raise UsageError(
            f"--listen {args.listen!r}: not an IP address (e.g. 127.0.0.1, ::1 or 0.0.0.0)"
        ) from None


_ENDPOINT = re.compile(
    r"(?:http://)?(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>\d{1,5}))?/?"
)


def check_endpoint(flag: str, value: str) -> None:
    """`HOST:PORT` (optionally `http://`), as -u and --metrics-url take it; UsageError if not."""
    m = _ENDPOINT.fullmatch(value)
    if not m or (m["port"] is not None and not 0 < int(m["port"]) < 65536):
        raise UsageError(f"{flag} {value!r}: expected HOST:PORT, e.g. localhost:8000")


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
    repos = [p for p in choice.repository.split(os.pathsep) if p]
    return choice.url, choice.metrics_url, repos


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] in COMMANDS:
            guard_stdio()  # a headless command prints what servers, logs and files said
            module = importlib.import_module(COMMANDS[argv[0]])
            parser = _Parser(prog="triton-tui")
            sub = parser.add_subparsers(dest="command", parser_class=_Parser)
            module.add_parser(sub)
            ours, extra = split_passthrough(argv)
            args = parser.parse_args(ours)
            args.server_args = extra
            return int(args.func(args) or 0)
        ours, extra = split_passthrough(argv)
        args = console_parser().parse_args(ours)
        args.server_args = extra
        if args.url == "":
            args.url, args.metrics_url, repository = pick_registered()
            if repository and not args.model_repository:
                args.model_repository = repository
        attach_local_repository(args)
        validate_server_flags(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3

    from tui.app import run_console

    return run_console(args)
