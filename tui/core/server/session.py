"""The server the console works with: one it launched, or one it attached to.

Every pane and headless command gets a `Session`; it hides whether the server is ours.
`open_session(options)` owns its life: launch (or attach), start, wait until ready, and stop on
the way out, an exception's way included; every command and the console go through it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tui.core.server.client import TritonHTTP
from tui.core.server.docker_server import DockerServer, DockerSpec
from tui.core.server.endpoints import metrics_url_for
from tui.core.server.launcher import LaunchSpec, ServerProcess
from tui.core.server.options import ServerOptions
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
        return cls._started(ServerProcess(spec))

    @classmethod
    def launch_docker(cls, spec: DockerSpec) -> Session:
        return cls._started(DockerServer(spec))

    @classmethod
    def _started(cls, server: ServerProcess | DockerServer) -> Session:
        try:
            server.start()
        except BaseException:  # whatever a failed start left running goes with it
            server.stop()
            raise
        return cls.of_server(server)

    @classmethod
    def attach_container(cls, name: str) -> Session:
        return cls.of_server(DockerServer.attach(name))

    @classmethod
    def attach(cls, url: str, metrics_url: str | None = None) -> Session:
        """A server at `url` (HTTP); its metrics endpoint by the one rule, `metrics_url_for`."""
        client = TritonHTTP(url)
        return cls(client=client, metrics_url=metrics_url_for(client.url, metrics_url))

    @classmethod
    def open(cls, options: ServerOptions) -> Session:
        """Attach (a URL, a container) or launch: a launched server's process starts here (call
        on the main thread); it is not ready yet (`wait_ready`). Prefer `open_session`, which
        also stops it."""
        if options.url:
            session = cls.attach(options.url, options.metrics_url)
            # The same box's repository, given with -u: the config and deploy panes work on it.
            session.repositories = list(options.local_repositories)
            return session
        if options.attach_container:
            return cls.attach_container(options.attach_container)
        spec = options.launch_spec()
        if isinstance(spec, DockerSpec):
            return cls.launch_docker(spec)
        return cls.launch(spec)

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


@contextlib.contextmanager
def open_session(
    options: ServerOptions,
    *,
    wait: bool = True,
    cancelled: Callable[[], bool] | None = None,
    on_started: Callable[[Session], None] | None = None,
    leave: Literal["stop", "release"] = "stop",
) -> Iterator[Session]:
    """The session the options ask for, for the `with` block: a launched server is started,
    `on_started(session)` is told (its warnings, its log lines), then, with `wait`, it is waited
    for until ready (`options.startup_timeout`, or until `cancelled()`); an attached server is
    used as it is. On the way out, an exception's included, a server we launched is stopped
    (`leave="release"`: handed to its reaper without waiting, as the console leaves). A local
    server we launched is registered meanwhile (tui/core/fleet/registry.py).
    LaunchError when the server cannot start or does not become ready."""
    from tui.core.fleet.registry import register_server, unregister

    session = Session.open(options)
    entry = register_server(session.server)  # `fleet` lists it, `-u` finds its metrics URL
    try:
        if on_started is not None:
            on_started(session)
        if wait and session.server is not None:
            session.wait_ready(options.startup_timeout, cancelled)
        yield session
    finally:
        if leave == "release":
            session.release()
        else:
            session.close()
        unregister(entry)
