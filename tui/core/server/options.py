"""Which server to work with, as typed options: launch one (local process or Docker container) on
a repository, attach to one at a URL, or attach to a running container. The command line fills
these from its flags (tui/commands/flags.py); `check()` refuses what cannot go together, in words
that name the flags. Imports of the launchers are deferred so `triton-tui --help` stays quick."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.server.endpoints import UsageError, check_endpoint

if TYPE_CHECKING:
    from tui.core.server.docker_server import DockerServer, DockerSpec
    from tui.core.server.launcher import LaunchSpec, ServerProcess

STARTUP_TIMEOUT_S = 120.0


@dataclass
class ServerOptions:
    model_repositories: list[Path] = field(default_factory=list)  # to launch a server on
    url: str | None = None  # attach to this HTTP endpoint instead
    metrics_url: str | None = None  # the attached server's metrics endpoint, when known
    local_repositories: list[Path] = field(default_factory=list)  # the attached one's, here
    attach_container: str | None = None
    tritonserver: str | None = None
    listen: str = "127.0.0.1"
    http_port: int | None = None
    grpc_port: int | None = None
    metrics_port: int | None = None
    cache_size: int | None = None  # bytes of local response cache for the launched server
    launch_mode: str = "local"  # or "docker"
    image: str | None = None
    gpus: str | None = None
    shm_size: str = "1g"
    network_host: bool = False
    startup_timeout: float = STARTUP_TIMEOUT_S
    server_args: list[str] = field(default_factory=list)  # passed on to tritonserver

    def keep_local_repository(self) -> None:
        """With a URL, the model repositories are the attached server's repository on this
        machine (to edit or deploy into; nothing is launched on it): they move to
        `local_repositories`. For the console and the commands that work on a repository; call
        before `check`, which refuses the pair otherwise."""
        if self.url and self.model_repositories:
            self.local_repositories, self.model_repositories = self.model_repositories, []

    def check(self) -> None:
        """UsageError, naming the flags, for options that are wrong or cannot go together."""
        if self.url and self.model_repositories:
            raise UsageError(
                "use either -u (attach to a server) or --model-repository (launch one)"
            )
        if self.attach_container and (self.model_repositories or self.url):
            raise UsageError("--attach-container cannot be combined with -u or --model-repository")
        if self.launch_mode == "docker" and not self.image:
            raise UsageError("--launch-mode docker needs --image IMAGE")
        if self.launch_mode != "docker" and (self.image or self.gpus):
            raise UsageError("--image and --gpus need --launch-mode docker")
        if self.cache_size and (self.url or self.attach_container):
            raise UsageError("--cache-size configures a server we launch, not one we attach to")
        if self.cache_size and any(
            a.split("=", 1)[0] in ("--cache-config", "--response-cache-byte-size")
            for a in self.server_args
        ):
            raise UsageError(
                "--cache-size and tritonserver's own cache flags after -- cannot be combined"
            )
        for name in ("http_port", "grpc_port", "metrics_port"):
            port = getattr(self, name)
            if port is not None and not 0 < port < 65536:
                raise UsageError(f"--{name.replace('_', '-')} {port}: not a TCP port")
        for flag, value in (("-u", self.url), ("--metrics-url", self.metrics_url)):
            if value is not None:
                check_endpoint(flag, value)
        try:
            ipaddress.ip_address(self.listen)
        except ValueError:
            raise UsageError(
                f"--listen {self.listen!r}: not an IP address (e.g. 127.0.0.1, ::1 or 0.0.0.0)"
            ) from None

    def launch_spec(self) -> LaunchSpec | DockerSpec:
        """What to launch (LaunchError for impossible combinations)."""
        from tui.core.server.docker_server import DockerSpec
        from tui.core.server.launcher import LaunchError, LaunchSpec

        repos = [Path(p) for p in self.model_repositories]
        if self.launch_mode == "docker":
            if len(repos) != 1:
                raise LaunchError("--launch-mode docker takes exactly one --model-repository")
            if not self.image:
                raise LaunchError("--launch-mode docker needs --image IMAGE")
            return DockerSpec(
                image=self.image,
                model_repository=repos[0],
                gpus=self.gpus,
                shm_size=self.shm_size,
                host_network=self.network_host,
                listen=self.listen,
                extra_args=list(self.server_args),
                http_port=self.http_port,
                grpc_port=self.grpc_port,
                metrics_port=self.metrics_port,
                cache_size=self.cache_size,
            )
        return LaunchSpec(
            model_repositories=repos,
            tritonserver=self.tritonserver,
            listen=self.listen,
            extra_args=list(self.server_args),
            http_port=self.http_port,
            grpc_port=self.grpc_port,
            metrics_port=self.metrics_port,
            cache_size=self.cache_size,
        )

    def server(self) -> ServerProcess | DockerServer:
        """The server to launch, local or in Docker (not started yet)."""
        from tui.core.server.docker_server import DockerServer, DockerSpec
        from tui.core.server.launcher import ServerProcess

        spec = self.launch_spec()
        return DockerServer(spec) if isinstance(spec, DockerSpec) else ServerProcess(spec)
