"""The servers this machine runs: `triton-tui serve` and the console register each server they
start (URL, metrics URL, pid, repository) in our cache and unregister it on exit.

One small JSON file per server under ~/.cache/triton-tui/servers/, written atomically. An entry
whose server process is gone (its owner was killed before it could unregister) is dropped by the
next reader. This is how `triton-tui fleet` with no source lists local servers, and how `-u` finds
the metrics port of a server started with a random one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tui.core.server.client import split_url
from tui.core.util.paths import cache_dir
from tui.core.util.sanitize import clean_line

ENTRY_LIMIT = 64 << 10  # a real entry is ~300 bytes; anything larger is not ours


@dataclass(frozen=True)
class Registered:
    url: str  # HTTP host:port
    metrics_url: str | None
    pid: int  # the tritonserver process
    repository: str  # its model repositories, os.pathsep-separated
    owner_pid: int  # the serve command or console that started it
    started: float  # time.time()

    @property
    def name(self) -> str:
        return self.url


def registry_dir() -> Path:
    path = cache_dir() / "servers"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _entry_path(pid: int) -> Path:
    return registry_dir() / f"{pid}.json"


def register(url: str, metrics_url: str | None, pid: int, repositories: list[Path]) -> Path:
    """Record a server we started; returns the entry's path (give it to `unregister`)."""
    entry = Registered(
        url=url,
        metrics_url=metrics_url,
        pid=pid,
        repository=os.pathsep.join(str(p) for p in repositories),
        owner_pid=os.getpid(),
        started=time.time(),
    )
    path = _entry_path(pid)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".entry-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(entry), handle)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def unregister(path: Path | None) -> None:
    if path is not None:
        with contextlib.suppress(OSError):
            path.unlink()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True


def _read(path: Path) -> Registered | None:
    try:
        if path.stat().st_size > ENTRY_LIMIT:
            return None
        data = json.loads(path.read_text())
        entry = Registered(
            url=clean_line(str(data["url"])),
            metrics_url=clean_line(str(data["metrics_url"])) if data.get("metrics_url") else None,
            pid=int(data["pid"]),
            repository=clean_line(str(data.get("repository", ""))),
            owner_pid=int(data.get("owner_pid", 0)),
            started=float(data.get("started", 0.0)),
        )
        split_url(entry.url, 8000)  # a valid HOST:PORT, or not ours
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return entry


def registered() -> list[Registered]:
    """The servers registered and still running, oldest first; stale entries are removed (as
    are files that are not entries: a registry nobody can read helps nobody)."""
    entries = []
    for path in sorted(registry_dir().glob("*.json")):
        entry = _read(path)
        if entry is None or not alive(entry.pid):
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        entries.append(entry)
    return sorted(entries, key=lambda e: e.started)


def _same(a: str, b: str) -> bool:
    try:
        ha, pa = split_url(a, 8000)
        hb, pb = split_url(b, 8000)
    except ValueError:
        return False
    local = {"localhost", "127.0.0.1", "::1"}
    return pa == pb and (ha == hb or (ha in local and hb in local))


def lookup(url: str) -> Registered | None:
    """The running registered server listening at `url` (HTTP), if any."""
    return next((e for e in registered() if _same(e.url, url)), None)


def register_server(server: object) -> Path | None:
    """Register a local server we started (a `ServerProcess` that is running); None for other
    kinds, or when the cache cannot be written (the server works without its entry)."""
    from tui.core.server.launcher import ServerProcess

    if not isinstance(server, ServerProcess) or server.pid is None:
        return None
    try:
        return register(
            server.http_url, server.metrics_url, server.pid, list(server.spec.model_repositories)
        )
    except OSError:
        return None


def unregister_server(server: object) -> None:
    """Remove the entry `register_server` wrote for `server` (none: nothing to do); safe in a
    signal handler (one unlink)."""
    pid = getattr(server, "pid", None)
    if isinstance(pid, int):
        with contextlib.suppress(OSError):
            _entry_path(pid).unlink()
