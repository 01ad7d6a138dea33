"""Launch a local tritonserver, stream its output, wait for readiness, stop it for sure.

Nothing started here may outlive the console: the server runs in its own process group (so a
terminal Ctrl+C reaches only the console, which then stops it gracefully), and the kernel kills it
if the console dies (PR_SET_PDEATHSIG). `start()` must therefore run on a thread that lives as long
as the server (the main thread): the death signal fires when the *thread* that forked it exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.client import TritonHTTP
from tui.core.diagnosis import ModelErrorTracker
from tui.core.linebuffer import LineBuffer
from tui.core.locate import ServerBinary, find_tritonserver

_PR_SET_PDEATHSIG = 1


class LaunchError(Exception):
    """The server could not be started; the message says why, in words."""


@dataclass
class LaunchSpec:
    model_repositories: list[Path]
    tritonserver: str | None = None
    listen: str = "127.0.0.1"
    http_port: int | None = None
    grpc_port: int | None = None
    metrics_port: int | None = None
    extra_args: list[str] = field(default_factory=list)
    history: int = 100_000


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _flag_value(args: list[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def check_repository(path: Path) -> list[str]:
    """Raise LaunchError when the repository is unusable; return warnings otherwise."""
    if not path.exists():
        raise LaunchError(f"model repository {path} does not exist")
    if not path.is_dir():
        raise LaunchError(f"model repository {path} is not a directory")
    if not os.access(path, os.R_OK | os.X_OK):
        raise LaunchError(f"model repository {path} is not readable")
    if not any(p.is_dir() for p in path.iterdir()):
        return [f"model repository {path} is empty: no models to load"]
    return []


class ServerBase(ABC):
    """What every server the console runs has: its log stream, the reasons read from it, and
    where it listens (a local process here, or a Docker container in docker_server)."""

    def __init__(self, history: int, host: str) -> None:
        self.lines = LineBuffer(history)
        self.errors = ModelErrorTracker()
        self.lines.subscribe(self.errors.feed)
        self.warnings: list[str] = []
        self.host = host
        self.http_port = self.grpc_port = self.metrics_port = 0

    @property
    def _client_host(self) -> str:
        if self.host in ("0.0.0.0", "::", ""):
            return "127.0.0.1"
        return f"[{self.host}]" if ":" in self.host else self.host

    @property
    def http_url(self) -> str:
        return f"{self._client_host}:{self.http_port}"

    @property
    def grpc_url(self) -> str:
        return f"{self._client_host}:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        return f"{self._client_host}:{self.metrics_port}"

    # What each kind of server says about itself.
    label: str

    @property
    @abstractmethod
    def running(self) -> bool: ...

    @property
    def exited(self) -> bool:
        """Cheap enough for the event loop: the log stream ended (overridden where cheaper)."""
        return self.lines.closed

    @abstractmethod
    def exit_reason(self) -> str: ...

    @abstractmethod
    def stop(self, timeout: float = 15.0) -> None: ...

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until the HTTP endpoint is live; raise LaunchError with the reason otherwise."""
        client = TritonHTTP(self.http_url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise LaunchError(self.exit_reason())
            if client.is_live():
                return
            time.sleep(0.1)
        self.stop()
        raise LaunchError(f"tritonserver ({self.label}) did not become ready within {timeout:g} s")


class ServerProcess(ServerBase):
    def __init__(self, spec: LaunchSpec, binary: ServerBinary | None = None) -> None:
        super().__init__(spec.history, spec.listen)
        self.spec = spec
        self.binary = binary
        self.proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def label(self) -> str:  # type: ignore[override]  # an attribute in ServerBase
        return self.binary.label if self.binary else "tritonserver"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def exited(self) -> bool:
        # Not the log stream: the python stubs hold the pipe open for a while after a crash.
        return self.proc is not None and self.proc.poll() is not None

    # Start ---------------------------------------------------------------------------------
    def command(self) -> list[str]:
        assert self.binary is not None
        extra = list(self.spec.extra_args)
        args = [str(self.binary.path)]
        args += [f"--model-repository={p}" for p in self.spec.model_repositories]
        for name in ("http", "grpc", "metrics"):
            if _flag_value(extra, f"--{name}-address") is None:
                args.append(f"--{name}-address={self.host}")
            if _flag_value(extra, f"--{name}-port") is None:
                args.append(f"--{name}-port={getattr(self, f'{name}_port')}")
        if _flag_value(extra, "--model-control-mode") is None:
            args += ["--model-control-mode=explicit", "--load-model=*"]
        # A console-launched server should stop promptly: tritonserver otherwise waits up to 30 s
        # for models that never finish unloading (a failed python-backend load leaves one).
        defaults = (
            ("--exit-on-error", "false"),
            ("--strict-readiness", "false"),
            ("--exit-timeout-secs", "5"),
        )
        for flag, value in defaults:
            if _flag_value(extra, flag) is None:
                args.append(f"{flag}={value}")
        return args + self.binary.args + extra

    def _choose_ports(self) -> None:
        extra = self.spec.extra_args
        taken: set[int] = set()
        for name in ("http", "grpc", "metrics"):
            value = _flag_value(extra, f"--{name}-port") or getattr(self.spec, f"{name}_port")
            if value is not None:
                port = int(value)
                if port_in_use(self.host, port):
                    raise LaunchError(
                        f"{name} port {port} on {self.host} is in use: choose another with "
                        f"--{name}-port, or leave it out to get a free one"
                    )
            else:
                port = free_port(self.host)
                while port in taken:
                    port = free_port(self.host)
            taken.add(port)
            setattr(self, f"{name}_port", port)

    def start(self) -> None:
        if self.proc is not None:
            raise RuntimeError("server already started")
        if not self.spec.model_repositories:
            raise LaunchError("no model repository given (--model-repository DIR)")
        self.spec.model_repositories = [
            p.expanduser().resolve() for p in self.spec.model_repositories
        ]
        for repo in self.spec.model_repositories:
            self.warnings += check_repository(repo)
        if self.binary is None:
            try:
                self.binary = find_tritonserver(self.spec.tritonserver)
            except Exception as exc:  # BinaryNotFound and cache-dir trouble alike
                raise LaunchError(str(exc)) from exc
        self._choose_ports()
        env = {**os.environ, **self.binary.env}
        env["TRITON_TUI_REPOSITORIES"] = os.pathsep.join(map(str, self.spec.model_repositories))
        try:
            self.proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors="replace",
                bufsize=1,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        except OSError as exc:
            raise LaunchError(f"cannot run {self.binary.path}: {exc.strerror or exc}") from exc
        self._reader = threading.Thread(target=self._read, name="tritonserver-log", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
        self.lines.close()

    def exit_reason(self) -> str:
        if self._reader is not None:
            self._reader.join(timeout=2)
        code = self.proc.poll() if self.proc else None
        errors = self.errors.server_errors()
        lines = [line for _, line in self.lines.snapshot()]
        for line in lines:
            if "already in use" in line or "Address already in use" in line:
                return f"tritonserver exited: a port is in use ({line.strip()})"
        if errors:
            return "tritonserver exited: " + "; ".join(errors)
        tail = [ln for ln in lines if ln.startswith(("E", "error", "Error"))][-3:] or lines[-3:]
        detail = " | ".join(t.strip() for t in tail)
        return f"tritonserver exited with code {code}" + (f": {detail}" if detail else "")

    # Stop ----------------------------------------------------------------------------------
    def stop(self, timeout: float = 15.0) -> None:
        """SIGINT (graceful), then SIGKILL to the whole process group after `timeout`."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGINT)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
        # The server and anything it spawned (python backend stubs).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=2)
