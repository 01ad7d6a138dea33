"""The server the command-line flags ask for: what to launch, or which server to attach to.

Shared by the console (tui/app.py) and the subcommands (through tui/cli.py); imports of the
launchers are deferred so `triton-tui --help` stays quick.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.core.server.docker_server import DockerServer, DockerSpec
    from tui.core.server.launcher import LaunchSpec, ServerProcess
    from tui.core.server.session import Session


def launch_spec(args: argparse.Namespace) -> LaunchSpec | DockerSpec:
    """What to launch, from the server flags (raises LaunchError for impossible combinations)."""
    from tui.core.server.docker_server import DockerSpec
    from tui.core.server.launcher import LaunchError, LaunchSpec

    repos = [Path(p) for p in (args.model_repository or [])]
    ports = {
        "http_port": args.http_port,
        "grpc_port": args.grpc_port,
        "metrics_port": args.metrics_port,
        "cache_size": getattr(args, "cache_size", None),
    }
    if args.launch_mode == "docker":
        if len(repos) != 1:
            raise LaunchError("--launch-mode docker takes exactly one --model-repository")
        return DockerSpec(
            image=args.image,
            model_repository=repos[0],
            gpus=args.gpus,
            shm_size=args.shm_size,
            host_network=args.network_host,
            listen=args.listen,
            extra_args=list(args.server_args),
            **ports,
        )
    return LaunchSpec(
        model_repositories=repos,
        tritonserver=args.tritonserver,
        listen=args.listen,
        extra_args=list(args.server_args),
        **ports,
    )


def server_from_args(args: argparse.Namespace) -> ServerProcess | DockerServer:
    """The server the flags ask to launch, local or in Docker (not started yet)."""
    from tui.core.server.docker_server import DockerServer, DockerSpec
    from tui.core.server.launcher import ServerProcess

    spec = launch_spec(args)
    return DockerServer(spec) if isinstance(spec, DockerSpec) else ServerProcess(spec)


def find_metrics_url(url: str) -> str | None:
    """The attached server's metrics endpoint: the one a server we started registered (serve
    and the console record theirs, random ports included: tui/core/fleet/registry.py), else
    tritonserver's layout (HTTP port + 2, as in 8000/8001/8002) or the default 8002, whichever
    answers; None (the default) when neither."""
    from tui.core.fleet.registry import lookup
    from tui.core.server.client import TritonError, fetch_metrics, split_url

    entry = lookup(url)
    if entry is not None and entry.metrics_url:
        return entry.metrics_url
    host, port = split_url(url, 8000)
    for candidate in dict.fromkeys((port + 2, 8002)):
        try:
            fetch_metrics(f"{host}:{candidate}", timeout=0.5)
        except TritonError:
            continue
        return f"{host}:{candidate}"
    return None


def build_session(args: argparse.Namespace) -> Session:
    """The console's session: attach (-u, --attach-container) or launch (starts the process)."""
    from tui.core.server.docker_server import DockerSpec
    from tui.core.server.session import Session

    if args.url:
        session = Session.attach(args.url, args.metrics_url or find_metrics_url(args.url))
        # The same box's repository, given with -u: the config and deploy panes work on it.
        session.repositories = [Path(p) for p in getattr(args, "local_repository", None) or []]
        return session
    if args.attach_container:
        return Session.attach_container(args.attach_container)
    spec = launch_spec(args)
    if isinstance(spec, DockerSpec):
        return Session.launch_docker(spec)
    return Session.launch(spec)
