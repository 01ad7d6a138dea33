"""One look at the fleet: a row per server, a row per model, and the figures derived from them.

Every source (Prometheus, an endpoint list, the servers this machine registered) fills the same
`ServerRow`s; the model view (versions and config fingerprints per replica, drift, the outlier
replica) is computed here from what the rows carry. Unknown figures are None, never zero: a
server that is down has no request rate, it does not have a rate of 0.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

# The figures the JSON names, in its order (issue 23's contract for scripts and alerts).
SERVER_FIELDS = (
    "name",
    "url",
    "metrics_url",
    "live",
    "ready",
    "version",
    "models_ready",
    "models_failed",
    "requests_per_s",
    "failures_per_s",
    "queue_us",
    "compute_us",
    "avg_batch",
    "pending",
    "gpu_util",
    "gpu_memory_bytes",
    "age_s",
    "reason",
)
OUTLIER_FACTOR = 2.0  # a replica whose queue time is over twice the fleet median for its model


@dataclass
class Replica:
    """One model as one server serves it."""

    version: str | None = None  # the versions served, comma-separated ("1", "2,3")
    state: str | None = None  # READY, UNAVAILABLE, … (None: the server did not say)
    config_fingerprint: str | None = None  # a short hash of the effective config
    queue_us: float | None = None  # average queue time per request over the window

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "state": self.state,
            "config_fingerprint": self.config_fingerprint,
        }


@dataclass
class ServerRow:
    name: str
    url: str  # the HTTP endpoint, host:port (what `Enter` attaches to)
    metrics_url: str | None = None
    live: bool | None = None
    ready: bool | None = None
    version: str | None = None
    models_ready: int | None = None
    models_failed: int | None = None
    requests_per_s: float | None = None
    failures_per_s: float | None = None
    queue_us: float | None = None  # weighted by request count over every model
    compute_us: float | None = None  # input + infer + output, per request
    avg_batch: float | None = None  # inferences per execution
    pending: float | None = None
    gpu_util: float | None = None  # 0.0-1.0, averaged over the server's GPUs
    gpu_memory_bytes: float | None = None  # used, summed over its GPUs
    age_s: float | None = None  # how old its last sample is
    reason: str | None = None  # why it is down or not ready, in words
    labels: dict[str, str] = field(default_factory=dict)
    models: dict[str, Replica] = field(default_factory=dict)
    pid: int | None = None  # a local server's process (registered servers)
    repository: str | None = None  # its repository on this machine, when known

    @property
    def down(self) -> bool:
        return self.live is False

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SERVER_FIELDS}

    def matches(self, text: str) -> bool:
        """The filter: `text` in its name, URL or any label (case-insensitive)."""
        needle = text.lower()
        hay = [
            self.name,
            self.url,
            *self.labels.values(),
            *(f"{k}={v}" for k, v in self.labels.items()),
        ]
        return any(needle in h.lower() for h in hay)


@dataclass
class ModelRow:
    name: str
    servers: dict[str, Replica]  # server URL -> the replica
    drift: bool = False
    outlier: str | None = None  # the URL of the replica whose queue time is out of line

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "servers": {url: r.as_json() for url, r in self.servers.items()},
            "drift": self.drift,
            "outlier": self.outlier,
        }


@dataclass
class FleetSnapshot:
    servers: list[ServerRow]
    models: list[ModelRow]
    source: str = ""  # where the fleet came from, in words
    error: str | None = None  # the source itself failed (Prometheus unreachable …)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "servers": [s.as_json() for s in self.servers],
            "models": [m.as_json() for m in self.models],
        }
        if self.error:
            out["error"] = self.error
        return out

    def server(self, url: str) -> ServerRow | None:
        return next((s for s in self.servers if s.url == url), None)


def model_view(servers: list[ServerRow]) -> list[ModelRow]:
    """Models × servers, with drift and the outlier replica marked (sorted by name)."""
    names = sorted({m for s in servers for m in s.models})
    rows = []
    for name in names:
        replicas = {s.url: s.models[name] for s in servers if name in s.models}
        rows.append(ModelRow(name, replicas, drifted(replicas), outlier(replicas)))
    return rows


def drifted(replicas: dict[str, Replica]) -> bool:
    """The same model served as different versions, or with different configs, on different
    replicas (replicas whose version or fingerprint is unknown do not count)."""
    versions = {r.version for r in replicas.values() if r.version is not None}
    prints = {r.config_fingerprint for r in replicas.values() if r.config_fingerprint}
    return len(versions) > 1 or len(prints) > 1


def outlier(replicas: dict[str, Replica]) -> str | None:
    """The replica with the longest queue time, when that is over OUTLIER_FACTOR × the median of
    the model's replicas (at least three replicas with a figure: with two, "the median" is the
    pair's mean and says nothing about which one is odd)."""
    timed = {url: r.queue_us for url, r in replicas.items() if r.queue_us is not None}
    if len(timed) < 3:
        return None
    median = statistics.median(timed.values())
    worst = max(timed, key=lambda url: timed[url] or 0.0)
    top = timed[worst] or 0.0
    return worst if top > OUTLIER_FACTOR * median and top > 0 else None


# Sorting ---------------------------------------------------------------------------------
SORT_KEYS = ("name", *SERVER_FIELDS[3:-1])


def sorted_rows(rows: list[ServerRow], key: str, descending: bool = False) -> list[ServerRow]:
    """Rows by one column; unknown figures (None) always last, whichever the direction."""
    if key not in SORT_KEYS:
        raise ValueError(f"cannot sort by {key!r}: one of {', '.join(SORT_KEYS)}")
    known = [r for r in rows if getattr(r, key) is not None]
    unknown = [r for r in rows if getattr(r, key) is None]

    def value(row: ServerRow) -> Any:
        v = getattr(row, key)
        return v.lower() if isinstance(v, str) else v

    known.sort(key=lambda r: (value(r), r.name), reverse=descending)
    return known + sorted(unknown, key=lambda r: r.name)
