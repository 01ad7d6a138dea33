"""One sampler for the GPU pane and `triton-tui gpu`: NVML, host, server process, server metrics.

`sample()` is synchronous (call it from a thread); `start()` runs it on a daemon thread every
`interval` seconds and hands each immutable `Snapshot` to a callback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType

from tui.core.gpu.history import DEFAULT_CAPACITY, Histories
from tui.core.gpu.host import HostReader, HostSample, ProcSample
from tui.core.gpu.metrics import MetricsReader, ServerMetrics
from tui.core.gpu.nvml import NvmlReader, NvmlState, open_nvml

DEFAULT_INTERVAL = 1.0
MIN_INTERVAL = 0.2


@dataclass(frozen=True)
class Snapshot:
    taken_at: float  # wall clock, seconds since the epoch
    nvml: NvmlState
    host: HostSample
    server: ProcSample | None = None  # the tritonserver the console launched
    metrics: ServerMetrics | None = None
    duration_s: float = 0.0  # how long the sample took

    @property
    def server_pids(self) -> frozenset[int]:
        return self.server.pids if self.server and self.server.alive else frozenset()


def _percent(used: float | None, total: float | None) -> float | None:
    return None if used is None or not total else 100.0 * used / total


@dataclass
class Sampler:
    server_pid: int | None = None
    metrics_url: str | None = None
    interval: float = DEFAULT_INTERVAL
    history_capacity: int = DEFAULT_CAPACITY
    nvml_module: ModuleType | None = None  # a stand-in for pynvml (tests without a GPU)
    metrics_fetch: Callable[[str], str] | None = None
    histories: Histories = field(init=False)
    latest: Snapshot | None = field(init=False, default=None)
    _nvml: NvmlReader | None = field(init=False, default=None)
    _nvml_state: NvmlState = field(init=False)
    _host: HostReader = field(init=False)
    _metrics: MetricsReader | None = field(init=False, default=None)
    _stop: threading.Event = field(init=False, default_factory=threading.Event)
    _thread: threading.Thread | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.interval = check_interval(self.interval)
        self.histories = Histories(self.history_capacity)
        self._nvml, self._nvml_state = open_nvml(self.nvml_module)
        self._host = HostReader(self.server_pid)
        if self.metrics_url:
            kwargs = {"fetch": self.metrics_fetch} if self.metrics_fetch else {}
            self._metrics = MetricsReader(self.metrics_url, **kwargs)

    def enable_metrics(self, url: str) -> None:
        """Start scraping `url` from the next sample on (e.g. once the server is ready)."""
        with self._lock:
            if self._metrics is None or self._metrics.url != url:
                kwargs = {"fetch": self.metrics_fetch} if self.metrics_fetch else {}
                self._metrics = MetricsReader(url, **kwargs)
                self.metrics_url = url

    def follow_server(self, pid: int | None) -> None:
        """Watch another server process from the next sample on (None: no server process)."""
        with self._lock:
            if pid != self.server_pid:
                self.server_pid = pid
                self._host = HostReader(pid)

    @property
    def nvml_available(self) -> bool:
        return self._nvml is not None

    def sample(self) -> Snapshot:
        """Read everything once, record it in the histories, and return it. Never raises
        for a GPU, process or endpoint problem: those come back inside the snapshot."""
        with self._lock:
            start = time.monotonic()
            nvml = self._nvml.sample() if self._nvml else self._nvml_state
            host, server = self._host.sample()
            metrics = self._metrics.sample() if self._metrics else None
            snap = Snapshot(
                taken_at=time.time(),
                nvml=nvml,
                host=host,
                server=server,
                metrics=metrics,
                duration_s=time.monotonic() - start,
            )
            self._record(snap)
            self.latest = snap
            return snap

    def _record(self, snap: Snapshot) -> None:
        rec = self.histories.record
        for gpu in snap.nvml.gpus:
            rec(f"gpu{gpu.index}.util", gpu.util_gpu)
            rec(f"gpu{gpu.index}.memory", gpu.memory_percent)
            rec(f"gpu{gpu.index}.power", gpu.power_w)
        rec("host.cpu", snap.host.cpu_percent)
        rec("host.memory", snap.host.memory_percent)
        if snap.server is not None:
            rec("server.cpu", snap.server.cpu_percent)
            rec("server.rss", snap.server.rss)
            rec("server.threads", snap.server.threads)
        m = snap.metrics
        if m is not None and m.error is None:
            rec("metrics.cpu", None if m.cpu_utilization is None else 100 * m.cpu_utilization)
            for g in m.gpus:
                util = None if g.utilization is None else 100 * g.utilization
                rec(f"metrics.gpu.{g.uuid}.util", util)
                rec(f"metrics.gpu.{g.uuid}.memory", _percent(g.memory_used, g.memory_total))
                rec(f"metrics.gpu.{g.uuid}.power", g.power_w)
            for model in m.models:
                rec(f"model.{model.model}.rate", model.request_rate)

    # Background loop ------------------------------------------------------------------------
    def start(self, callback: Callable[[Snapshot], None]) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(callback,), name="gpu-sampler", daemon=True
        )
        self._thread.start()

    def _run(self, callback: Callable[[Snapshot], None]) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            callback(self.sample())
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind (a slow endpoint): skip the missed ticks, no backlog
                next_at = time.monotonic()
                delay = 0
            self._stop.wait(delay)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        self.stop()
        if self._nvml:
            self._nvml.close()


def check_interval(seconds: float) -> float:
    if not seconds >= MIN_INTERVAL:  # also rejects NaN
        raise ValueError(f"sampling interval must be at least {MIN_INTERVAL} s, got {seconds}")
    return float(seconds)
