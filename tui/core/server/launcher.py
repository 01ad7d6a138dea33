"""Launch a local tritonserver, stream its output, wait for readiness, stop it for sure.

Nothing started here may outlive the console. The server runs in its own session (a terminal
Ctrl+C or hang-up reaches only the console), and a reaper process (tui/core/server/reaper.py, in a
session of its own) holds a lifeline pipe to us: when it closes, however we end, the reaper stops
the server gracefully, then kills what is left of its session (python backend stubs included) and
removes their shared-memory regions. As a last resort the kernel sends the server SIGINT when the
thread that started it exits (PR_SET_PDEATHSIG), so call `start()` on the main thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.logs.parser import harmless_reason, has_local_gpu
from tui.core.server.client import TritonHTTP
from tui.core.server.locate import ServerBinary, find_tritonserver
from tui.core.server.modelname import load_args, loadable
from tui.core.util.linebuffer import LineBuffer, LineSplitter
from tui.core.workflows.diagnosis import ModelErrorTracker

_PR_SET_PDEATHSIG = 1
REAPER = Path(__file__).with_name("reaper.py")


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
    cache_size: int | None = None  # bytes of local response cache (--cache-size)


def cache_args(size: int | None) -> list[str]:
    """tritonserver's flag for a local response cache of `size` bytes; none without a size.
    Only models whose config enables response_cache use it."""
    return [f"--cache-config=local,size={size}"] if size else []


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


def _stop_with_parent() -> None:  # runs in the child between fork and exec
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGINT, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _triton_address(service: str, host: str) -> str:
    """tritonserver spells an IPv6 address differently per service (plain, it binds nothing)."""
    if ":" not in host:
        return host
    return f"[{host}]" if service == "grpc" else f"ipv6:{host}"


def exposure_warning(host: str) -> str | None:
    """A loud warning when the server would listen beyond this machine."""
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(host).is_loopback:
            return None
    everywhere = " (every interface)" if host in ("0.0.0.0", "::") else ""
    return (
        f"LISTENING ON {host}{everywhere}: anyone who can reach this machine can run inference "
        "and load, unload or replace models through the unauthenticated model-control API "
        "(--listen 127.0.0.1 keeps it local)"
    )


def _flag_value(args: list[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
    return None


def _flag_values(args: list[str], flag: str) -> list[str]:
    return [
        arg.split("=", 1)[1] if arg.startswith(flag + "=") else args[i + 1]
        for i, arg in enumerate(args)
        if arg.startswith(flag + "=") or (arg == flag and i + 1 < len(args))
    ]


def model_load_args(
    repositories: list[Path], extra: list[str], check_paths: bool = True
) -> tuple[list[str], list[str]]:
    """tritonserver's flags that load the repositories' models whose names are safe (see
    tui/core/server/modelname.py), and a warning in words for each folder left out. Raises
    LaunchError
    when the user's own flags would load an unsafe one (model control `none` or `poll` loads every
    folder, `--load-model=*` too)."""
    names, refusals = loadable(repositories, check_paths)
    mode = _flag_value(extra, "--model-control-mode")
    if mode is None:
        return load_args(names), refusals
    wanted = _flag_values(extra, "--load-model")
    everything = mode != "explicit" or "*" in wanted
    unsafe = [w for w in wanted if w != "*" and w not in names]
    if refusals and (everything or unsafe):
        raise LaunchError(
            f"{refusals[0]}; with --model-control-mode={mode} "
            f"{'and --load-model ' if mode == 'explicit' else ''}tritonserver would load it: "
            "leave these flags to triton-tui, or rename the folder"
        )
    if mode == "poll":
        refusals.append(
            "with --model-control-mode=poll tritonserver loads every model folder that appears "
            "later, whatever its name: triton-tui cannot keep one that is unsafe from it"
        )
    return [], refusals


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
        self.ready = False  # became live once
        self.stopping = threading.Event()  # stop() or release() was called

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

    def release(self) -> None:
        """Stop the server without making the caller wait (default: wait)."""
        self.stop()

    def wait_ready(
        self, timeout: float = 120.0, cancelled: Callable[[], bool] | None = None
    ) -> None:
        """Block until the HTTP endpoint is live; raise LaunchError with the reason otherwise.

        Gives up within ~0.1 s of `cancelled()` turning true or of a stop."""
        client = TritonHTTP(self.http_url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stopping.is_set() or (cancelled is not None and cancelled()):
                raise LaunchError("stopped before it was ready")
            if not self.running:
                raise LaunchError(self.exit_reason())
            if client.is_live():
                self.ready = True
                return
            time.sleep(0.1)
        self.stop()
        raise LaunchError(f"tritonserver ({self.label}) did not become ready within {timeout:g} s")


class ServerProcess(ServerBase):
    def __init__(self, spec: LaunchSpec, binary: ServerBinary | None = None) -> None:
        super().__init__(spec.history, spec.listen)
        self.spec = spec
        self.binary = binary
        self.proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self.reaper: subprocess.Popen[bytes] | None = None
        self.load_args: list[str] = []  # the models to load at start-up (model_load_args)
        self._lifeline: int | None = None  # write end; the reaper holds the read end

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
                args.append(f"--{name}-address={_triton_address(name, self.host)}")
            if _flag_value(extra, f"--{name}-port") is None:
                args.append(f"--{name}-port={getattr(self, f'{name}_port')}")
        args += self.load_args
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
        return args + self.binary.args + cache_args(self.spec.cache_size) + extra

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
        self.load_args, refused = model_load_args(
            self.spec.model_repositories, self.spec.extra_args
        )
        self.warnings += refused
        if self.binary is None:
            try:
                self.binary = find_tritonserver(self.spec.tritonserver)
            except Exception as exc:  # BinaryNotFound and cache-dir trouble alike
                raise LaunchError(str(exc)) from exc
        self._choose_ports()
        exposed = exposure_warning(self.host)
        if exposed:
            self.warnings.insert(0, exposed)
        env = {**os.environ, **self.binary.env}
        env["TRITON_TUI_REPOSITORIES"] = os.pathsep.join(map(str, self.spec.model_repositories))
        try:
            self.proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,  # bytes: `_read` splits them into bounded lines
                env=env,
                start_new_session=True,
                preexec_fn=_stop_with_parent,
                # Keep SIGPIPE ignored: a server stopping after we are gone must not die of
                # writing its last log lines to our closed pipe.
                restore_signals=False,
            )
        except OSError as exc:
            raise LaunchError(f"cannot run {self.binary.path}: {exc.strerror or exc}") from exc
        self._start_reaper()
        self._reader = threading.Thread(target=self._read, name="tritonserver-log", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        fd, splitter = self.proc.stdout.fileno(), LineSplitter()
        with contextlib.suppress(OSError):
            while chunk := os.read(fd, 1 << 16):  # what the pipe holds, at once
                for line in splitter.feed(chunk):
                    self.lines.append(line)
        for line in splitter.end():
            self.lines.append(line)
        self.lines.close()

    def exit_reason(self) -> str:
        """Why the server ended: the signal or exit code first, then its own errors, never the
        start-up lines that are harmless here."""
        if self._reader is not None:
            self._reader.join(timeout=2)
        code = self.proc.poll() if self.proc else None
        lines = [line for _, line in self.lines.snapshot()]
        for line in lines:
            if "already in use" in line:
                return f"tritonserver exited: a port is in use ({line.strip()})"
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"tritonserver was killed by {name}" + (
                " (not by triton-tui)" if not self.stopping.is_set() else ""
            )
        ended = f"tritonserver exited with code {code}"
        errors = self.errors.server_errors()
        if errors:
            return f"{ended}: " + "; ".join(errors)
        gpu = has_local_gpu()
        tail = [
            ln.strip()
            for ln in lines
            if ln.startswith(("E", "error", "Error")) and not harmless_reason(ln, gpu)
        ][-3:]
        return ended + (f": {' | '.join(tail)}" if tail else "")

    def restart(self, timeout: float = 15.0) -> None:
        """Start the server again with the same flags and ports (after it died, or stopping it
        first); the log stream goes on in the same buffer, so its readers keep their place.
        Blocks while a running one stops; wait for readiness with `wait_ready`."""
        if self.proc is not None:
            self.stop(timeout)
        # The ports it had, so clients (and the console's own) find it where it was.
        self.spec.http_port, self.spec.grpc_port, self.spec.metrics_port = (
            self.http_port,
            self.grpc_port,
            self.metrics_port,
        )
        self.proc = self._reader = self.reaper = None
        self.stopping.clear()
        self.ready = False
        self.warnings = []
        self.errors.forget()
        self.lines.closed = False
        self.lines.append(f"triton-tui: restarting tritonserver with the same flags ({self.label})")
        self.start()

    # Stop ----------------------------------------------------------------------------------
    def _start_reaper(self) -> None:
        assert self.proc is not None
        read_end, self._lifeline = os.pipe()
        try:
            self.reaper = subprocess.Popen(
                [sys.executable, "-I", "-S", str(REAPER), str(self.proc.pid), str(read_end)],
                pass_fds=(read_end,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise LaunchError(f"cannot start the server's reaper: {exc}") from exc
        finally:
            os.close(read_end)

    def _hand_to_reaper(self, grace: float) -> None:
        """Tell the reaper to stop the server (SIGINT, then SIGKILL after `grace` seconds)."""
        self.stopping.set()
        fd, self._lifeline = self._lifeline, None
        if fd is None:
            return
        with contextlib.suppress(OSError):  # the reaper already swept a server that exited
            os.write(fd, f"stop {grace:g}\n".encode())
        os.close(fd)

    def _grace(self, timeout: float) -> float:
        # A server still loading its models ignores SIGINT until they are loaded: do not wait.
        return timeout if self.ready else min(timeout, 1.0)

    def release(self) -> None:
        """Hand the server to the reaper and return at once: it stops the server gracefully,
        then removes whatever is left, even after we have exited."""
        self._hand_to_reaper(self._grace(15.0))

    def stop(self, timeout: float = 15.0) -> None:
        """SIGINT (graceful); after `timeout` SIGKILL to the server's whole session. Blocks."""
        proc = self.proc
        if proc is None:
            return
        self._hand_to_reaper(self._grace(timeout))
        if self.reaper is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.reaper.wait(timeout + 10)
        if proc.poll() is None:  # the reaper is gone (killed?): do its work here
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=2)
