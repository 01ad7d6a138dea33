"""The server's reaper: a tiny process that makes sure a launched tritonserver never outlives us.

`python reaper.py SERVER_PID LIFELINE_FD` runs in its own session (no terminal signal reaches
it) and holds the read end of a pipe whose write end only the console (or `serve`, `bench` ...)
holds. When that end closes, whether by `ServerProcess.stop()`, a normal exit, SIGHUP or
kill -9, the reaper asks the server to stop (SIGINT), waits for it up to a grace period (the
console may send `stop SECONDS` first), then kills what is left of the server's session
(python backend stubs survive their parent under load) and removes the shared-memory regions
those processes had mapped. It also sweeps as soon as the server exits by itself.

Standard library only, runnable by path: it must start fast and not depend on sys.path.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import sys
import time
from pathlib import Path

DEFAULT_GRACE = 15.0
_POLL = 2.0  # seconds between looks at the server's shared-memory regions
# The regions the python backend (and python-based backends) create for their stubs; never a
# region a client registered with the server.
_REGION = re.compile(r"^/dev/shm/(triton_\w+_backend_shm_region_[\w-]+)$")


def session_members(sid: int) -> list[int]:
    """Processes in session `sid` (the server is its leader: stubs inherit it)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def shm_regions(pid: int) -> set[str]:
    """Backend shared-memory regions mapped by process `pid`."""
    regions = set()
    try:
        with open(f"/proc/{pid}/maps") as maps:
            for line in maps:
                if "/dev/shm/" in line:
                    m = _REGION.match(line.split(maxsplit=5)[-1].strip())
                    if m:
                        regions.add(m.group(1))
    except OSError:
        pass
    return regions


def sweep(sid: int, regions: set[str]) -> None:
    """Kill every process left in the server's session; remove their shared-memory regions."""
    members = session_members(sid)
    for pid in members:
        regions |= shm_regions(pid)
    for pid in members:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while session_members(sid) and time.monotonic() < deadline:
        time.sleep(0.05)
    for name in regions:
        with contextlib.suppress(OSError):
            os.unlink(f"/dev/shm/{name}")


def _exited(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


class _Server:
    """The server process, by pidfd where the kernel has them (immune to pid reuse)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd: int | None = None
        with contextlib.suppress(OSError, AttributeError):
            self.fd = os.pidfd_open(pid)

    def exited(self) -> bool:
        if self.fd is not None:
            return bool(select.select([self.fd], [], [], 0)[0])
        return _exited(self.pid)

    def interrupt(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.fd is not None:
                signal.pidfd_send_signal(self.fd, signal.SIGINT)
            else:
                os.kill(self.pid, signal.SIGINT)

    def wait(self, timeout: float) -> bool:
        """True when the server has exited within `timeout` seconds."""
        if self.fd is not None:
            return bool(select.select([self.fd], [], [], timeout)[0])
        deadline = time.monotonic() + timeout
        while not _exited(self.pid):
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True


def main(server_pid: int, lifeline: int) -> int:
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    server = _Server(server_pid)
    regions = shm_regions(server_pid)
    watch = [lifeline] + ([server.fd] if server.fd is not None else [])
    grace = DEFAULT_GRACE
    while True:
        ready, _, _ = select.select(watch, [], [], _POLL)
        if server.exited():
            break
        regions |= shm_regions(server_pid)
        if lifeline in ready:
            try:
                data = os.read(lifeline, 256).decode(errors="replace")
            except OSError:
                data = ""
            with contextlib.suppress(ValueError, IndexError):
                grace = float(data.split()[1]) if data.startswith("stop ") else grace
            server.interrupt()
            server.wait(grace)
            break
    sweep(server_pid, regions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]), int(sys.argv[2])))
