"""Window statistics exactly as perf_analyzer computes them.

- percentile index on sorted latencies: `int((p / 100) * (n - 1) + 0.5)` (nearest rank, half up);
- stability: the last 3 windows, all with throughput > 0, `max/min <= 1 + s` on throughput and
  on the stabilising latency (p<percentile> when given, else the average);
- a stable level reports the merge of its last 3 windows (counts and durations summed, latencies
  concatenated and summarised again, server-statistics deltas summed, GPU polls pooled).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PERCENTILES = (50, 90, 95, 99)
STABILITY_WINDOW = 3
NO_STD = 2**64 - 1  # perf_analyzer prints UINT64_MAX ("infinity") when there is one sample


def percentile_index(p: float, n: int) -> int:
    """Index into n ascending latencies for percentile p (perf_analyzer's rounding)."""
    if n <= 0:
        raise ValueError("no samples")
    return int((p / 100.0) * (n - 1) + 0.5)


def percentile(sorted_ns: np.ndarray, p: float) -> int:
    return int(sorted_ns[percentile_index(p, len(sorted_ns))])


@dataclass
class LatencySummary:
    count: int
    avg_ns: int
    std_us: int  # sample standard deviation in µs (NO_STD for a single request)
    percentiles_ns: dict[int, int]
    send_ns: int = 0  # average time to send a request
    recv_ns: int = 0  # average time to read a response once it started arriving

    def stabilizing_ns(self, percentile_value: int | None) -> int:
        return self.percentiles_ns[percentile_value] if percentile_value else self.avg_ns


def summarize(
    latencies_ns: np.ndarray,
    percentile_value: int | None = None,
    send_ns: np.ndarray | None = None,
    recv_ns: np.ndarray | None = None,
) -> LatencySummary:
    n = len(latencies_ns)
    if n == 0:
        raise ValueError(
            "No valid requests recorded within time interval. Please use a larger time window."
        )
    lat = np.sort(latencies_ns.astype(np.int64))
    wanted = sorted(set(PERCENTILES) | ({percentile_value} if percentile_value else set()))
    avg = int(lat.sum() // n)
    dev = (lat - avg).astype(np.float64)  # squared nanoseconds overflow int64 on slow models
    std = NO_STD if n < 2 else int(math.sqrt(float((dev**2).sum()) / (n - 1)) / 1000)
    return LatencySummary(
        count=n,
        avg_ns=avg,
        std_us=std,
        percentiles_ns={p: percentile(lat, p) for p in wanted},
        send_ns=int(send_ns.mean()) if send_ns is not None and len(send_ns) else 0,
        recv_ns=int(recv_ns.mean()) if recv_ns is not None and len(recv_ns) else 0,
    )


@dataclass
class Window:
    """One measurement window (a perf_analyzer "trial")."""

    duration_ns: int
    batch_size: int
    latencies_ns: np.ndarray
    send_ns: np.ndarray
    recv_ns: np.ndarray
    server: dict[str, Any] = field(default_factory=dict)  # statistics-API delta
    gpu: dict[str, Any] = field(default_factory=dict)  # merge of gpu_samples
    errors: int = 0
    percentile_value: int | None = None
    gpu_samples: list[dict[str, Any]] = field(default_factory=list)  # ~1 s polls in the window
    sent: int = 0  # requests whose send started inside the window
    delayed: int = 0  # request-rate: of the requests counted, those sent late
    client_cpu: float = 0.0  # busiest load generator process's CPU use (0-1)
    composing: dict[str, Any] = field(default_factory=dict)  # ensemble: model -> stats delta
    sequences: int = 0  # sequence models: requests counted that ended their sequence

    @property
    def count(self) -> int:
        return len(self.latencies_ns)

    @property
    def throughput(self) -> float:
        if self.duration_ns <= 0:
            return 0.0
        return self.count * self.batch_size / (self.duration_ns / 1e9)

    def summary(self) -> LatencySummary:
        return summarize(self.latencies_ns, self.percentile_value, self.send_ns, self.recv_ns)

    def stabilizing_ns(self) -> int:
        """The latency stability is judged on; UINT64_MAX-like for an empty window."""
        if self.count == 0:
            return NO_STD
        return self.summary().stabilizing_ns(self.percentile_value)


def window_p99_ns(window: Window) -> int:
    """One window's p99 latency, perf_analyzer's percentile rule (0 for an empty window)."""
    if window.count == 0:
        return 0
    return percentile(np.sort(window.latencies_ns.astype(np.int64)), 99)


def is_stable(trials: Sequence[tuple[float, int]], stability: float) -> bool:
    """perf_analyzer's rule on (throughput, stabilizing latency) pairs; `stability` is s/100."""
    if len(trials) < STABILITY_WINDOW:
        return False
    last = trials[-STABILITY_WINDOW:]
    ips = [t for t, _ in last]
    lat = [lt for _, lt in last]
    if min(ips) <= 0 or min(lat) <= 0:
        return False
    return max(ips) / min(ips) <= 1 + stability and max(lat) / min(lat) <= 1 + stability


def throughput_stable(trials: Sequence[tuple[float, int]], stability: float) -> bool:
    """The throughput half of the rule (perf_analyzer's fallback for asynchronous load)."""
    if len(trials) < STABILITY_WINDOW:
        return False
    ips = [t for t, _ in trials[-STABILITY_WINDOW:]]
    return min(ips) > 0 and max(ips) / min(ips) <= 1 + stability


def over_threshold(trials: Sequence[tuple[float, int]], threshold_ms: float) -> bool:
    """Any of the last 3 stabilizing latencies at or over `threshold_ms` (0 means no limit)."""
    if threshold_ms <= 0:
        return False
    return any(lat >= threshold_ms * 1e6 for _, lat in trials[-STABILITY_WINDOW:])


def all_over_threshold(trials: Sequence[tuple[float, int]], threshold_ms: float) -> bool:
    """The last 3 stabilizing latencies all at or over `threshold_ms`: the merged result is over
    it too, no need to wait for stability (0 means no limit)."""
    if threshold_ms <= 0 or len(trials) < STABILITY_WINDOW:
        return False
    return all(lat >= threshold_ms * 1e6 for _, lat in trials[-STABILITY_WINDOW:])


def merge_server(deltas: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Sum statistics-API deltas (dicts of counters or {'count','ns'} pairs)."""
    total: dict[str, Any] = {}
    for delta in deltas:
        for key, value in delta.items():
            if isinstance(value, dict):
                slot = total.setdefault(key, {"count": 0, "ns": 0})
                slot["count"] += value.get("count", 0)
                slot["ns"] += value.get("ns", 0)
            elif isinstance(value, int | float):
                total[key] = total.get(key, 0) + value
    return total


def merge_gpu(samples: Sequence[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Per GPU: utilization and power averaged, used memory max, total memory first."""
    merged: dict[str, dict[str, float]] = {}
    uuids = {u for s in samples for u in s}
    for uuid in sorted(uuids):
        rows = [s[uuid] for s in samples if uuid in s]
        out: dict[str, float] = {}
        for key in ("utilization", "power_w"):
            vals = [r[key] for r in rows if key in r]
            if vals:
                out[key] = sum(vals) / len(vals)
        used = [r["memory_used_bytes"] for r in rows if "memory_used_bytes" in r]
        if used:
            out["memory_used_bytes"] = max(used)
        total = [r["memory_total_bytes"] for r in rows if "memory_total_bytes" in r]
        if total:
            out["memory_total_bytes"] = total[0]
        merged[uuid] = out
    return merged


def merge_windows(windows: Sequence[Window]) -> Window:
    """The reported measurement of a stable level: the merge of its last 3 windows."""
    last = list(windows[-STABILITY_WINDOW:])
    return Window(
        duration_ns=sum(w.duration_ns for w in last),
        batch_size=last[0].batch_size,
        latencies_ns=np.concatenate([w.latencies_ns for w in last]),
        send_ns=np.concatenate([w.send_ns for w in last]),
        recv_ns=np.concatenate([w.recv_ns for w in last]),
        server=merge_server([w.server for w in last]),
        gpu=merge_gpu([g for w in last for g in (w.gpu_samples or [w.gpu])]),
        errors=sum(w.errors for w in last),
        percentile_value=last[0].percentile_value,
        gpu_samples=[g for w in last for g in w.gpu_samples],
        sent=sum(w.sent for w in last),
        delayed=sum(w.delayed for w in last),
        sequences=sum(w.sequences for w in last),
        client_cpu=sum(w.client_cpu for w in last) / len(last),
        composing={
            m: merge_server([w.composing[m] for w in last if m in w.composing])
            for m in dict.fromkeys(m for w in last for m in w.composing)
        },
    )
