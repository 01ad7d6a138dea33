"""Server-side figures of a sweep: statistics-API snapshots and GPU metrics polled every second.

Snapshots are kept per (model, version); a window's figures are the deltas of the cumulative
counters. Without `-x` the version whose counts moved is the one reported (perf_analyzer's
choice), never the sum of all versions. For an ensemble the composing models (read from its
`ensemble_scheduling` steps, nested ensembles included) are snapshotted too.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from tui.core.server.client import TritonError, TritonHTTP, fetch_metrics

if TYPE_CHECKING:
    from tui.core.bench.grpc_admin import TritonGRPC
    from tui.core.modelconfig.served import ServedConfig

STAT_KEYS = (
    "success",
    "fail",
    "queue",
    "compute_input",
    "compute_infer",
    "compute_output",
    "cache_hit",
    "cache_miss",
)
Key = tuple[str, str]  # (model, version)


def _counters(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "inference_count": int(entry.get("inference_count", 0)),
        "execution_count": int(entry.get("execution_count", 0)),
    }
    stats = entry.get("inference_stats") or {}
    for key in STAT_KEYS:
        d = stats.get(key) or {}
        out[key] = {"count": int(d.get("count", 0)), "ns": int(d.get("ns", 0))}
    return out


def snapshot(client: TritonHTTP | TritonGRPC, models: list[str]) -> dict[Key, dict[str, Any]]:
    """Cumulative counters of every version of `models` (one request per model)."""
    out: dict[Key, dict[str, Any]] = {}
    for model in models:
        for entry in client.model_stats(model):
            out[(str(entry.get("name", model)), str(entry.get("version", "")))] = _counters(entry)
    return out


def delta(new: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in new.items():
        prev = (old or {}).get(key)
        if isinstance(value, dict):
            prev = prev or {"count": 0, "ns": 0}
            out[key] = {"count": value["count"] - prev["count"], "ns": value["ns"] - prev["ns"]}
        else:
            out[key] = value - (prev or 0)
    return out


def deltas(
    new: dict[Key, dict[str, Any]], old: dict[Key, dict[str, Any]]
) -> dict[Key, dict[str, Any]]:
    return {key: delta(value, old.get(key)) for key, value in new.items()}


def pick(window: dict[Key, dict[str, Any]], model: str, version: str) -> tuple[str, dict[str, Any]]:
    """The (version, delta) of `model` to report: the given version, else the one a request
    naming no version reaches, the highest loaded (Triton serves such a request from its latest
    ready version). Not the busiest: other clients' traffic to an older version outran ours on a
    loaded machine and its figures were reported as ours."""
    mine = {v: d for (m, v), d in window.items() if m == model}
    if not mine:
        return version, {}
    if version:
        return version, mine.get(version, {})
    latest = max(mine, key=lambda v: (v.isdigit(), int(v) if v.isdigit() else 0, v))
    return latest, mine[latest]


def composing_configs(
    client: TritonHTTP | TritonGRPC, config: ServedConfig, depth: int = 0
) -> dict[str, ServedConfig | TritonError]:
    """The models an ensemble's steps call, in step order, nested ensembles expanded, each with
    its config (or the error that fetching it gave)."""
    steps = (config.get("ensemble_scheduling") or {}).get("step") or []
    out: dict[str, ServedConfig | TritonError] = {}
    for step in steps:
        name = str(step.get("model_name", ""))
        if not name or name in out:
            continue
        try:
            out[name] = sub = client.model_config(name)
        except TritonError as exc:
            out[name] = exc
            continue
        if depth < 4:
            nested = composing_configs(client, sub, depth + 1)
            out.update((m, c) for m, c in nested.items() if m not in out)
    return out


def gpu_sample(metrics_url: str | None) -> dict[str, dict[str, float]]:
    """GPU utilization (0-1), power (W) and memory (bytes) per GPU uuid; {} without GPU metrics."""
    if not metrics_url:
        return {}
    from tui.core.gpu.metrics import parse_metrics

    try:
        gpus = parse_metrics(fetch_metrics(metrics_url, timeout=1.0)).gpus
    except (TritonError, ValueError):
        return {}
    names = {
        "utilization": "utilization",
        "power_w": "power_w",
        "memory_used": "memory_used_bytes",
        "memory_total": "memory_total_bytes",
    }
    return {
        uuid: {names[k]: v for k, v in fields.items() if k in names}
        for uuid, fields in gpus.items()
    }


class GpuPoller:
    """Samples the server's GPU metrics every `interval` s on a thread (perf_analyzer's
    --metrics-interval, 1000 ms); `take(start, end)` returns the samples inside a window."""

    def __init__(self, metrics_url: str | None, interval: float = 1.0) -> None:
        self.url = metrics_url
        self.interval = interval
        self._samples: list[tuple[int, dict[str, dict[str, float]]]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if metrics_url and gpu_sample(metrics_url):  # no thread for a server without GPUs
            self._thread = threading.Thread(target=self._loop, name="bench-gpu", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            sample = gpu_sample(self.url)
            if sample:
                with self._lock:
                    self._samples.append((time.monotonic_ns(), sample))
                    del self._samples[:-600]
            self._stop.wait(self.interval)

    def take(self, start_ns: int, end_ns: int) -> list[dict[str, dict[str, float]]]:
        with self._lock:
            inside = [s for t, s in self._samples if start_ns <= t <= end_ns]
        if not inside and self._thread is not None:  # a window shorter than the interval
            sample = gpu_sample(self.url)
            inside = [sample] if sample else []
        return inside

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
