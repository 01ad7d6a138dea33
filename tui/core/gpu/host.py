"""Host CPU and memory, and the launched tritonserver's own cost, through psutil.

The server's figures include its children (the python backend's stub processes run the models'
Python code, so leaving them out would hide most of the work).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import psutil

KIDS_TTL_S = 5.0  # how long the server's list of child processes is trusted


@dataclass(frozen=True)
class HostSample:
    cpu_percent: float  # of all cores together, 0-100
    cpu_count: int
    memory_used: int  # bytes (total - available)
    memory_total: int

    @property
    def memory_percent(self) -> float:
        return 100.0 * self.memory_used / self.memory_total if self.memory_total else 0.0


@dataclass(frozen=True)
class ProcSample:
    """A process tree: the server and its children, summed."""

    pid: int
    alive: bool
    name: str | None = None
    cpu_percent: float | None = None  # of one core (100 = one core busy), like top
    rss: int | None = None  # bytes
    threads: int | None = None
    children: tuple[int, ...] = ()
    error: str | None = None

    @property
    def pids(self) -> frozenset[int]:
        return frozenset((self.pid, *self.children))


def _busy_total() -> tuple[float, float]:
    """CPU seconds spent busy and in total, all cores (idle and iowait count as not busy)."""
    t = psutil.cpu_times()
    total = sum(t)
    idle = t.idle + getattr(t, "iowait", 0.0)
    # guest time is already counted in user time on Linux
    total -= getattr(t, "guest", 0.0) + getattr(t, "guest_nice", 0.0)
    return total - idle, total


@dataclass
class HostReader:
    """Samples the host, and the process tree rooted at `server_pid` when there is one.

    psutil's CPU percentages are deltas since the previous call on the same `Process` object,
    so the objects are kept between samples; the first sample of a process reads 0 %."""

    server_pid: int | None = None
    _procs: dict[int, psutil.Process] = field(init=False, default_factory=dict)
    _times: tuple[float, float] = field(init=False, default=(0.0, 0.0))
    _kids: list[psutil.Process] = field(init=False, default_factory=list)
    _kids_at: float = field(init=False, default=-KIDS_TTL_S)

    def __post_init__(self) -> None:
        self._times = _busy_total()

    def _cpu_percent(self) -> float:
        # Our own delta: psutil.cpu_percent(None) keeps its baseline per calling thread, and
        # the pane samples from a fresh worker thread each time.
        busy, total = _busy_total()
        last_busy, last_total = self._times
        self._times = (busy, total)
        if total <= last_total:
            return 0.0
        return max(0.0, min(100.0, 100.0 * (busy - last_busy) / (total - last_total)))

    def sample(self) -> tuple[HostSample, ProcSample | None]:
        vm = psutil.virtual_memory()
        host = HostSample(
            cpu_percent=round(self._cpu_percent(), 1),
            cpu_count=psutil.cpu_count() or 1,
            memory_used=int(vm.total - vm.available),
            memory_total=int(vm.total),
        )
        return host, (self._server() if self.server_pid else None)

    def _proc(self, pid: int) -> psutil.Process:
        proc = self._procs.get(pid)
        if proc is None:
            proc = self._procs[pid] = psutil.Process(pid)
            proc.cpu_percent(interval=None)
        return proc

    def _server(self) -> ProcSample:
        pid = int(self.server_pid or 0)
        try:
            root = self._proc(pid)
            if not root.is_running() or root.status() == psutil.STATUS_ZOMBIE:
                raise psutil.NoSuchProcess(pid)
            name = root.name()
            now = time.monotonic()
            if now - self._kids_at >= KIDS_TTL_S:  # listing walks all of /proc: not every tick
                self._kids, self._kids_at = root.children(recursive=True), now
            kids = self._kids
        except psutil.NoSuchProcess:
            self._procs.clear()
            self._kids, self._kids_at = [], -KIDS_TTL_S
            return ProcSample(pid=pid, alive=False, error=f"process {pid} is not running")
        except psutil.Error as exc:
            return ProcSample(pid=pid, alive=True, error=f"process {pid}: {exc}")
        cpu = 0.0
        rss = threads = 0
        seen: list[int] = []
        for proc in (root, *kids):
            try:
                p = self._proc(proc.pid)
                with p.oneshot():
                    cpu += p.cpu_percent(interval=None)
                    rss += p.memory_info().rss
                    threads += p.num_threads()
                seen.append(p.pid)
            except psutil.Error:
                continue  # a child that ended between listing and reading
        for gone in set(self._procs) - set(seen):
            del self._procs[gone]
        return ProcSample(
            pid=pid,
            alive=True,
            name=name,
            cpu_percent=cpu,
            rss=rss,
            threads=threads,
            children=tuple(p for p in seen if p != pid),
        )
