"""The server the console works with: one it launched, or one it attached to.

Every pane and headless command gets a `Session`; it hides whether the server is ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.server.client import TritonHTTP, split_url
from tui.core.server.docker_server import DockerServer, DockerSpec
from tui.core.server.launcher import LaunchSpec, ServerProcess
from tui.core.util.linebuffer import LineBuffer
from tui.core.workflows.diagnosis import ModelErrorTracker


@dataclass
class Session:
    client: TritonHTTP
    metrics_url: str | None = None
    server: ServerProcess | DockerServer | None = None  # we launched it, or attached in Docker
    repositories: list[Path] = field(default_factory=list)
    version: str = ""

    @property
    def lines(self) -> LineBuffer | None:
        """The server's log stream, when we have one (launched servers only, for now)."""
        return self.server.lines if self.server else None

    @property
    def errors(self) -> ModelErrorTracker | None:
        return self.server.errors if self.server else None

    @property
    def binary_label(self) -> str:
        if self.server:
            return self.server.label
        return "attached: no log stream"

    @property
    def cache_size(self) -> int | None:
        """Bytes of response cache the console launched its server with (None: no cache, or not
        known: an attached server's flags are not ours)."""
        return self.server.spec.cache_size if self.server else None

    @property
    def server_pid(self) -> int | None:
        return self.server.pid if self.server else None

    @classmethod
    def of_server(cls, server: ServerProcess | DockerServer) -> Session:
        """A session over a server that is started (its repository is the local files)."""
        if isinstance(server.spec, LaunchSpec):
            repos = list(server.spec.model_repositories)
        else:
            repos = [server.spec.model_repository] if server.spec.model_repository else []
        return cls(TritonHTTP(server.http_url), server.metrics_url, server, repos)

    @classmethod
    def launch(cls, spec: LaunchSpec) -> Session:
        """Start the process (call on the main thread); wait with `wait_ready` elsewhere."""
        server = ServerProcess(spec)
        server.start()
        return cls.of_server(server)

    @classmethod
    def launch_docker(cls, spec: DockerSpec) -> Session:
        server = DockerServer(spec)
        server.start()
        return cls.of_server(server)

    @classmethod
    def attach_container(cls, name: str) -> Session:
        return cls.of_server(DockerServer.attach(name))

    @classmethod
    def attach(cls, url: str, metrics_url: str | None = None) -> Session:
        client = TritonHTTP(url)
        if metrics_url is None:
            metrics_url = f"{client.host}:8002"
        split_url(metrics_url, 8002)  # validate early
        return cls(client=client, metrics_url=metrics_url)

    def wait_ready(
        self, timeout: float = 120.0, cancelled: Callable[[], bool] | None = None
    ) -> None:
        if self.server:
            self.server.wait_ready(timeout, cancelled)
        self.version = str(self.client.server_metadata().get("version", ""))

    def close(self) -> None:
        """Stop a server we run; returns once it is gone."""
        if self.server:
            self.server.stop()

    def release(self) -> None:
        """Stop a server we run without waiting: a local one is stopped gracefully, and never
        left behind, by its reaper even after we exit (a container is stopped here)."""
        if self.server:
            self.server.release()
