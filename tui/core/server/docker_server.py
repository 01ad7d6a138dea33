"""Launch tritonserver in a Docker container, or attach to a running one (docker SDK).

A container we start carries the label `triton-tui.owner=<our pid>`; quitting stops and removes
it, and a small watchdog process removes it if the console dies without cleaning up. A container
we attach to is never stopped or removed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.server.launcher import (
    LaunchError,
    ServerBase,
    cache_args,
    check_repository,
    free_port,
    model_load_args,
    port_in_use,
)
from tui.core.util.linebuffer import LineBuffer, LineSplitter

OWNER_LABEL = "triton-tui.owner"
CONTAINER_REPO = "/models"


@dataclass
class DockerSpec:
    image: str
    model_repository: Path | None = None
    gpus: str | None = None  # "all", or "0,1"
    shm_size: str | None = "1g"
    host_network: bool = False
    listen: str = "127.0.0.1"  # host address published ports bind to
    http_port: int | None = None
    grpc_port: int | None = None
    metrics_port: int | None = None
    extra_args: list[str] = field(default_factory=list)
    tritonserver: str = "tritonserver"  # the binary inside the image
    mounts: list[tuple[str, str, str]] = field(default_factory=list)  # (host, container, mode)
    environment: dict[str, str] = field(default_factory=dict)
    history: int = 100_000
    cache_size: int | None = None  # local response cache; the image has /opt/tritonserver/caches


def docker_client() -> Any:
    """A docker SDK client, or LaunchError saying in words why there is no engine."""
    import docker
    from docker.errors import DockerException

    try:
        return docker.from_env()
    except DockerException as exc:
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        text = str(exc)
        if "PermissionError" in text or "Permission denied" in text:
            raise LaunchError(
                f"no permission to use the Docker engine at {host}: add your user to the "
                "'docker' group or run as root"
            ) from exc
        if "FileNotFoundError" in text or "No such file" in text or "Connection refused" in text:
            raise LaunchError(
                f"no Docker engine: nothing listens at {host} (is dockerd running?)"
            ) from exc
        raise LaunchError(f"cannot talk to the Docker engine at {host}: {text}") from exc


def device_requests(gpus: str | None) -> list[Any]:
    """`--gpus all` or `--gpus 0,1` as the SDK's device requests (what `docker run` sends)."""
    from docker.types import DeviceRequest

    if not gpus:
        return []
    if gpus == "all":
        return [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    ids = [g.strip() for g in gpus.split(",") if g.strip()]
    if not ids:
        raise LaunchError(f"--gpus {gpus!r}: expected 'all' or a list such as 0,1")
    return [DeviceRequest(device_ids=ids, capabilities=[["gpu"]])]


def _log_lines(container: Any, buffer: LineBuffer) -> None:
    splitter = LineSplitter()  # lines of bounded length, whatever the container prints
    try:
        for chunk in container.logs(stream=True, follow=True, stdout=True, stderr=True):
            for line in splitter.feed(chunk):
                buffer.append(line)
    except Exception as exc:  # noqa: BLE001 - the stream ends when the container goes away
        buffer.append(f"[triton-tui] log stream ended: {exc}")
    for line in splitter.end():
        buffer.append(line)
    buffer.close()


class DockerServer(ServerBase):
    """Same surface as launcher.ServerProcess, so a Session can hold either."""

    def __init__(self, spec: DockerSpec) -> None:
        self.spec = spec
        super().__init__(spec.history, "127.0.0.1")
        self.container: Any = None
        self.watchdog: subprocess.Popen[bytes] | None = None
        self.owned = True
        self.label = f"docker image {spec.image}"
        self.load_args: list[str] = []  # the models to load at start-up (model_load_args)

    @property
    def pid(self) -> int | None:
        if self.container is None:
            return None
        try:
            self.container.reload()
            return int(self.container.attrs["State"]["Pid"]) or None
        except Exception:  # noqa: BLE001
            return None

    @property
    def running(self) -> bool:
        if self.container is None:
            return False
        try:
            self.container.reload()
        except Exception:  # noqa: BLE001 - removed
            return False
        return self.container.status in ("created", "running")

    # Launch ----------------------------------------------------------------------------------
    def _ports(self) -> dict[str, int]:
        ports = {}
        for name in ("http", "grpc", "metrics"):
            port = getattr(self.spec, f"{name}_port")
            if port is None:
                port = free_port(self.spec.listen)
            elif port_in_use(self.spec.listen, port):
                raise LaunchError(
                    f"{name} port {port} on {self.spec.listen} is in use: choose another with "
                    f"--{name}-port"
                )
            ports[name] = port
        return ports

    def command(self, ports: dict[str, int]) -> list[str]:
        inside = self.spec.listen if self.spec.host_network else "0.0.0.0"
        args = [self.spec.tritonserver, f"--model-repository={CONTAINER_REPO}"]
        for name in ("http", "grpc", "metrics"):
            port = (
                ports[name]
                if self.spec.host_network
                else {"http": 8000, "grpc": 8001, "metrics": 8002}[name]
            )
            args += [f"--{name}-address={inside}", f"--{name}-port={port}"]
        args += self.load_args or ["--model-control-mode=explicit"]
        args += [
            "--exit-on-error=false",
            "--strict-readiness=false",
        ]
        return args + cache_args(self.spec.cache_size) + self.spec.extra_args

    def create_kwargs(self, ports: dict[str, int]) -> dict[str, Any]:
        """Everything sent to the engine to create the container (inspectable in tests)."""
        spec = self.spec
        volumes = {}
        if spec.model_repository is not None:
            volumes[str(spec.model_repository)] = {"bind": CONTAINER_REPO, "mode": "ro"}
        for host, inside, mode in spec.mounts:
            volumes[host] = {"bind": inside, "mode": mode}
        kwargs: dict[str, Any] = {
            "image": spec.image,
            "command": self.command(ports),
            "name": f"triton-tui-{os.getpid()}-{uuid.uuid4().hex[:6]}",
            "labels": {OWNER_LABEL: str(os.getpid())},
            "volumes": volumes,
            "environment": dict(spec.environment),
            "detach": True,
            "device_requests": device_requests(spec.gpus),
        }
        if spec.shm_size:
            kwargs["shm_size"] = spec.shm_size
        if spec.host_network:
            kwargs["network_mode"] = "host"
        else:
            kwargs["ports"] = {
                "8000/tcp": (spec.listen, ports["http"]),
                "8001/tcp": (spec.listen, ports["grpc"]),
                "8002/tcp": (spec.listen, ports["metrics"]),
            }
        return kwargs

    def _ensure_image(self, client: Any) -> None:
        from docker.errors import APIError, ImageNotFound

        try:
            client.images.get(self.spec.image)
            return
        except ImageNotFound:
            pass
        repo, _, tag = (
            self.spec.image.partition(":")
            if "@" not in self.spec.image
            else (self.spec.image, "", "")
        )
        self.lines.append(f"[triton-tui] pulling {self.spec.image} …")
        try:
            for event in client.api.pull(repo, tag=tag or "latest", stream=True, decode=True):
                status = event.get("status", "")
                progress = event.get("progress", "")
                ident = event.get("id", "")
                if "error" in event:
                    raise LaunchError(
                        f"image {self.spec.image} could not be pulled: {event['error']}"
                    )
                self.lines.append(f"[triton-tui] pull {ident} {status} {progress}".rstrip())
        except (APIError, ImageNotFound) as exc:
            reason = getattr(exc, "explanation", None) or str(exc)
            raise LaunchError(
                f"image {self.spec.image} not found locally and could not be pulled: {reason}"
            ) from exc

    def start(self) -> None:
        from docker.errors import APIError

        if self.spec.model_repository is not None:
            self.spec.model_repository = self.spec.model_repository.expanduser().resolve()
            self.warnings += check_repository(self.spec.model_repository)
            # Mounted at CONTAINER_REPO inside: only the model names reach the server.
            self.load_args, refused = model_load_args(
                [self.spec.model_repository], self.spec.extra_args, check_paths=False
            )
            self.warnings += refused
        client = docker_client()
        self._ensure_image(client)
        ports = self._ports()
        self.host = self.spec.listen if self.spec.listen not in ("0.0.0.0", "") else "127.0.0.1"
        self.http_port, self.grpc_port, self.metrics_port = (
            ports["http"],
            ports["grpc"],
            ports["metrics"],
        )
        kwargs = self.create_kwargs(ports)
        kwargs.pop("detach")
        try:
            self.container = client.containers.create(**kwargs)
        except APIError as exc:
            raise LaunchError(_explain_api_error(exc, self.spec)) from exc
        try:
            self.container.start()
        except APIError as exc:
            with contextlib.suppress(APIError):
                self.container.remove(force=True)
            self.container = None
            raise LaunchError(_explain_api_error(exc, self.spec)) from exc
        self.label = f"docker {self.container.name} ({self.spec.image})"
        self.watchdog = _start_watchdog(self.container.id)
        threading.Thread(
            target=_log_lines, args=(self.container, self.lines), daemon=True, name="docker-log"
        ).start()

    def exit_reason(self) -> str:
        time.sleep(0.3)  # let the log stream drain
        tail = [line for _, line in self.lines.snapshot()][-3:]
        code = None
        try:
            self.container.reload()
            code = self.container.attrs["State"]["ExitCode"]
        except Exception:  # noqa: BLE001
            pass
        detail = " | ".join(t.strip() for t in tail)
        return f"container exited with code {code}" + (f": {detail}" if detail else "")

    def stop(self, timeout: float = 15.0) -> None:
        if self.container is None or not self.owned:
            return
        from docker.errors import APIError, NotFound

        with contextlib.suppress(APIError, NotFound):
            self.container.stop(timeout=int(timeout))
        try:
            self.container.remove(force=True)
        except NotFound:
            pass
        except APIError as exc:
            if "already in progress" not in str(exc):
                raise
        if self.watchdog is not None and self.watchdog.stdin is not None:
            with contextlib.suppress(OSError):
                self.watchdog.stdin.close()  # it finds the container gone and exits

    def release(self) -> None:
        """Hand the stop to the watchdog (graceful, then removed) and return at once."""
        if self.container is None or not self.owned:
            return
        self.stopping.set()
        if self.watchdog is not None and self.watchdog.stdin is not None:
            with contextlib.suppress(OSError):
                self.watchdog.stdin.write(b"stop")
                self.watchdog.stdin.close()
                return
        self.stop()

    # Attach ----------------------------------------------------------------------------------
    @classmethod
    def attach(cls, name: str) -> DockerServer:
        from docker.errors import NotFound

        client = docker_client()
        try:
            container = client.containers.get(name)
        except NotFound as exc:
            raise LaunchError(f"no container named {name!r}") from exc
        server = cls(DockerSpec(image=str(container.image.tags[:1] or container.image.id)))
        server.container, server.owned = container, False
        server.label = f"docker {container.name} (attached)"
        server.http_port, server.grpc_port, server.metrics_port = _published_ports(container)
        threading.Thread(
            target=_log_lines, args=(container, server.lines), daemon=True, name="docker-log"
        ).start()
        return server


def _flag(args: list[str], flag: str) -> str | None:
    for arg in args:
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    if flag in args and args.index(flag) + 1 < len(args):
        return args[args.index(flag) + 1]
    return None


def _published_ports(container: Any) -> tuple[int, int, int]:
    """Where the attached container's server is reachable from here."""
    attrs = container.attrs
    args = [str(a) for a in (attrs.get("Args") or [])]
    if attrs.get("HostConfig", {}).get("NetworkMode") == "host":
        return tuple(  # type: ignore[return-value]
            int(_flag(args, f"--{n}-port") or d)
            for n, d in (("http", 8000), ("grpc", 8001), ("metrics", 8002))
        )
    ports = attrs.get("NetworkSettings", {}).get("Ports") or {}
    found = []
    for inside in ("8000/tcp", "8001/tcp", "8002/tcp"):
        bindings = ports.get(inside) or []
        if not bindings:
            raise LaunchError(f"container {container.name} does not publish port {inside}")
        found.append(int(bindings[0]["HostPort"]))
    return found[0], found[1], found[2]


def _explain_api_error(exc: Any, spec: DockerSpec) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    if "could not select device driver" in text or "nvidia" in text.lower():
        return (
            f"GPUs requested (--gpus {spec.gpus}) but the Docker engine has no NVIDIA runtime: "
            f"install nvidia-container-toolkit and restart dockerd ({text})"
        )
    if "address already in use" in text or "port is already allocated" in text:
        return f"a port is already taken: {text}"
    if "No such image" in text:
        return f"image {spec.image} not found: {text}"
    return f"the Docker engine refused to start the container: {text}"


def _start_watchdog(container_id: str) -> subprocess.Popen[bytes]:
    """A detached helper that stops and removes the container if this process dies without
    doing so, or when asked to (see `DockerServer.release`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tui.core.server.docker_watchdog", str(os.getpid()), container_id],
        stdin=subprocess.PIPE,  # a byte or EOF here means: stop it now (see docker_watchdog)
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ},
    )
