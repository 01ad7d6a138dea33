"""How a server's endpoints are named and found: `HOST:PORT` checked in words, and the one rule
for the metrics endpoint every command and the console go through (`metrics_url_for`)."""

from __future__ import annotations

import re

DEFAULT_METRICS_PORT = 8002  # tritonserver's --metrics-port default
METRICS_PROBE_S = 0.5  # how long each candidate metrics endpoint has to answer


class UsageError(Exception):
    """Options that are wrong or cannot go together, in words (the CLI exits 3:
    perf_analyzer's OPTION_ERROR)."""


def require(checks: list[tuple[object, str]]) -> None:
    """Raise UsageError with the message of the first check that does not hold."""
    for ok, message in checks:
        if not ok:
            raise UsageError(message)


_ENDPOINT = re.compile(
    r"(?:http://)?(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r"(?::(?P<port>\d{1,5}))?/?"
)


def check_endpoint(flag: str, value: str) -> None:
    """`HOST:PORT` (optionally `http://`), as -u and --metrics-url take it; UsageError if not."""
    m = _ENDPOINT.fullmatch(value)
    if not m or (m["port"] is not None and not 0 < int(m["port"]) < 65536):
        raise UsageError(f"{flag} {value!r}: expected HOST:PORT, e.g. localhost:8000")


def metrics_url_for(http_url: str, explicit: str | None = None) -> str:
    """The metrics endpoint (`host:port`) of the server whose HTTP endpoint is `http_url`.

    The rule, in order: the endpoint the user named (`explicit`, --metrics-url); else the one a
    server triton-tui started on this machine registered (serve and the console record theirs,
    random ports included: tui/core/fleet/registry.py); else the first of tritonserver's layout
    (HTTP port + 2, as 8000/8001/8002) and its default port 8002 on the same host that answers
    with metrics; else that default, host:8002 (where the flags' help says we look), so a
    caller that reads it reports the endpoint it could not reach.
    ValueError when a URL is not HOST:PORT."""
    from tui.core.fleet.registry import lookup
    from tui.core.server.client import TritonError, fetch_metrics, split_url

    if explicit:
        split_url(explicit, DEFAULT_METRICS_PORT)  # a malformed one is refused here, in words
        return explicit
    entry = lookup(http_url)
    if entry is not None and entry.metrics_url:
        return entry.metrics_url
    host, port = split_url(http_url, 8000)
    candidates = [f"{host}:{p}" for p in dict.fromkeys((port + 2, DEFAULT_METRICS_PORT))]
    for candidate in candidates:
        try:
            fetch_metrics(candidate, timeout=METRICS_PROBE_S)
        except TritonError:
            continue
        return candidate
    return candidates[-1]
