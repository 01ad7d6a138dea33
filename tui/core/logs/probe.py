"""The cold-start probe: unload a model, load it timed through the API, time its first inference,
then N steady ones (p50), side by side; suggest `model_warmup` when the first request is much
slower than the steady state.

Requests are built from the model's metadata (names, datatypes, shapes; -1 becomes 1) with zero
data and sent as KServe v2 JSON on one keep-alive connection, so the first request pays for the
model's cold path, not for a TCP handshake.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tui.core.bench.inputs import answer_cap, output_specs
from tui.core.logs.coldstart import LoadAttempt, LoadTimeline, format_seconds, load_durations
from tui.core.server.client import (
    BoundedConnection,
    TritonError,
    TritonHTTP,
    failure,
    fetch_metrics,
    read_capped,
)

# The first request is "much slower" when it takes this many times the steady p50 and at least
# this long in absolute terms (a 3 ms first call against 0.5 ms steady is not worth a warmup).
SLOW_FACTOR = 3.0
SLOW_ABSOLUTE_S = 0.02

_ZERO = {"BOOL": False, "BYTES": ""}


@dataclass
class ProbeResult:
    model: str
    version: str = ""
    unload_s: float | None = None
    load_s: float | None = None
    first_s: float | None = None
    steady_s: list[float] = field(default_factory=list)
    metric_load_s: float | None = None
    log: LoadAttempt | None = None
    warmup_configured: bool = False
    snippet: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def p50(self) -> float | None:
        return statistics.median(self.steady_s) if self.steady_s else None

    @property
    def first_over_steady(self) -> float | None:
        p50 = self.p50
        if self.first_s is None or not p50:
            return None
        return self.first_s / p50

    @property
    def first_is_slow(self) -> bool:
        p50 = self.p50
        if self.first_s is None or p50 is None:
            return False
        return self.first_s >= SLOW_FACTOR * p50 and self.first_s - p50 >= SLOW_ABSOLUTE_S

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "unload_s": self.unload_s,
            "load_s": self.load_s,
            "load_metric_s": self.metric_load_s,
            "first_inference_s": self.first_s,
            "steady_p50_s": self.p50,
            "steady_n": len(self.steady_s),
            "first_over_steady": self.first_over_steady,
            "suggest_warmup": bool(self.snippet),
            "warmup_snippet": self.snippet,
            "log_timeline": self.log.as_dict() if self.log else None,
            "notes": self.notes,
        }

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) rows for the side-by-side view."""
        ratio = self.first_over_steady
        rows = [
            ("unload", format_seconds(self.unload_s)),
            ("load (API)", format_seconds(self.load_s)),
        ]
        if self.log is not None:
            rows.append(("load (log)", format_seconds(self.log.duration)))
            for timing in self.log.instances.values():
                rows.append((f"  instance {timing.name}", format_seconds(timing.duration)))
        if self.metric_load_s is not None:
            rows.append(("load (nv_model_load_duration_secs)", format_seconds(self.metric_load_s)))
        rows += [
            ("first inference", format_seconds(self.first_s)),
            (f"steady p50 (n={len(self.steady_s)})", format_seconds(self.p50)),
            ("first / steady", f"{ratio:.1f}×" if ratio is not None else "–"),
        ]
        return rows


def request_body(metadata: dict[str, Any]) -> bytes:
    """A zero-filled KServe v2 JSON request for every input the metadata lists."""
    inputs = []
    for spec in metadata.get("inputs", []):
        shape = [1 if int(d) < 0 else int(d) for d in spec.get("shape", [])]
        count = 1
        for d in shape:
            count *= d
        datatype = spec.get("datatype", "FP32")
        zero = _ZERO.get(datatype, 0)
        inputs.append(
            {"name": spec["name"], "shape": shape, "datatype": datatype, "data": [zero] * count}
        )
    if not inputs:
        raise TritonError(f"model {metadata.get('name', '?')} lists no inputs: nothing to send")
    return json.dumps({"inputs": inputs}).encode()


def _dims(dims: list[Any]) -> list[int]:
    return [1 if int(d) < 0 else int(d) for d in dims]


def warmup_snippet(config: dict[str, Any]) -> str:
    """A `model_warmup` block (config.pbtxt text) with zero data for each of the model's inputs."""
    lines = ["model_warmup [", "  {", '    name: "cold_start_warmup"']
    lines += ["    batch_size: 1", "    count: 1"]
    for spec in config.get("input", []):
        dims = " ".join(f"dims: {d}" for d in _dims(spec.get("dims", []))) or "dims: 1"
        lines += [
            "    inputs {",
            f'      key: "{spec["name"]}"',
            f"      value: {{ data_type: {spec.get('data_type', 'TYPE_FP32')} {dims} "
            "zero_data: true }",
            "    }",
        ]
    lines += ["  }", "]"]
    return "\n".join(lines)


class _Inferer:
    """POSTs one prepared body over a kept-alive connection; returns the latency in seconds."""

    def __init__(
        self, client: TritonHTTP, model: str, body: bytes, timeout: float, limit: int
    ) -> None:
        self.conn = BoundedConnection(client.host, client.port, timeout)
        self.path = f"/v2/models/{quote(model)}/infer"
        self.where, self.who = client.where(self.path), f"Triton at {client.url}"
        self.body = body
        self.headers = {"Content-Type": "application/json"}
        self.timeout, self.limit = timeout, limit
        self.conn.connect()

    def __call__(self) -> float:
        t0 = time.perf_counter()
        self.conn.arm(self.timeout)
        try:
            self.conn.request("POST", self.path, body=self.body, headers=self.headers)
            resp = self.conn.getresponse()
            data = read_capped(resp, self.limit, self.where, "the model's outputs")
        except (OSError, http.client.HTTPException) as exc:
            raise failure(exc, self.where, self.timeout, self.who) from exc
        elapsed = time.perf_counter() - t0
        if resp.status != 200:
            try:
                message = json.loads(data).get("error", "")
            except (ValueError, AttributeError):
                message = data[:200].decode(errors="replace")
            raise TritonError(f"inference failed (HTTP {resp.status}): {message}", resp.status)
        return elapsed

    def close(self) -> None:
        self.conn.close()


def _wait_unloaded(client: TritonHTTP, model: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [m.get("state") for m in client.repository_index() if m.get("name") == model]
        if not any(s in ("READY", "UNLOADING", "LOADING") for s in states):
            return
        time.sleep(0.05)
    raise TritonError(f"{model} did not unload within {timeout:g} s")


def _logged_attempt(
    timeline: LoadTimeline, model: str, since: float, wait_s: float = 3.0
) -> LoadAttempt | None:
    """The finished load that began after `since`; its log lines may still be on their way."""
    deadline = time.monotonic() + wait_s
    while True:
        attempts = [
            a
            for a in timeline.for_model(model)
            if a.started is not None and a.started >= since - 1.0 and a.state != "LOADING"
        ]
        if attempts or time.monotonic() > deadline:
            return attempts[-1] if attempts else None
        time.sleep(0.05)


STEADY = 20  # steady inferences timed after the first (the command's -n, the pane's N)


def run_probe(
    client: TritonHTTP,
    model: str,
    n: int = STEADY,
    *,
    timeline: LoadTimeline | None = None,
    metrics_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: float = 600.0,
) -> ProbeResult:
    """Unload `model`, load it timed, infer once, then `n` times. Blocking: run in a worker."""
    if n < 1:
        raise ValueError("n must be at least 1")
    say = progress or (lambda _text: None)
    result = ProbeResult(model)
    say(f"unloading {model}")
    t0 = time.perf_counter()
    client.unload(model)
    _wait_unloaded(client, model, timeout=min(timeout, 120.0))
    result.unload_s = time.perf_counter() - t0
    say(f"loading {model}")
    wall_before = time.time()
    t0 = time.perf_counter()
    client.load(model, timeout=timeout)
    result.load_s = time.perf_counter() - t0
    metadata = client.model_metadata(model)
    config = client.model_config(model)
    versions = metadata.get("versions") or [""]
    result.version = str(versions[-1])
    result.warmup_configured = bool(config.get("model_warmup"))
    limit = answer_cap(output_specs(metadata), 1, binary=False)
    inferer = _Inferer(client, model, request_body(metadata), min(timeout, 120.0), limit)
    try:
        say("first inference")
        result.first_s = inferer()
        say(f"{n} steady inferences")
        result.steady_s = [inferer() for _ in range(n)]
    finally:
        inferer.close()
    if timeline is not None:
        result.log = _logged_attempt(timeline, model, wall_before)
    if metrics_url:
        try:
            durations = load_durations(fetch_metrics(metrics_url))
            result.metric_load_s = durations.get((model, result.version))
        except TritonError as exc:
            result.notes.append(f"metrics: {exc}")
    _advise(result, config)
    return result


def first_and_steady(
    client: TritonHTTP, model: str, n: int = 5, timeout: float = 120.0
) -> tuple[float, list[float]]:
    """Time one request to a loaded model, then `n` more (seconds), without unloading it: the
    first is the model's cold path only when it never served a request before (the doctor)."""
    metadata = client.model_metadata(model)
    limit = answer_cap(output_specs(metadata), 1, binary=False)
    inferer = _Inferer(client, model, request_body(metadata), timeout, limit)
    try:
        first = inferer()
        return first, [inferer() for _ in range(n)]
    finally:
        inferer.close()


def _advise(result: ProbeResult, config: dict[str, Any]) -> None:
    if result.first_is_slow:
        if result.warmup_configured:
            result.notes.append(
                "the first request is much slower than the steady state although model_warmup is "
                "configured: the warmup samples may not cover the shapes or paths real requests "
                "take"
            )
        else:
            result.snippet = warmup_snippet(config)
            result.notes.append(
                "the first request is much slower than the steady state: add model_warmup to "
                "config.pbtxt so the server runs a sample before it reports READY (loading gets "
                "slower by about the first-request time; the first user request does not pay it)"
            )
    if result.load_s is not None and result.load_s >= 2.0:
        result.notes.append(
            f"loading takes {format_seconds(result.load_s)}: {_where_load_goes(result.log)}"
        )


def _where_load_goes(log: LoadAttempt | None) -> str:
    """What the log already says about a slow load; verbose logging is asked for only for what it
    lacks (per-instance end times are logged at --log-verbose=1, instance starts and the load's
    end at the default level)."""
    if log is None:
        return (
            "the console has no log of this load (an attached server's log is not streamed): "
            "its log, at --log-verbose=1, times each instance's initialisation"
        )
    if any(t.duration is not None for t in log.instances.values()):
        return "see the instance initialisation times above"
    began, ended = log.instances_started, log.ended
    if began is None or ended is None or log.started is None:
        return (
            "the log shows no instance being initialised in this load: restart the server "
            "with --log-verbose=1 to see instance initialisation times"
        )
    count = len(log.instances)
    words = (
        f"the log shows {count} instance(s) starting to initialise "
        f"{format_seconds(began - log.started)} into the load, and the model READY "
        f"{format_seconds(ended - began)} later: the instances' own start-up (the model's "
        "initialize, loading weights, building sessions) takes that time"
    )
    if count > 1:
        words += "; which instance is slowest is logged at --log-verbose=1 only"
    return words
