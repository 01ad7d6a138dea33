"""The flags every front end shares, spelled like tritonserver's and perf_analyzer's: the parser
that reports bad flags in words, the server flags (`--model-repository`, `-u` and friends mean the
same thing in the console and every subcommand) and their reading into the core's typed
`ServerOptions`."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tui.core.server.endpoints import UsageError
from tui.core.server.options import STARTUP_TIMEOUT_S, ServerOptions


class Parser(argparse.ArgumentParser):
    """argparse, with bad flags raised as UsageError (exit 3) rather than printed and exited."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def add_server_flags(
    parser: argparse.ArgumentParser,
    *,
    attach: bool = True,
    container: bool = False,
    pick: bool = False,
) -> None:
    """Flags that choose or launch the Triton server (`pick`: a bare `-u` is kept as "", for
    the console to offer the servers this machine runs)."""
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
            + ("; alone, pick one of the servers triton-tui started here" if pick else ""),
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
        default=STARTUP_TIMEOUT_S,
        metavar="S",
        help=f"seconds to wait for the launched server to become ready (default "
        f"{STARTUP_TIMEOUT_S:g})",
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


def server_options(args: argparse.Namespace, *, local_repository: bool = False) -> ServerOptions:
    """The server flags as ServerOptions, checked (UsageError in words). `local_repository`:
    with -u, --model-repository names the attached server's repository on this machine (the
    console and the commands that work on a repository), rather than being refused."""
    options = ServerOptions(
        model_repositories=[Path(p) for p in args.model_repository or []],
        url=getattr(args, "url", None),
        metrics_url=getattr(args, "metrics_url", None),
        attach_container=getattr(args, "attach_container", None),
        tritonserver=args.tritonserver,
        listen=args.listen,
        http_port=args.http_port,
        grpc_port=args.grpc_port,
        metrics_port=args.metrics_port,
        cache_size=getattr(args, "cache_size", None),
        launch_mode=args.launch_mode,
        image=args.image,
        gpus=args.gpus,
        shm_size=args.shm_size,
        network_host=args.network_host,
        startup_timeout=args.startup_timeout,
        server_args=list(getattr(args, "server_args", [])),
    )
    if local_repository:
        options.keep_local_repository()
    options.check()
    return options


def repeat_error(args: argparse.Namespace, min_interval: float) -> str | None:
    """What is wrong with a repeating command's --interval / --count (gpu, fleet), or None."""
    if args.interval != args.interval or args.interval < min_interval:  # NaN too
        return f"--interval must be at least {min_interval:g} s"
    if args.count < 0:
        return "--count must be 0 (no limit) or more"
    return None
