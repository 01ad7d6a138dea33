"""The fleet as a list of endpoints (`-u a:8000,b:8000`, `--fleet FILE`) or as the servers this
machine registered: each server polled directly (`/v2`, its repository index, `/metrics`).

Rates need two scrapes: the first refresh shows none, each later one the rates since the one
before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui.core.fleet import counters
from tui.core.fleet.details import each, fill_details
from tui.core.fleet.registry import registered
from tui.core.fleet.snapshot import FleetSnapshot, ServerRow, model_view
from tui.core.gpu.metrics import Scrape, parse_metrics
from tui.core.server.client import TritonError, fetch_metrics, split_url
from tui.core.util.paths import read_regular_text
from tui.core.util.sanitize import clean_line


@dataclass(frozen=True)
class Endpoint:
    url: str  # HTTP host:port
    metrics_url: str | None = None  # None: found as `-u` finds it (registry, port + 2, 8002)
    name: str = ""
    pid: int | None = None
    repository: str | None = None


def _hostport(text: str, default: int, where: str) -> str:
    try:
        host, port = split_url(text, default)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not HOST:PORT") from None
    if not host or not 0 < port < 65536:
        raise ValueError(f"{where}: {text!r} is not HOST:PORT")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_list(text: str) -> list[Endpoint]:
    """`a:8000,b:8000` (as -u takes it)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise ValueError("-u: no endpoint given (HOST:PORT[,HOST:PORT …])")
    return [Endpoint(_hostport(p, 8000, "-u")) for p in parts]


def parse_file(text: str, where: str = "fleet file") -> list[Endpoint]:
    """One `HOST:PORT [METRICS_HOST:PORT] [NAME]` a line; `#` starts a comment. A metrics URL is
    told from a name by its port."""
    endpoints = []
    for number, raw in enumerate(text.splitlines(), 1):
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        at = f"{where} line {number}"
        url = _hostport(words[0], 8000, at)
        metrics, name = None, ""
        rest = words[1:]
        if rest and ":" in rest[0].removeprefix("http://").removeprefix("https://"):
            metrics = _hostport(rest[0].removesuffix("/metrics"), 8002, at)
            rest = rest[1:]
        if len(rest) > 1:
            raise ValueError(f"{at}: expected HOST:PORT [METRICS_HOST:PORT] [NAME], got {raw!r}")
        if rest:
            name = clean_line(rest[0])
        endpoints.append(Endpoint(url, metrics, name))
    if not endpoints:
        raise ValueError(f"{where}: no endpoint in it (one HOST:PORT a line)")
    return endpoints


def read_file(path: Path) -> list[Endpoint]:
    try:
        text = read_regular_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the fleet file {path}: {exc}") from None
    return parse_file(text, str(path))


def from_registry() -> list[Endpoint]:
    return [
        Endpoint(e.url, e.metrics_url, e.name, e.pid, e.repository or None) for e in registered()
    ]


@dataclass
class EndpointSource:
    """Polls each endpoint; `endpoints` is called at every refresh (the registry changes)."""

    endpoints: Callable[[], list[Endpoint]]
    label: str = "endpoints"
    fingerprints: bool = True
    find_metrics: Callable[[str], str | None] | None = None
    _last: dict[str, Scrape] = field(default_factory=dict)
    _metrics: dict[str, str | None] = field(default_factory=dict)

    def refresh(self) -> FleetSnapshot:
        rows = [self._row(e) for e in self.endpoints()]
        each(rows, self._poll)
        for url in set(self._last) - {r.url for r in rows}:
            del self._last[url]
        return FleetSnapshot(rows, model_view(rows), self.label)

    def _row(self, e: Endpoint) -> ServerRow:
        metrics = e.metrics_url or self._metrics.get(e.url)
        return ServerRow(
            name=e.name or e.url,
            url=e.url,
            metrics_url=metrics,
            pid=e.pid,
            repository=e.repository,
        )

    def _poll(self, row: ServerRow) -> None:
        fill_details(row, self.fingerprints)
        if row.metrics_url is None and row.live and self.find_metrics is not None:
            row.metrics_url = self._metrics[row.url] = self.find_metrics(row.url)
        if row.metrics_url is None:
            return
        try:
            text = fetch_metrics(row.metrics_url, timeout=2.0)
            scrape = parse_metrics(text)
        except (TritonError, ValueError) as exc:
            if row.live:
                row.reason = row.reason or clean_line(f"metrics: {exc}")
            return
        row.age_s = max(time.monotonic() - scrape.at, 0.0)
        counters.apply(row, scrape, self._last.get(row.url))
        self._last[row.url] = scrape
