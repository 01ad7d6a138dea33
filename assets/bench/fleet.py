"""`just bench-fleet`: the Fleet pane at scale, each figure next to an anchor measured in the same
run.

1. A simulated fleet (500 Triton servers × 20 models over an hour: assets/bench/fleet_sim.py,
   loaded into a real Prometheus 2.42 with promtool):
   - one refresh of the whole fleet (every figure, one PromQL query each): target ≤ 1 s; the
     anchor is the same queries sent one after another with plain urllib and json, no rows built;
   - key-press-to-repaint in the pane while its 500 rows refresh every second: target ≤ 100 ms;
     the anchor is a plain Textual DataTable app holding the same 500 rows, nothing refreshing;
   - the RSS of the process running the pane, against the same process before the app started.
2. Three live embedded tritonservers scraped by Prometheus every second: the time from a
   server's SIGKILL to its red row in the pane (refreshing every 2 s), for the Prometheus source
   and for the endpoint list; the anchor is Prometheus's own `up` turning 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import psutil
from textual import events
from textual.app import App, ComposeResult
from textual.widgets import DataTable

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assets.bench.fleet_sim import build  # noqa: E402
from tools.prometheus import Prometheus, Target  # noqa: E402
from tui.core.fleet.prometheus import PrometheusAPI, PrometheusSource, queries  # noqa: E402
from tui.core.fleet.sources import FleetSource, open_source  # noqa: E402
from tui.core.fleet.table import cells  # noqa: E402
from tui.core.server.session import Session  # noqa: E402
from tui.panes.fleet import FleetPane  # noqa: E402
from tui.panes.fleet_tables import ServerTable  # noqa: E402
from tui.state import ConsoleApp  # noqa: E402

SERVERS, MODELS = 500, 20
KEYS = ["down", "down", "pagedown", "up", "pageup", "down"]  # bound in any DataTable


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


class Moving(PrometheusSource):
    """The simulated fleet seen at a later sample each refresh (15 s apart, in a cycle of
    four), so every refresh brings new figures, as a live fleet's do."""

    def refresh(self):  # type: ignore[no-untyped-def]
        self.turn = getattr(self, "turn", 0) + 1
        base = getattr(self, "base", self.at)
        self.base = base
        self.at = base - 15 * (self.turn % 4)
        return super().refresh()


class Host(ConsoleApp):
    """The Fleet pane alone over a given source (no server of its own)."""

    def __init__(self, source: FleetSource, refresh_s: float) -> None:
        super().__init__(Session.attach("127.0.0.1:9", "127.0.0.1:9"))
        self.fleet_source = source
        self.refresh_s = refresh_s

    def compose(self) -> ComposeResult:
        yield FleetPane(self.refresh_s)


class Plain(App[None]):
    def __init__(self, rows: list[list[str]], header: list[str]) -> None:
        super().__init__()
        self.rows, self.header = rows, header

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row")
        table.add_columns(*self.header)
        table.add_rows(self.rows)
        yield table


def track_renders(table: DataTable) -> list[float]:  # type: ignore[type-arg]
    """The times the table painted (the compositor asks a widget for its lines to paint it)."""
    stamps = [0.0]
    original = table.render_lines

    def render_lines(crop):  # type: ignore[no-untyped-def]
        stamps[0] = time.perf_counter()
        return original(crop)

    table.render_lines = render_lines  # type: ignore[method-assign]
    return stamps


async def press_keys(app: App, table: DataTable, keys: list[str], rounds: int) -> list[float]:  # type: ignore[type-arg]
    stamps = track_renders(table)
    driver = app._driver  # noqa: SLF001 - keys as the terminal driver sends them
    assert driver is not None
    latencies = []
    for key in keys * rounds:
        before = (table.cursor_row, table.scroll_y)
        t0 = time.perf_counter()
        driver.send_message(events.Key(key, key if len(key) == 1 else None))
        while (table.cursor_row, table.scroll_y) == before and time.perf_counter() - t0 < 3:
            await asyncio.sleep(0.0005)
        while stamps[0] < t0 and time.perf_counter() - t0 < 3:
            await asyncio.sleep(0.0005)
        latencies.append((stamps[0] - t0) * 1000)
        await asyncio.sleep(0.15)
    return latencies


def anchor_queries(prom: str, at: float, models: bool) -> float:
    sel = 'job=~"triton-sim"'
    t0 = time.perf_counter()
    for q in ["group by (job) (nv_cpu_utilization)", *queries("1m", sel, models).values()]:
        url = f"{prom}/api/v1/query?{urlencode({'query': q, 'time': f'{at:.3f}'})}"
        with urllib.request.urlopen(url, timeout=30) as resp:
            json.loads(resp.read())
    return time.perf_counter() - t0


def time_refreshes(prom: Prometheus, at: float, models: bool) -> None:
    source = PrometheusSource(
        PrometheusAPI(prom.url), window="1m", details=False, at=at, fingerprints=models
    )
    ours, anchor = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        source.refresh()
        ours.append(time.perf_counter() - t0)
        anchor.append(anchor_queries(prom.url, at, models))
    mine, base = statistics.median(ours), statistics.median(anchor)
    verdict = "OK" if mine <= 1.0 else "ABOVE TARGET"
    what = "with the model view (per-model figures)" if models else "servers only (the pane)"
    print(
        f"one refresh of the whole fleet, {what}: p50 {mine * 1000:.0f} ms, max "
        f"{max(ours) * 1000:.0f} ms (target p50 ≤ 1 s: {verdict}); anchor, the same PromQL one by "
        f"one with urllib: {base * 1000:.0f} ms; ratio {mine / base:.2f}"
    )


async def simulated(prom: Prometheus, at: float) -> None:
    source = PrometheusSource(PrometheusAPI(prom.url), window="1m", details=False, at=at)
    snap = source.refresh()
    assert not snap.error, snap.error
    down = sum(1 for s in snap.servers if s.down)
    drift = sum(1 for m in snap.models if m.drift)
    print(
        f"simulated fleet: {len(snap.servers)} servers ({down} down), {len(snap.models)} models "
        f"({drift} drifting)"
    )
    time_refreshes(prom, at, models=False)
    time_refreshes(prom, at, models=True)
    load = os.getloadavg()[0]
    print(f"(load average {load:.1f} on {os.cpu_count()} cores while measuring)")

    me = psutil.Process()
    rss_before = me.memory_info().rss
    moving = Moving(PrometheusAPI(prom.url), window="1m", details=False, at=at)
    app = Host(moving, refresh_s=1.0)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(ServerTable)
        while table.row_count < len(snap.servers):
            await pilot.pause(0.1)
        await pilot.pause(1.5)
        lat = await press_keys(app, table, KEYS, 5)
        rss = me.memory_info().rss
    rows = [cells(r) for r in snap.servers]
    plain = Plain(rows, [str(i) for i in range(len(rows[0]))])
    async with plain.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        base_lat = await press_keys(plain, plain.query_one(DataTable), KEYS, 5)
    verdict = "OK" if p(lat, 0.95) <= 100 else "ABOVE TARGET"
    print(
        f"key press → repaint, 500 rows refreshing every 1 s: p50 {p(lat, 0.5):.1f} ms, p95 "
        f"{p(lat, 0.95):.1f} ms, max {max(lat):.1f} ms over {len(lat)} keys (target ≤ 100 ms: "
        f"{verdict}); anchor, a plain DataTable of the same rows: p50 {p(base_lat, 0.5):.1f} ms, "
        f"p95 {p(base_lat, 0.95):.1f} ms; p50 ratio {p(lat, 0.5) / max(p(base_lat, 0.5), 0.01):.2f}"
    )
    print(
        f"RSS with the pane on 500 servers: {rss / 2**20:.0f} MiB "
        f"(the same process before the app: {rss_before / 2**20:.0f} MiB, "
        f"+{(rss - rss_before) / 2**20:.0f} MiB)"
    )


async def time_to_red(app: Host, url: str, pid: int) -> float:
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(ServerTable)
        deadline = time.perf_counter() + 60
        while not any(r.url == url and r.live for r in table.shown):
            assert time.perf_counter() < deadline, "the server's row never showed it live"
            await pilot.pause(0.2)
        os.killpg(pid, signal.SIGKILL)
        t0 = time.perf_counter()
        while not any(r.url == url and r.down for r in table.shown):
            await asyncio.sleep(0.01)
            if time.perf_counter() - t0 > 30:
                return float("nan")
        return time.perf_counter() - t0


def live_fleet(root: Path) -> None:
    from tui.core.server.launcher import LaunchSpec, ServerProcess, free_port

    def copy_demo(dest: Path, models: tuple[str, ...]) -> Path:
        for model in models:
            shutil.copytree(ROOT / "assets" / "models" / model, dest / model)
        return dest

    servers: list[ServerProcess] = []
    prom = Prometheus(root / "prometheus")
    try:
        specs = []
        for i in range(3):
            repo = copy_demo(root / f"repo{i}", ("add_sub",))
            ports = (free_port(), free_port(), free_port())
            specs.append(
                LaunchSpec([repo], http_port=ports[0], grpc_port=ports[1], metrics_port=ports[2])
            )
        prom.targets = [
            Target(f"127.0.0.1:{s.metrics_port}", f"127.0.0.1:{s.http_port}", f"replica-{i}")
            for i, s in enumerate(specs)
        ]
        prom.start()
        servers = [ServerProcess(s) for s in specs]
        for s in servers:
            s.start()
        for s in servers:
            s.wait_ready(120)
        prom.wait_scraped(3)
        results = {}
        for label, victim in (("Prometheus", 2), ("endpoint list", 1)):
            server = servers[victim]
            if label == "Prometheus":
                source: FleetSource = PrometheusSource(PrometheusAPI(prom.url), window="5s")
            else:
                source = open_source(urls=",".join(s.http_url for s in servers))
            assert server.pid is not None
            results[label] = asyncio.run(
                time_to_red(Host(source, 2.0), server.http_url, server.pid)
            )
        # The anchor: Prometheus's own `up` for a server killed now.
        last = servers[0]
        assert last.pid is not None
        os.killpg(last.pid, signal.SIGKILL)
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 30:
            up = prom.query(f'up{{instance="{last.metrics_url}"}}')
            if up and up[0]["value"][1] == "0":  # type: ignore[index]
                break
            time.sleep(0.05)
        anchor = time.perf_counter() - t0
        mine = ", ".join(f"{k} source {v:.2f} s" for k, v in results.items())
        print(
            f"server death → red row (pane refreshing every 2 s): {mine}; anchor, Prometheus's "
            f"own up == 0 (1 s scrape): {anchor:.2f} s"
        )
    finally:
        prom.stop()
        for s in servers:
            s.release()
        for s in servers:
            s.stop()


def main() -> None:
    data, at = build(SERVERS, MODELS)
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        prom = Prometheus(Path(tmp) / "sim")
        prom.start(storage=data, scrape=False)
        try:
            asyncio.run(simulated(prom, at))
        finally:
            prom.stop()
        live_fleet(Path(tmp))


if __name__ == "__main__":
    main()
