"""Gathering a model's evidence from a live server: passive (watch the statistics move under the
traffic the server already has, send nothing) or probe (a short benchmark of our own, through the
benchmark engine, for a model without traffic).

Around the window: the statistics of the model (and of an ensemble's steps) with their
batch_stats, the machine's CPU time (and the server's, with its python stubs, when it runs here),
and the server's GPU metrics sampled through the window. A probe of a model that never served a
request times that first request and a few after it (the cold path, without unloading anything),
and reads the load time the server exports.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil

from tui.core.bench.engine import BenchConfig, run_sweep
from tui.core.bench.ranges import Range
from tui.core.bench.server_stats import GpuPoller, composing_configs
from tui.core.doctor.evidence import BatchCost, ConfigFacts, Evidence, Gpu, StatsWindow
from tui.core.gpu.metrics import parse_metrics
from tui.core.logs.coldstart import load_durations
from tui.core.logs.probe import first_and_steady
from tui.core.server.client import TritonError, TritonHTTP, fetch_metrics
from tui.core.util.sanitize import clean

DURATIONS = ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output")
PROBE_STABILITY = 10_000.0  # the probe reads server statistics, not a stable throughput figure
MAX_PROBE_CONCURRENCY = 64


class GatherError(Exception):
    """No evidence could be gathered (the message says why; exit code 99)."""


@dataclass
class Target:
    """The server to examine."""

    url: str
    metrics_url: str | None = None
    server_pid: int | None = None  # known when we launched it: its CPU use is measured
    log_lines: Callable[[], list[str]] | None = None  # the server's recent log, when we have it


@dataclass
class Probe:
    concurrency: int = 0  # 0: two requests per instance and batch slot (NVIDIA's rule), 4..64
    window_ms: int = 500


@dataclass
class _Cpu:
    host: Any
    procs: dict[int, tuple[float, float]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


def probe_concurrency(facts: ConfigFacts) -> int:
    """NVIDIA's rule of thumb for a throughput run: 2 × max batch × instances (4 at least)."""
    value = 2 * max(1, facts.max_batch_size) * max(1, facts.instances)
    return max(4, min(MAX_PROBE_CONCURRENCY, value))


def _local(url: str) -> bool:
    host = url.split("://")[-1].rsplit(":", 1)[0].strip("[]")
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def _schedstat(pid: int) -> tuple[float, float] | None:
    """Seconds the process's threads ran on a CPU and waited in a run queue (Linux)."""
    ran = waited = 0.0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                fields = f.read().split()
        except OSError:
            continue  # the thread ended meanwhile
        if len(fields) >= 2:
            ran, waited = ran + int(fields[0]) / 1e9, waited + int(fields[1]) / 1e9
    return ran, waited


def _instance_process(proc: psutil.Process, model: str) -> bool:
    """Whether `proc` is a python-backend stub running an instance of `model` (its command line
    names the instance, `<model>_<group>_<index>`)."""
    pattern = re.compile(rf"{re.escape(model)}_\d+(?:_\d+)?")
    try:
        return any(pattern.fullmatch(arg) for arg in proc.cmdline())
    except psutil.Error:
        return False


def _proc_cpu(pid: int | None, model: str) -> dict[int, tuple[float, float]]:
    """CPU seconds used, and seconds waited for a CPU (0 where the system does not say), per
    process running the model: its instances' own processes where the backend runs them apart
    (the python backend's stubs), else the whole server (whose other threads then count too)."""
    if pid is None:
        return {}
    try:
        root = psutil.Process(pid)
        children = root.children(recursive=True)
    except psutil.Error:
        return {}
    procs = [c for c in children if _instance_process(c, model)] or [root, *children]
    out = {}
    for proc in procs:
        sched = _schedstat(proc.pid)
        if sched is not None:
            out[proc.pid] = sched
            continue
        try:
            t = proc.cpu_times()
            out[proc.pid] = (t.user + t.system, 0.0)
        except psutil.Error:
            continue
    return out


def _raw(client: TritonHTTP, models: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for model in models:
        for entry in client.model_stats(model):
            out[(str(entry.get("name", model)), str(entry.get("version", "")))] = entry
    return out


def _durations(entry: dict[str, Any]) -> dict[str, tuple[int, int]]:
    stats = entry.get("inference_stats") or {}
    keys = (*DURATIONS, "cache_hit", "cache_miss")
    return {
        k: (int((stats.get(k) or {}).get("count", 0)), int((stats.get(k) or {}).get("ns", 0)))
        for k in keys
    }


def _batches(entry: dict[str, Any]) -> dict[int, tuple[int, int]]:
    """batch size -> (executions, compute ns over input + infer + output)."""
    out = {}
    for b in entry.get("batch_stats") or []:
        parts = [b.get(k) or {} for k in ("compute_input", "compute_infer", "compute_output")]
        out[int(b.get("batch_size", 0))] = (
            int((b.get("compute_infer") or {}).get("count", 0)),
            sum(int(p.get("ns", 0)) for p in parts),
        )
    return out


def window(
    model: str, version: str, new: dict[str, Any], old: dict[str, Any] | None
) -> StatsWindow:
    """The deltas of one model version between two statistics entries."""
    old = old or {}
    d1, d0 = _durations(new), _durations(old)
    d = {k: (d1[k][0] - d0.get(k, (0, 0))[0], d1[k][1] - d0.get(k, (0, 0))[1]) for k in d1}
    success = d["success"][0]

    def avg(key: str) -> float:
        return d[key][1] / success / 1000 if success else 0.0

    b1, b0 = _batches(new), _batches(old)
    batches, busy_ns = [], 0
    for size, (count, ns) in sorted(b1.items()):
        c0, n0 = b0.get(size, (0, 0))
        execs, spent = count - c0, ns - n0
        busy_ns += spent
        if execs > 0 and size > 0:
            batches.append(BatchCost(size, execs, spent / execs / size / 1000))
    executions = int(new.get("execution_count", 0)) - int(old.get("execution_count", 0))
    if not busy_ns and executions and success:  # no batch_stats: each execution's compute
        compute_ns = sum(d[k][1] for k in ("compute_input", "compute_infer", "compute_output"))
        busy_ns = int(compute_ns / success * executions)
    return StatsWindow(
        model=model,
        version=version,
        requests=success,
        failures=d["fail"][0],
        inferences=int(new.get("inference_count", 0)) - int(old.get("inference_count", 0)),
        executions=executions,
        request_us=avg("success"),
        queue_us=avg("queue"),
        compute_input_us=avg("compute_input"),
        compute_infer_us=avg("compute_infer"),
        compute_output_us=avg("compute_output"),
        cache_hits=d["cache_hit"][0],
        cache_misses=d["cache_miss"][0],
        busy_s=busy_ns / 1e9,
        batches=batches,
    )


def _pick(model: str, new: dict, old: dict) -> StatsWindow:
    """The version of `model` whose requests moved most (the highest one when none moved)."""
    versions = [v for (m, v) in new if m == model]
    if not versions:
        return StatsWindow(model=model)
    windows = [window(model, v, new[(model, v)], old.get((model, v))) for v in versions]
    return max(windows, key=lambda w: (w.requests, int(w.version) if w.version.isdigit() else -1))


def _providers(target: Target, model: str) -> list[str]:
    if target.log_lines is None:
        return []
    found: dict[str, str] = {}
    for line in target.log_lines():
        head, sep, rest = line.partition(": onnxruntime runs on ")
        instance = head.rsplit("] ", 1)[-1].strip().strip('"')
        if sep and instance.startswith(f"{model}_"):
            where = rest.rstrip().rstrip('"')
            found[instance] = clean(f"{instance}: onnxruntime runs on {where}")
    return list(found.values())


def _gpus(samples: list[dict[str, dict[str, float]]]) -> list[Gpu]:
    out = []
    for uuid in sorted({u for s in samples for u in s}):
        rows = [s[uuid] for s in samples if uuid in s]
        utils = [r["utilization"] for r in rows if "utilization" in r]
        used = [r["memory_used_bytes"] for r in rows if "memory_used_bytes" in r]
        total = [r["memory_total_bytes"] for r in rows if "memory_total_bytes" in r]
        out.append(
            Gpu(
                uuid=uuid,
                utilization=sum(utils) / len(utils) if utils else 0.0,
                memory_used_mb=max(used, default=0.0) / 1e6,
                memory_total_mb=max(total, default=0.0) / 1e6,
            )
        )
    return out


def gather(
    target: Target,
    model: str,
    *,
    passive_s: float = 0.0,
    probe: Probe | None = None,
    cancel: threading.Event | None = None,
) -> Evidence:
    """Evidence for `model`: watch `passive_s` seconds, or run `probe`. Raises GatherError."""
    stop = cancel or threading.Event()
    client = TritonHTTP(target.url, timeout=10.0)
    try:
        if not client.model_ready(model):
            raise GatherError(f"model {model!r} is not ready on {target.url}")
        config = client.model_config(model)
        facts = ConfigFacts.of(config)
        steps = list(composing_configs(client, config)) if facts.ensemble else []
        models = [model, *steps]
        before = _raw(client, models)
    except TritonError as exc:
        raise GatherError(f"cannot read {model!r} on {target.url}: {exc}") from exc
    evidence = Evidence(model, "probe" if probe else "passive", 0.0, StatsWindow(model), facts)
    fresh = not any(
        int((e.get("inference_stats") or {}).get("success", {}).get("count", 0))
        for (m, _), e in before.items()
        if m == model
    )
    if probe is not None and fresh:
        _cold(client, target, model, evidence)
        before = _raw(client, models)
    local = target.server_pid is not None or _local(target.url)
    poller = GpuPoller(target.metrics_url, interval=0.5)
    cpu0 = _Cpu(psutil.cpu_times(), _proc_cpu(target.server_pid, model))
    try:
        if probe is not None:
            _run_probe(target, model, probe, facts, evidence, stop)
        else:
            stop.wait(passive_s)
        cpu1 = _Cpu(psutil.cpu_times(), _proc_cpu(target.server_pid, model))
        gpu_samples = poller.take(0, time.monotonic_ns())
        after = _raw(client, models)
    except TritonError as exc:
        raise GatherError(f"cannot read {model!r}'s statistics: {exc}") from exc
    finally:
        poller.close()
    evidence.window_s = cpu1.at - cpu0.at
    evidence.stats = _pick(model, after, before)
    evidence.composing = [_pick(m, after, before) for m in steps]
    evidence.gpus = _gpus(gpu_samples)
    evidence.providers = _providers(target, model)
    _machine(evidence, target, cpu0, cpu1, local)
    if not evidence.stats.moved:
        how = "the probe's requests" if probe else f"{passive_s:g} s of watching"
        raise GatherError(
            f"no request to {model!r} completed in {how}: nothing to judge"
            + ("" if probe else " (send it traffic, or use --probe)")
        )
    return evidence


def _run_probe(
    target: Target,
    model: str,
    probe: Probe,
    facts: ConfigFacts,
    evidence: Evidence,
    stop: threading.Event,
) -> None:
    concurrency = probe.concurrency or probe_concurrency(facts)
    config = BenchConfig(
        model=model,
        url=target.url,
        metrics_url=None,  # GPU metrics are sampled here, over the whole window
        concurrency=Range(concurrency, concurrency, 1),
        window_ms=probe.window_ms,
        stability_pct=PROBE_STABILITY,
        max_trials=3,
    )
    result = run_sweep(config, None, stop)
    evidence.concurrency = concurrency
    if not result.levels:
        raise GatherError(
            f"the probe of {model!r} measured nothing: {clean(result.message or result.status)}"
        )
    level = result.levels[0]
    evidence.throughput = level.throughput
    evidence.client_latency_us = level.latency.avg_ns / 1000
    evidence.client_cpu = level.client_cpu


def _cold(client: TritonHTTP, target: Target, model: str, evidence: Evidence) -> None:
    """A model that never served: time its first request and the few after it."""
    try:
        first, steady = first_and_steady(client, model, 5)
    except TritonError as exc:
        evidence.notes.append(f"could not time the first request: {exc}")
        return
    evidence.first_request_ms = first * 1000
    evidence.steady_ms = sorted(steady)[len(steady) // 2] * 1000
    if target.metrics_url:
        try:
            durations = load_durations(fetch_metrics(target.metrics_url))
        except TritonError:
            durations = {}
        loads = [s for (m, _), s in durations.items() if m == model]
        evidence.load_s = max(loads) if loads else None


def _machine(evidence: Evidence, target: Target, cpu0: _Cpu, cpu1: _Cpu, local: bool) -> None:
    try:
        evidence.cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        evidence.cores = os.cpu_count() or 1
    if local:
        h0, h1 = cpu0.host, cpu1.host
        idle = (h1.idle - h0.idle) + (getattr(h1, "iowait", 0.0) - getattr(h0, "iowait", 0.0))
        total = sum(h1) - sum(h0)
        evidence.host_busy = max(0.0, min(1.0, 1 - idle / total)) if total > 0 else 0.0
    elif target.metrics_url:
        try:
            scrape = parse_metrics(fetch_metrics(target.metrics_url))
            evidence.host_busy = float(scrape.cpu.get("cpu_utilization", 0.0))
        except (TritonError, ValueError):
            pass
    if cpu0.procs and evidence.window_s > 0:
        zero = (0.0, 0.0)
        used = sum(t[0] - cpu0.procs.get(pid, zero)[0] for pid, t in cpu1.procs.items())
        waited = sum(t[1] - cpu0.procs.get(pid, zero)[1] for pid, t in cpu1.procs.items())
        evidence.server_cores = max(0.0, used) / evidence.window_s
        evidence.server_waiting = max(0.0, waited) / evidence.window_s
