"""Cold start from the log: a timeline per model version of every load (at start-up and later).

Triton logs, per load: ``loading: m:1`` → per instance
``TRITONBACKEND_ModelInstanceInitialize: m_0 (CPU device 0)`` (and, with ``--log-verbose=1``,
``... instance initialization successful m_0``) → ``successfully loaded 'm'`` or
``failed to load 'm' version 1: reason``. `LoadTimeline` turns those entries into `LoadAttempt`s
with durations. `load_durations` reads `nv_model_load_duration_secs` from the metrics text
when the server exports it (newer servers do; 2.51 does not).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from tui.core.logs.parser import Entry, LogParser

_LOADING = re.compile(r"loading: (?P<m>.+):(?P<v>\d+)$")
_INST_START = re.compile(r"TRITONBACKEND_ModelInstanceInitialize: (?P<i>\S+) \((?P<where>[^)]*)\)$")
_INST_CREATE = re.compile(r"Creating instance (?P<i>\S+) on (?P<where>\S+)")
_INST_DONE = re.compile(r"instance initialization successful (?P<i>\S+) \(")
_LOADED = re.compile(r"successfully loaded '(?P<m>[^']+)'(?: version (?P<v>\d+))?")
_FAILED = re.compile(r"failed to load '(?P<m>[^']+)' version (?P<v>\d+): (?P<r>.*)", re.S)
_UNLOADED = re.compile(r"successfully unloaded '(?P<m>[^']+)' version (?P<v>\d+)")
_NEEDLES = ("loading: ", "Instance", "Creating instance", "successfully", "failed to load")


@dataclass
class InstanceTiming:
    name: str
    where: str = ""
    started: float | None = None
    ready: float | None = None

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ready is None:
            return None
        return self.ready - self.started


@dataclass
class LoadAttempt:
    model: str
    version: str
    started: float | None
    instances: dict[str, InstanceTiming] = field(default_factory=dict)
    ended: float | None = None
    state: str = "LOADING"  # LOADING | READY | FAILED
    reason: str = ""
    unloaded: float | None = None

    @property
    def duration(self) -> float | None:
        if self.started is None or self.ended is None:
            return None
        return self.ended - self.started

    @property
    def instances_ready(self) -> float | None:
        """When the last instance finished initialising (verbose logs only)."""
        times = [t.ready for t in self.instances.values() if t.ready is not None]
        if not times or len(times) < len(self.instances):
            return None
        return max(times)

    @property
    def instances_started(self) -> float | None:
        """When the first instance began initialising (logged at the default verbosity)."""
        times = [t.started for t in self.instances.values() if t.started is not None]
        return min(times) if times else None

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "version": self.version,
            "state": self.state,
            "started": self.started,
            "duration_s": self.duration,
            "instances_ready_s": (
                self.instances_ready - self.started
                if self.instances_ready is not None and self.started is not None
                else None
            ),
            "instances": {
                name: {"where": t.where, "init_s": t.duration} for name, t in self.instances.items()
            },
            "reason": self.reason,
        }


class LoadTimeline:
    """Consumes entries (or raw lines via `feed_line`) and keeps every load attempt in order."""

    def __init__(self, keep: int = 2000) -> None:
        self._lock = threading.Lock()
        self.keep = keep  # most recent attempts kept
        self.total = 0  # attempts seen
        self.attempts: list[LoadAttempt] = []
        self._open: dict[str, LoadAttempt] = {}  # model -> attempt still loading
        self._parser = LogParser(gpu_host=True)
        self._last: Entry | None = None

    def feed_line(self, _seq: int, line: str) -> None:
        """LineBuffer subscriber: `buffer.subscribe(timeline.feed_line)`."""
        entry = self._parser.feed(line)
        if entry is not self._last:
            self._last = entry
            self.feed(entry)

    def feed(self, entry: Entry) -> None:
        if not entry.src:
            return
        raw = entry.raw_message
        if not any(n in raw for n in _NEEDLES):
            return
        msg = entry.message
        with self._lock:
            self._apply(msg, entry)

    def _apply(self, msg: str, entry: Entry) -> None:
        if m := _LOADING.match(msg):
            attempt = LoadAttempt(m["m"], m["v"], entry.timestamp)
            self.attempts.append(attempt)
            self.total += 1
            if len(self.attempts) > self.keep * 2:
                del self.attempts[: -self.keep]
            self._open[attempt.model] = attempt
        elif m := _INST_DONE.search(msg):
            timing = self._instance(m["i"])
            if timing is not None:
                timing.ready = entry.timestamp
        elif m := _INST_START.search(msg) or _INST_CREATE.search(msg):
            timing = self._instance(m["i"])
            if timing is not None:
                timing.where = timing.where or m["where"]
                if timing.started is None:
                    timing.started = entry.timestamp
        elif m := _FAILED.match(msg):
            attempt = self._open.pop(m["m"], None)
            if attempt is not None:
                attempt.state, attempt.ended = "FAILED", entry.timestamp
                attempt.reason = m["r"].strip()
        elif m := _LOADED.match(msg):
            attempt = self._open.pop(m["m"], None)
            if attempt is not None:
                attempt.state, attempt.ended = "READY", entry.timestamp
        elif m := _UNLOADED.match(msg):
            # Unloading finishes asynchronously, often after the next load has begun.
            for attempt in self.attempts:
                if (
                    attempt.model == m["m"]
                    and attempt.version == m["v"]
                    and attempt.state == "READY"
                    and attempt.unloaded is None
                ):
                    attempt.unloaded = entry.timestamp
                    break

    def _instance(self, name: str) -> InstanceTiming | None:
        # Instance names are `<model>_<n>` or `<model>_<group>_<n>`: pick the longest match.
        best = None
        for model, attempt in self._open.items():
            if name.startswith(model + "_") and (best is None or len(model) > len(best.model)):
                best = attempt
        if best is None:
            return None
        return best.instances.setdefault(name, InstanceTiming(name))

    def for_model(self, model: str) -> list[LoadAttempt]:
        with self._lock:
            return [a for a in self.attempts if a.model == model]

    def feed_lines(self, lines: list[str]) -> None:
        for line in lines:
            self.feed_line(0, line)

    def snapshot(self) -> list[LoadAttempt]:
        with self._lock:
            return list(self.attempts)


def load_durations(metrics_text: str) -> dict[tuple[str, str], float]:
    """`nv_model_load_duration_secs{model,version}` values, when the server exports them."""
    out: dict[tuple[str, str], float] = {}
    if "nv_model_load_duration_secs" not in metrics_text:
        return out
    for family in text_string_to_metric_families(metrics_text):
        if family.name != "nv_model_load_duration_secs":
            continue
        for sample in family.samples:
            key = (sample.labels.get("model", ""), sample.labels.get("version", ""))
            out[key] = float(sample.value)
    return out


def format_seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"
