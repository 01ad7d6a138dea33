"""The fleet against the real thing: three embedded tritonservers (add_sub) and a real Prometheus
2.42 scraping them every second through a file_sd target list (one of each per module).

Order matters within the module, and is kept cheap: the benchmark row, then drift and the rolling
actions, then the registry vs the endpoint list, then the death and restart of one server (it
comes back on the same ports), then the console in tmux at 80×24.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ANY_STABILITY, copy_demo
from tools.prometheus import PROMETHEUS, Prometheus, Target
from tui.core.bench.engine import run_sweep
from tui.core.bench.results import BenchConfig, WindowMeasured
from tui.core.fleet import registry
from tui.core.fleet.endpoints import EndpointSource, from_registry
from tui.core.fleet.prometheus import PrometheusAPI, PrometheusSource
from tui.core.fleet.rolling import roll
from tui.core.fleet.snapshot import FleetSnapshot
from tui.core.fleet.sources import open_source
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import LaunchError, LaunchSpec, ServerProcess, free_port

pytestmark = pytest.mark.skipif(
    not Path(PROMETHEUS).exists(), reason="prometheus is not installed (apt-get install prometheus)"
)
MODEL = "add_sub"


class Fleet:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.servers: list[ServerProcess] = []
        self.prometheus = Prometheus(root / "prometheus")

    def start(self) -> None:
        # Ports chosen first, so Prometheus starts (and its discovery, which sends its first
        # targets ~5 s later) while the servers load. A free port can be taken by another test
        # before our server binds it: then the three start again on new ones.
        repos = [copy_demo(self.root / f"repo{i}", (MODEL,)) for i in range(3)]
        for attempt in range(3):
            specs = []
            for repo in repos:
                ports = (free_port(), free_port(), free_port())
                specs.append(
                    LaunchSpec(
                        [repo], http_port=ports[0], grpc_port=ports[1], metrics_port=ports[2]
                    )
                )
            targets = [
                Target(f"127.0.0.1:{s.metrics_port}", f"127.0.0.1:{s.http_port}", f"replica-{i}")
                for i, s in enumerate(specs)
            ]
            if self.prometheus.proc is None:
                self.prometheus.targets = targets
                self.prometheus.start()
            else:
                self.prometheus.write_targets(targets)
            self.servers = [ServerProcess(spec) for spec in specs]
            try:
                for server in self.servers:  # all three start side by side
                    server.start()
                for server in self.servers:
                    server.wait_ready(90)
                return
            except LaunchError as exc:
                for server in self.servers:
                    server.stop()
                if "in use" not in str(exc) or attempt == 2:
                    raise

    def source(self, **kw: object) -> PrometheusSource:
        return PrometheusSource(PrometheusAPI(self.prometheus.url), job="triton", window="5s", **kw)  # type: ignore[arg-type]

    def restart(self, i: int) -> None:
        old = self.servers[i]
        spec = LaunchSpec(
            list(old.spec.model_repositories),
            http_port=old.http_port,
            grpc_port=old.grpc_port,
            metrics_port=old.metrics_port,
        )
        server = ServerProcess(spec)
        deadline = time.monotonic() + 30
        while True:  # the killed server's ports are free once its stubs are gone
            try:
                server.start()
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                server = ServerProcess(spec)
                time.sleep(0.3)
        server.wait_ready(90)
        self.servers[i] = server

    def stop(self) -> None:
        self.prometheus.stop()
        for server in self.servers:  # all three stop side by side
            server.release()
        for server in self.servers:
            server.stop()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    root = tmp_path_factory.mktemp("fleet")
    the_fleet = Fleet(root)
    # A registry of this module's own: the user's cache never sees these servers.
    with pytest.MonkeyPatch.context() as mp:
        try:
            the_fleet.start()
            mp.setenv("XDG_CACHE_HOME", str(root / "cache"))
            yield the_fleet
        finally:
            the_fleet.stop()


def _until(source: object, check: object, timeout: float = 20.0) -> FleetSnapshot:
    deadline = time.monotonic() + timeout
    while True:
        snap: FleetSnapshot = source.refresh()  # type: ignore[attr-defined]
        if check(snap):  # type: ignore[operator]
            return snap
        if time.monotonic() > deadline:
            raise AssertionError(f"not seen within {timeout} s: {json.dumps(snap.as_json())}")
        time.sleep(0.5)


def test_benchmark_moves_its_row_to_the_benchmarks_throughput(fleet: Fleet) -> None:
    fleet.prometheus.wait_scraped(3)
    target = fleet.servers[0]
    ended: list[float] = []  # when each measurement window was reported
    config = BenchConfig(
        model=MODEL, url=target.http_url, window_ms=1500, stability_pct=ANY_STABILITY, max_trials=3
    )
    result = run_sweep(
        config, lambda e: ended.append(time.time()) if isinstance(e, WindowMeasured) else None
    )
    assert result.status == "ok", result.message
    level = result.levels[0]
    seconds = level.duration_ns / 1e9
    api = PrometheusAPI(fleet.prometheus.url)
    deadline = time.monotonic() + 10
    while not all(  # until Prometheus has scraped past the end of the load
        float(s["value"][1]) > ended[-1] for s in api.query('timestamp(up{job="triton"})')
    ):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    # The rate over the benchmark's own measured windows (the last three), evaluated as the
    # last one ended: the same interval, seen from the server's counters.
    source = fleet.source(details=False)
    source.window = f"{int(seconds * 1000)}ms"
    source.at = ended[-1]
    snap = source.refresh()
    rows = {r.url: r for r in snap.servers}
    assert set(rows) == {s.http_url for s in fleet.servers}  # derived from the targets' labels
    got = rows[target.http_url].requests_per_s
    assert got is not None and abs(got - level.throughput) <= 0.15 * level.throughput, (
        got,
        level.throughput,
    )
    idle = [rows[s.http_url].requests_per_s for s in fleet.servers[1:]]
    assert all(r is not None and r < 0.05 * level.throughput for r in idle), idle
    assert rows[target.http_url].queue_us is not None and rows[target.http_url].avg_batch


def test_a_different_config_on_one_replica_shows_drift_and_a_rolling_reload_keeps_all_ready(
    fleet: Fleet,
) -> None:
    source = fleet.source()
    snap = _until(source, lambda s: len(s.models) == 1 and len(s.models[0].servers) == 3)
    assert not snap.models[0].drift
    odd = TritonHTTP(fleet.servers[1].http_url)
    config = odd.model_config(MODEL)
    config["instance_group"][0]["count"] = 2
    odd.load(MODEL, json.dumps(config))
    snap = source.refresh()
    model = snap.models[0]
    assert model.drift
    prints = {url: r.config_fingerprint for url, r in model.servers.items()}
    assert len(set(prints.values())) == 2 and prints[fleet.servers[1].http_url] not in (
        prints[fleet.servers[0].http_url],
    )
    result = roll("reload", MODEL, [s.http_url for s in fleet.servers])
    assert result.ok, result.summary()
    assert result.done == [s.http_url for s in fleet.servers]
    for server in fleet.servers:
        assert TritonHTTP(server.http_url).model_ready(MODEL)
    # unload + load returns the odd replica to its files: the drift is gone
    odd.unload(MODEL)
    odd.load(MODEL)
    assert not source.refresh().models[0].drift


def test_a_rolling_action_stops_at_the_first_failure_and_says_where(fleet: Fleet) -> None:
    urls = [s.http_url for s in fleet.servers]
    result = roll("load", "no_such_model", urls, check_timeout=2)
    assert not result.ok
    assert result.failed_at == urls[0] and result.done == [] and result.skipped == urls[1:]
    assert "no_such_model" in result.summary() and urls[0] in result.summary()


def test_endpoint_list_and_registered_servers_give_the_same_rows(fleet: Fleet) -> None:
    entries = [registry.register_server(s) for s in fleet.servers]
    try:
        assert {e.url for e in registry.registered()} == {s.http_url for s in fleet.servers}
        listed = open_source(urls=",".join(s.http_url for s in fleet.servers))
        mine = EndpointSource(from_registry, "registered")

        def rows(snap: FleetSnapshot) -> list[tuple[object, ...]]:
            return sorted(
                (r.name, r.url, r.metrics_url, r.live, r.ready, r.version, r.models_ready)
                for r in snap.servers
            )

        a, b = listed.refresh(), mine.refresh()
        assert rows(a) == rows(b) and len(rows(a)) == 3
        # -u found each random metrics port through the registry, as `-u` does for the console
        assert {r.metrics_url for r in a.servers} == {s.metrics_url for s in fleet.servers}
        assert [m.as_json() for m in a.models] == [m.as_json() for m in b.models]
        # and the CLI prints the same servers as JSON, in the contract's shape
        from tui.cli import main

        out = Path(fleet.root / "fleet.json")
        with open(out, "w") as handle:
            saved, sys.stdout = sys.stdout, handle
            try:
                assert main(["fleet", "--once", "--json", "--interval", "0.5"]) == 0
            finally:
                sys.stdout = saved
        doc = json.loads(out.read_text())
        assert {s["url"] for s in doc["servers"]} == {s.http_url for s in fleet.servers}
        assert all(s["requests_per_s"] is not None for s in doc["servers"])  # two scrapes
        assert set(doc["servers"][0]) >= {"name", "url", "metrics_url", "queue_us", "age_s"}
    finally:
        for entry in entries:
            registry.unregister(entry)


def test_a_killed_server_turns_red_and_its_restart_shows_no_negative_rate(fleet: Fleet) -> None:
    victim = fleet.servers[2]
    client = TritonHTTP(victim.http_url)
    for _ in range(3):  # counters above zero, so the restart is a reset
        client.load(MODEL)
    source = fleet.source()
    listed = open_source(urls=victim.http_url + "," + fleet.servers[0].http_url)
    listed.refresh()
    assert victim.pid is not None
    os.killpg(victim.pid, signal.SIGKILL)
    victim.proc.wait()  # type: ignore[union-attr]
    # Within two refreshes (the pane refreshes every 2 s): red, with the reason.
    for src in (source, listed):
        src.refresh()
        snap = src.refresh()
        row = snap.server(victim.http_url)
        assert row is not None and row.live is False and row.reason, row
        assert "refused" in row.reason or "scrape" in row.reason
    fleet.restart(2)
    snap = _until(source, lambda s: (r := s.server(victim.http_url)) is not None and r.live)
    seen = []
    for _ in range(4):
        for src in (source, listed):
            row = src.refresh().server(victim.http_url)
            assert row is not None
            seen += [row.requests_per_s, row.failures_per_s, row.queue_us]
        time.sleep(0.5)
    assert all(v is None or v >= 0 for v in seen), seen


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_fleet_pane_at_80x24_and_enter_attaches(fleet: Fleet) -> None:
    from tests.test_lifecycle import Terminal

    fleet.prometheus.wait_scraped(3)
    first, second = fleet.servers[0], fleet.servers[1]
    command = [  # the module's XDG_CACHE_HOME goes with the environment
        sys.executable,
        "-m",
        "tui",
        "-u",
        first.http_url,
        "--prometheus",
        fleet.prometheus.url,
    ]
    term = Terminal(f"fleet-{os.getpid()}", command, size=(80, 24))
    try:
        term.wait_for("LIVE", timeout=60)
        term.tmux("send-keys", "0")
        screen = term.wait_for("replica-2", timeout=30)
        assert "replica-0" in screen and "READY" in screen and "3 server(s)" in screen
        term.tmux("send-keys", "j")  # replica-1
        term.wait_for(f"replica-1  http://{second.http_url}", timeout=10)
        term.tmux("send-keys", "Enter")
        deadline = time.monotonic() + 20
        while second.http_url not in term.screen().splitlines()[0]:  # the header names it
            assert time.monotonic() < deadline, term.screen()
            time.sleep(0.3)
        screen = term.wait_for("add_sub", timeout=20)  # its repository pane
        assert "LIVE" in screen.splitlines()[0] or "LIVE" in term.wait_for("LIVE", timeout=20)
        term.tmux("send-keys", "0")  # and back to the fleet
        term.wait_for("3 server(s)", timeout=10)
        term.tmux("send-keys", "m")  # models × servers; a rolling reload asks first
        term.wait_for("v1 ", timeout=20)
        term.tmux("send-keys", "r")
        screen = term.wait_for("Reload add_sub across the fleet?", timeout=10)
        assert "one at a time" in screen
        term.tmux("send-keys", "Escape")
    finally:
        term.close()


async def test_the_pane_rolls_a_reload_after_its_preview_and_read_only_refuses(
    fleet: Fleet,
) -> None:
    from tui.app import TritonTUI
    from tui.core.server.session import Session
    from tui.panes.fleet import FleetPane

    fleet.prometheus.wait_scraped(3)
    for read_only in (True, False):
        session = Session.attach(fleet.servers[0].http_url, fleet.servers[0].metrics_url)
        app = TritonTUI(session, stop_server_on_exit=False, read_only=read_only)
        app.fleet_source = fleet.source()
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("0")
            pane = app.query_one(FleetPane)
            while pane.snapshot is None or len(pane.snapshot.servers) < 3:
                await pilot.pause(0.2)
            await pilot.press("m")
            while not pane.query_one("#fleet-models").shown:  # type: ignore[attr-defined]
                await pilot.pause(0.2)
            await pilot.press("r")
            if read_only:
                await pilot.pause(0.5)
                said = [n.message for n in app._notifications]  # noqa: SLF001
                assert any("read-only" in m for m in said), said
                assert len(app.screen_stack) == 1  # nothing asked, nothing done
                continue
            while len(app.screen_stack) == 1:
                await pilot.pause(0.1)
            await pilot.press("r")  # the dialog's Reload
            deadline = time.monotonic() + 60
            while not any("reload add_sub" in n.message for n in app._notifications):  # noqa: SLF001
                assert time.monotonic() < deadline
                await pilot.pause(0.2)
            said = next(n.message for n in app._notifications if "reload add_sub" in n.message)  # noqa: SLF001
            assert "done on 3 server(s)" in said, said
