"""What only the server a config targets knows: the backends it has, the GPUs present, whether
it has a response cache.

Lint cannot see a typo like `backend: "onnxruntme"` or `gpus: [ 3 ]` on a one-GPU machine from
the text alone; with a `Target` (the server the console launched or attached to on this machine,
or the tritonserver this machine would run) it checks `backend` and `runtime` against the backend
directory and GPU ids against the GPUs present, and proposes the closest name. A config enabling
`response_cache` on a server started without a cache is loaded but never cached: a warning.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from tui.core.modelconfig import proto as pb
from tui.core.modelconfig.diagnostics import WARNING, Finding

DEFAULT_BACKEND_DIR = Path("/opt/tritonserver/backends")
_NOT_IN_BACKEND_DIR = {"ensemble"}  # built into the server


@dataclass(frozen=True)
class Target:
    backend_dir: Path | None = None  # None: unknown, backends not checked
    gpus: tuple[int, ...] | None = None  # None: unknown, GPU ids not checked
    where: str = "the target server"
    cache: bool | None = None  # started with a response cache; None: its flags are unknown

    @cached_property
    def backends(self) -> list[str]:
        if self.backend_dir is None:
            return []
        try:
            return sorted(p.name for p in self.backend_dir.iterdir() if p.is_dir())
        except OSError:
            return []

    def runtimes(self, backend: str) -> list[str]:
        if self.backend_dir is None:
            return []
        try:
            return sorted(p.name for p in (self.backend_dir / backend).iterdir() if p.is_file())
        except OSError:
            return []


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def backend_dir_from_args(args: Sequence[str]) -> Path | None:
    """`--backend-directory` from a tritonserver command line, else the server's default."""
    for i, arg in enumerate(args):
        if arg.startswith("--backend-directory="):
            return Path(arg.split("=", 1)[1])
        if arg == "--backend-directory" and i + 1 < len(args):
            return Path(args[i + 1])
    return DEFAULT_BACKEND_DIR if DEFAULT_BACKEND_DIR.is_dir() else None


def cache_from_args(args: Sequence[str]) -> bool:
    """Whether a tritonserver command line configures a response cache."""
    flags = ("--cache-config", "--response-cache-byte-size")
    return any(arg.split("=", 1)[0] in flags for arg in args)


def local_gpus() -> tuple[int, ...] | None:
    """The GPU indices NVML reports on this machine; () without a driver (none present)."""
    from tui.core.gpu.nvml import open_nvml

    reader, state = open_nvml()
    if reader is None:
        return ()
    try:
        sample = reader.sample()
    finally:
        reader.close()
    return tuple(g.index for g in sample.gpus) if sample.available else None


def local_target(tritonserver: str | None = None) -> Target | None:
    """The tritonserver this machine would launch (as `find_tritonserver` picks it)."""
    from tui.core.server.locate import BinaryNotFound, find_tritonserver

    try:
        binary = find_tritonserver(tritonserver)
    except BinaryNotFound:
        return None
    return Target(backend_dir_from_args(binary.args), local_gpus(), f"{binary.label}")


def target_findings(
    written: pb.ModelConfig, completed: pb.ModelConfig, target: Target
) -> Iterator[Finding]:
    """`backend`/`runtime` of the completed config against the backend directory; GPU ids the
    file names (not the ones auto-complete would pick) against the GPUs present."""
    backend = completed.backend
    backends = target.backends
    if backend and backends and backend not in _NOT_IN_BACKEND_DIR and backend not in backends:
        yield Finding(
            f"backend '{backend}' is not in {target.where}'s backend directory "
            f"{target.backend_dir} (it has: {', '.join(backends)})"
            f"{_did_you_mean(backend, backends)}",
            ("backend",) if written.backend else ("platform",),
        )
    elif backend and completed.runtime and backend in backends:
        runtimes = target.runtimes(backend)
        if runtimes and completed.runtime not in runtimes:
            yield Finding(
                f"runtime '{completed.runtime}' is not in {target.backend_dir}/{backend}"
                f"{_did_you_mean(completed.runtime, runtimes)}",
                ("runtime",),
            )
    if written.response_cache.enable and target.cache is False:
        yield Finding(
            f"response_cache is enabled but {target.where} was started without a response "
            "cache: Triton loads the model and never caches its responses (launch the server "
            "with --cache-size SIZE, tritonserver's --cache-config local,size=BYTES)",
            ("response_cache", "enable"),
            WARNING,
        )
    if target.gpus is None:
        return
    present = ", ".join(map(str, target.gpus)) or "none"
    if not target.gpus:
        yield from _gpu_groups_without_gpus(written, completed, target.where)
    for i, group in enumerate(written.instance_group):
        for j, gpu in enumerate(group.gpus):
            if gpu >= 0 and gpu not in target.gpus:
                yield Finding(
                    f"GPU {gpu} does not exist on {target.where}'s machine (GPUs present: "
                    f"{present})",
                    ("instance_group", i, "gpus", j),
                )


def _gpu_groups_without_gpus(
    written: pb.ModelConfig, completed: pb.ModelConfig, where: str
) -> Iterator[Finding]:
    """Triton's refusal of a KIND_GPU instance group (naming no GPU) on a machine without one."""
    for i, group in enumerate(written.instance_group):
        if group.kind != pb.ModelInstanceGroup.KIND_GPU or group.gpus:
            continue  # GPU ids named are checked one by one
        done = completed.instance_group
        name = done[i].name if i < len(done) and done[i].name else group.name
        yield Finding(
            f"instance group {name} of model {completed.name} has kind KIND_GPU but no GPUs are "
            f"available on {where}'s machine (use KIND_CPU, or KIND_AUTO to take a GPU where "
            "there is one)",
            ("instance_group", i, "kind"),
        )


_SERVER_TARGETS: dict[object, Target | None] = {}


def server_target(server: object, url: str = "") -> Target | None:
    """The target of the console's server: one it launched on this machine, or the tritonserver
    listening on `url` when that is a local process (an attached server on this box). None for
    a Docker or remote one: its backends and GPUs are not ours to see. Worked out once."""
    from tui.core.server.launcher import ServerProcess, cache_args

    if isinstance(server, ServerProcess) and server.binary is not None:
        key: object = id(server)
        if key not in _SERVER_TARGETS:
            args = [
                *server.binary.args,
                *cache_args(server.spec.cache_size),
                *server.spec.extra_args,
            ]
            _SERVER_TARGETS[key] = Target(
                backend_dir_from_args(args), local_gpus(), "the server", cache_from_args(args)
            )
        return _SERVER_TARGETS[key]
    if server is not None or not url:
        return None
    if url not in _SERVER_TARGETS:
        command = _local_listener(url)
        _SERVER_TARGETS[url] = (
            Target(
                backend_dir_from_args(command[1:]),
                local_gpus(),
                "the attached server",
                cache_from_args(command[1:]),
            )
            if command
            else None
        )
    return _SERVER_TARGETS[url]


def _local_listener(url: str) -> list[str]:
    """The command line of the tritonserver on this machine listening on `url`'s port (a
    loopback address only); [] when there is none or it cannot be seen."""
    import ipaddress

    import psutil

    from tui.core.server.client import split_url

    host, port = split_url(url, 8000)
    try:
        if host != "localhost" and not ipaddress.ip_address(host.strip("[]")).is_loopback:
            return []
        listeners = [
            c.pid
            for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid
        ]
        for pid in listeners:
            command: list[str] = psutil.Process(pid).cmdline()
            if command and Path(command[0]).name == "tritonserver":
                return command
    except (ValueError, OSError, psutil.Error):
        pass
    return []
