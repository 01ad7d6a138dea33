"""The fleet as Prometheus sees it: every target of a job that exposes Triton's metrics.

All figures come from PromQL over a window, one query per figure for the whole fleet (grouped by
job and instance), never one query per server; the queries run side by side. Rates are
Prometheus's own `rate()`, which reads through counter resets (a restarted server never shows a
negative rate). Times per request are weighted by request count: queue time summed over a
server's models divided by its requests, not the mean of per-model averages (that under-reports
by about 1/N with N models; server issue #8979).

A target's HTTP endpoint (what a row attaches to) comes from its labels: `triton_http`
("HOST:PORT" or a port), else the source's `http_port` on the target's host, else Triton's own
layout (metrics port 8002, HTTP 8000: the metrics port minus two).
"""

from __future__ import annotations

import copy
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from tui.core.fleet.details import each, fill_details
from tui.core.fleet.snapshot import FleetSnapshot, Replica, ServerRow, model_view
from tui.core.server.client import TritonError, exchange, split_url
from tui.core.util.sanitize import clean_json, clean_line

DETAIL_BATCH = 48  # servers asked over HTTP per refresh (16 at a time, 2 s at most each)
QUERY_LIMIT = 64 << 20  # a fleet of thousands of servers × models, many times over
Key = tuple[str, str]  # (job, instance)
NAME_LABELS = ("name", "pod", "kubernetes_pod_name", "pod_name")
HTTP_LABEL = "triton_http"
_DURATION = re.compile(r"[1-9][0-9]{0,5}(ms|s|m|h)")
_JOB = re.compile(r"[^\x00-\x1f\"\\]+")


class PrometheusError(TritonError):
    """Prometheus could not be asked, or refused the query (message in words)."""


@dataclass
class PrometheusAPI:
    """Prometheus's HTTP API at `url` (http://host:port[/prefix])."""

    url: str
    timeout: float = 10.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url if "//" in self.url else f"http://{self.url}")
        if parts.scheme not in ("http", ""):
            raise ValueError(f"--prometheus {self.url!r}: only http:// is supported")
        if not parts.hostname:
            raise ValueError(f"--prometheus {self.url!r}: expected http://HOST:PORT")
        self.host = parts.hostname
        self.port = parts.port or 9090
        self.prefix = parts.path.rstrip("/")

    def get(self, path: str, params: dict[str, str] | None = None) -> Any:
        full = f"{self.prefix}{path}" + (f"?{urlencode(params)}" if params else "")
        try:
            status, body = exchange(
                self.host,
                self.port,
                "GET",
                full,
                timeout=self.timeout,
                limit=QUERY_LIMIT,
                what="Prometheus",
            )
        except TritonError as exc:
            raise PrometheusError(str(exc)) from None
        try:
            data = clean_json(json.loads(body))
        except (ValueError, RecursionError):
            raise PrometheusError(
                f"http://{self.host}:{self.port}{full} is not Prometheus (HTTP {status}, not JSON)"
            ) from None
        if not isinstance(data, dict) or data.get("status") != "success":
            error = data.get("error") if isinstance(data, dict) else None
            raise PrometheusError(f"Prometheus refused {path}: {error or f'HTTP {status}'}")
        return data.get("data")

    def query(self, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        """An instant vector: [{metric: labels, value: [t, "v"]}, …]."""
        params = {"query": promql}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = self.get("/api/v1/query", params)
        result = data.get("result") if isinstance(data, dict) else None
        return result if isinstance(result, list) else []

    def targets(self) -> list[dict[str, Any]]:
        data = self.get("/api/v1/targets", {"state": "active"})
        active = data.get("activeTargets") if isinstance(data, dict) else None
        return active if isinstance(active, list) else []


def _value(sample: dict[str, Any]) -> float | None:
    try:
        v = float(sample["value"][1])
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return None if v != v or v in (float("inf"), float("-inf")) else v  # NaN: 0/0, no requests


def _key(labels: dict[str, str]) -> Key:
    return labels.get("job", ""), labels.get("instance", "")


def queries(window: str, sel: str, models: bool = True) -> dict[str, str]:
    """The PromQL of one refresh, each counter's rate taken once (the slow part on a big fleet:
    every query reads every model's series). With `models`, success and queue time come per
    model (the requests, the weighted queue time, the versions and the outlier replica: ~20 000
    series back for 500 servers × 20 models); without, per server, and the model count alone.
    Ratios are taken here, not in PromQL, so no rate is asked for twice."""
    by = "sum by (job, instance)"
    per = "sum by (job, instance, model"

    def rate(metric: str, group: str = by) -> str:
        return f"{group} (rate({metric}{{{sel}}}[{window}]))"

    compute = " + ".join(
        rate(f"nv_inference_compute_{p}_duration_us") for p in ("input", "infer", "output")
    )
    return {
        "up": f"up{{{sel}}}",
        "success": rate("nv_inference_request_success", f"{per}, version)" if models else by),
        "queue": rate("nv_inference_queue_duration_us", f"{per})" if models else by),
        "failures_per_s": rate("nv_inference_request_failure"),
        "compute": compute,
        "count": rate("nv_inference_count"),
        "exec": rate("nv_inference_exec_count"),
        "pending": f"{by} (nv_inference_pending_request_count{{{sel}}})",
        "gpu_util": f"avg by (job, instance) (nv_gpu_utilization{{{sel}}})",
        "gpu_memory_bytes": f"{by} (nv_gpu_memory_used_bytes{{{sel}}})",
        "age_s": f"time() - timestamp(up{{{sel}}})",
    } | (
        {}
        if models
        else {
            "models": "count by (job, instance) (group by (job, instance, model) "
            f"(nv_inference_count{{{sel}}}))"
        }
    )


def _per(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


@dataclass
class PrometheusSource:
    api: PrometheusAPI
    job: str | None = None
    window: str = "30s"
    http_port: int | None = None
    details: bool = True  # also ask each server over HTTP (version, models, configs)
    fingerprints: bool = True  # the model view: per-model figures and config hashes
    at: float | None = None  # evaluate at this time (None: now)
    label: str = field(init=False, default="")
    _asked: dict[str, tuple[float, ServerRow]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if not _DURATION.fullmatch(self.window):
            raise ValueError(f"--window {self.window!r}: a Prometheus duration, e.g. 30s or 5m")
        if self.job is not None and not _JOB.fullmatch(self.job):
            raise ValueError(f"--job {self.job!r}: not a Prometheus job name")
        self.label = f"Prometheus {self.api.host}:{self.api.port}" + (
            f" job {self.job}" if self.job else ""
        )

    def selector(self) -> str | None:
        """The label matcher for the fleet's jobs; None when no job has Triton metrics."""
        if self.job is not None:
            return f'job="{self.job}"'
        jobs = sorted(
            {
                s["metric"].get("job", "")
                for s in self.api.query("group by (job) (nv_cpu_utilization)", self.at)
                or self.api.query("group by (job) (nv_inference_count)", self.at)
            }
        )
        if not jobs:
            return None
        return 'job=~"' + "|".join(re.escape(j).replace("\\", "\\\\") for j in jobs) + '"'

    def refresh(self) -> FleetSnapshot:
        try:
            rows = self._rows()
        except PrometheusError as exc:
            return FleetSnapshot([], [], self.label, str(exc))
        if self.details:
            self._ask_servers([r for r in rows if r.live])
        return FleetSnapshot(rows, model_view(rows), self.label)

    def _ask_servers(self, rows: list[ServerRow]) -> None:
        """Each server's own answers (live, version, models, configs), for at most
        DETAIL_BATCH servers a refresh, those asked longest ago first; the others keep what
        they said last time. A fleet of hundreds costs a bounded time per refresh, and a few
        servers are all asked every time."""
        due = sorted(rows, key=lambda r: self._asked.get(r.url, (0.0, r))[0])[:DETAIL_BATCH]
        each(due, lambda r: fill_details(r, self.fingerprints))
        now, asked_now = time.monotonic(), {id(r) for r in due}
        for row in due:
            self._asked[row.url] = (now, copy.deepcopy(row))
        for row in rows:
            if id(row) in asked_now or row.url not in self._asked:
                continue
            said = self._asked[row.url][1]
            row.live, row.ready, row.version = said.live, said.ready, said.version
            row.models_failed, row.reason = said.models_failed, said.reason
            for name, replica in said.models.items():
                mine = row.models.setdefault(name, Replica())
                mine.version, mine.state = replica.version, replica.state
                mine.config_fingerprint = replica.config_fingerprint
            for name in [m for m in row.models if m not in said.models]:
                del row.models[name]
            row.models_ready = sum(1 for r in row.models.values() if r.state == "READY")

    def _rows(self) -> list[ServerRow]:
        sel = self.selector()
        if sel is None:
            return []
        with ThreadPoolExecutor(max_workers=4) as ex:
            asked = {
                k: ex.submit(self.api.query, q, self.at)
                for k, q in queries(self.window, sel, self.fingerprints).items()
            }
            reasons = ex.submit(self._reasons)
            results = {k: f.result() for k, f in asked.items()}
            why = reasons.result()
        rows: dict[Key, ServerRow] = {}
        for sample in results["up"]:
            labels = {k: clean_line(str(v)) for k, v in sample["metric"].items() if k != "__name__"}
            key = _key(labels)
            row = ServerRow(
                name=next((labels[n] for n in NAME_LABELS if labels.get(n)), key[1]),
                url=self.http_url(labels),
                metrics_url=key[1],
                live=_value(sample) == 1.0,
                labels=labels,
            )
            if not row.live:
                row.ready = False
                row.reason = why.get(key) or "Prometheus cannot scrape its metrics"
            rows[key] = row
        live = {k: r for k, r in rows.items() if r.live}
        per_server = {name: _by_server(results[name]) for name in ("compute", "count", "exec")}
        for name in ("failures_per_s", "pending", "gpu_util", "gpu_memory_bytes", "age_s"):
            for key, value in _by_server(results[name]).items():
                if key in live:
                    setattr(live[key], name, value)
        _models(live, results["success"], results["queue"])
        counted = {
            k: int(v) for k, v in _by_server(results.get("models", [])).items() if v is not None
        }
        for key, row in live.items():
            row.compute_us = _per(per_server["compute"].get(key), row.requests_per_s)
            row.avg_batch = _per(per_server["count"].get(key), per_server["exec"].get(key))
            row.models_ready = len(row.models) if self.fingerprints else counted.get(key)
        return sorted(rows.values(), key=lambda r: r.name)

    def _reasons(self) -> dict[Key, str]:
        """Each down target's last scrape error, from the targets API (best effort)."""
        try:
            targets = self.api.targets()
        except PrometheusError:
            return {}
        out = {}
        for t in targets:
            labels = t.get("labels") or {}
            if t.get("health") != "up" and t.get("lastError"):
                out[_key(labels)] = clean_line(f"scrape failed: {t['lastError']}")
        return out

    def http_url(self, labels: dict[str, str]) -> str:
        host, port = split_url(labels.get("instance", ""), 8002)
        given = labels.get(HTTP_LABEL, "")
        if given.isdigit():
            port = int(given)
        elif given:
            host, port = split_url(given, 8000)
        elif self.http_port is not None:
            port = self.http_port
        else:
            port = max(port - 2, 1)  # Triton's layout: 8000 HTTP, 8001 gRPC, 8002 metrics
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _by_server(samples: list[dict[str, Any]]) -> dict[Key, float | None]:
    return {_key(s["metric"]): _value(s) for s in samples}


def _models(
    rows: dict[Key, ServerRow], success: list[dict[str, Any]], queue: list[dict[str, Any]]
) -> None:
    """Requests per second, the versions each server serves, and queue times weighted by
    request count, per model and per server, from the per-model rates."""
    ok: dict[tuple[Key, str], float] = {}
    for sample in success:
        row = rows.get(_key(sample["metric"]))
        model = clean_line(str(sample["metric"].get("model", "")))
        if row is None:
            continue
        rate = _value(sample) or 0.0
        row.requests_per_s = (row.requests_per_s or 0.0) + rate
        if not model:  # per server only (no model view)
            continue
        ok[(_key(sample["metric"]), model)] = ok.get((_key(sample["metric"]), model), 0.0) + rate
        replica = row.models.setdefault(model, Replica(state="READY"))
        version = clean_line(str(sample["metric"].get("version", "")))
        seen = set(filter(None, (replica.version or "").split(","))) | {version}
        replica.version = ",".join(sorted(v for v in seen if v)) or None
    queued: dict[Key, float] = {}
    for sample in queue:
        key = _key(sample["metric"])
        row = rows.get(key)
        model = clean_line(str(sample["metric"].get("model", "")))
        value = _value(sample)
        if row is None or value is None:
            continue
        queued[key] = queued.get(key, 0.0) + value
        if model in row.models:
            row.models[model].queue_us = _per(value, ok.get((key, model)))
    for key, row in rows.items():
        row.queue_us = _per(queued.get(key), row.requests_per_s)
