"""Which fleet the flags ask for: Prometheus, a list of endpoints, a fleet file, or (with none of
them) the servers this machine registered. Shared by `triton-tui fleet` and the Fleet pane."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from tui.core.fleet.endpoints import EndpointSource, from_registry, parse_list, read_file
from tui.core.fleet.prometheus import PrometheusAPI, PrometheusSource
from tui.core.fleet.snapshot import FleetSnapshot


class FleetSource(Protocol):
    label: str

    def refresh(self) -> FleetSnapshot: ...


def _find_metrics(url: str) -> str | None:
    from tui.core.server.endpoints import metrics_url_for

    return metrics_url_for(url)


def open_source(
    prometheus: str | None = None,
    urls: str | None = None,
    fleet_file: str | Path | None = None,
    *,
    job: str | None = None,
    http_port: int | None = None,
    window: str = "30s",
) -> FleetSource:
    """The source the flags name (ValueError in words for a bad combination or entry)."""
    given = [x for x in (prometheus, urls, fleet_file) if x]
    if len(given) > 1:
        raise ValueError("give one fleet source: --prometheus URL, -u LIST or --fleet FILE")
    if (job or http_port) and not prometheus:
        raise ValueError("--job and --http-port go with --prometheus")
    if prometheus:
        return PrometheusSource(PrometheusAPI(prometheus), job, window, http_port)
    if urls:
        endpoints = parse_list(urls)
        label = "endpoints " + ", ".join(e.url for e in endpoints)
        return EndpointSource(lambda: endpoints, label, find_metrics=_find_metrics)
    if fleet_file:
        path = Path(fleet_file).expanduser()
        listed = read_file(path)
        return EndpointSource(lambda: listed, f"fleet file {path}", find_metrics=_find_metrics)
    return EndpointSource(from_registry, "servers registered on this machine")
