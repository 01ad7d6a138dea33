"""The fleet's pure parts, with no server: the endpoint file, figures from two scrapes of real
Triton metrics text (a reset never gives a negative rate), drift and the outlier replica, sorting,
the registry's stale entries, and the flags refused in words."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui.core.fleet import counters, registry
from tui.core.fleet.endpoints import parse_file, parse_list
from tui.core.fleet.prometheus import PrometheusAPI, PrometheusSource
from tui.core.fleet.snapshot import Replica, ServerRow, drifted, model_view, outlier, sorted_rows
from tui.core.fleet.sources import open_source
from tui.core.fleet.table import render_text
from tui.core.gpu.metrics import parse_metrics


def metrics(success: int, queue_us: int, count: int, execs: int, model: str = "m") -> str:
    """Triton's own exposition for one model (the names and labels tritonserver 2.51 writes)."""
    lines = []
    for name, value in (
        ("nv_inference_request_success", success),
        ("nv_inference_request_failure", 0),
        ("nv_inference_count", count),
        ("nv_inference_exec_count", execs),
        ("nv_inference_queue_duration_us", queue_us),
        ("nv_inference_compute_input_duration_us", success * 10),
        ("nv_inference_compute_infer_duration_us", success * 100),
        ("nv_inference_compute_output_duration_us", success * 5),
    ):
        lines += [f"# TYPE {name} counter", f'{name}{{model="{model}",version="1"}} {value}']
    lines += [
        "# TYPE nv_inference_pending_request_count gauge",
        f'nv_inference_pending_request_count{{model="{model}",version="1"}} 2',
    ]
    return "\n".join(lines) + "\n"


def test_rates_weigh_queue_time_by_requests_and_a_reset_is_never_negative() -> None:
    old = parse_metrics(metrics(100, 1_000, 200, 50) + metrics(0, 0, 0, 0, "n"), at=10.0)
    new = parse_metrics(metrics(300, 3_000, 600, 100) + metrics(10, 10_000, 10, 10, "n"), at=12.0)
    row = ServerRow("s", "h:8000")
    counters.apply(row, new, old)
    assert row.requests_per_s == pytest.approx(105.0)  # (200 + 10) / 2 s
    # weighted: (2 000 + 10 000) µs over 210 requests, not the mean of 10 and 1 000
    assert row.queue_us == pytest.approx(12_000 / 210)
    assert row.compute_us == pytest.approx(115.0)
    assert row.avg_batch == pytest.approx(410 / 60)
    assert row.pending == 4
    assert row.models["m"].queue_us == pytest.approx(10.0)
    # The server restarted: every counter went down. No figure this time, never a negative one.
    restarted = parse_metrics(metrics(5, 50, 5, 5) + metrics(1, 1, 1, 1, "n"), at=14.0)
    again = ServerRow("s", "h:8000")
    counters.apply(again, restarted, new)
    assert again.requests_per_s is None and again.queue_us is None
    later = ServerRow("s", "h:8000")
    counters.apply(later, parse_metrics(metrics(25, 250, 25, 25), at=16.0), restarted)
    assert later.requests_per_s == pytest.approx(10.0)


def test_drift_and_the_outlier_replica() -> None:
    same = {"a": Replica("1", "READY", "abc"), "b": Replica("1", "READY", "abc")}
    assert not drifted(same)
    assert drifted({**same, "c": Replica("2", "READY", "abc")})
    assert drifted({**same, "c": Replica("1", "READY", "def")})
    assert not drifted({**same, "c": Replica(None, "UNAVAILABLE", None)})
    timed = {u: Replica("1", queue_us=q) for u, q in (("a", 100.0), ("b", 120.0), ("c", 500.0))}
    assert outlier(timed) == "c"
    timed["c"].queue_us = 230.0  # under twice the median (120)
    assert outlier(timed) is None
    assert outlier({"a": Replica(queue_us=1.0), "b": Replica(queue_us=50.0)}) is None
    rows = [ServerRow("x", "a:1", models={"m": Replica("1")}), ServerRow("y", "b:1")]
    view = model_view(rows)
    assert [m.name for m in view] == ["m"] and list(view[0].servers) == ["a:1"]


def test_sorting_puts_unknown_figures_last_both_ways() -> None:
    rows = [
        ServerRow("b", "b:1", requests_per_s=5.0),
        ServerRow("a", "a:1", requests_per_s=None),
        ServerRow("c", "c:1", requests_per_s=9.0),
    ]
    assert [r.name for r in sorted_rows(rows, "requests_per_s")] == ["b", "c", "a"]
    assert [r.name for r in sorted_rows(rows, "requests_per_s", True)] == ["c", "b", "a"]
    with pytest.raises(ValueError, match="cannot sort by"):
        sorted_rows(rows, "nonsense")
    assert ServerRow("pod-7", "h:1", labels={"zone": "eu-1"}).matches("ZONE=EU")


def test_the_endpoint_file_and_list_are_read_or_refused_in_words() -> None:
    got = parse_file(
        "# fleet\nbox1:8000\nbox2:9000 box2:9002 edge  # a comment\n\n[::1]:8000 gpu\n"
    )
    assert [(e.url, e.metrics_url, e.name) for e in got] == [
        ("box1:8000", None, ""),
        ("box2:9000", "box2:9002", "edge"),
        ("[::1]:8000", None, "gpu"),
    ]
    with pytest.raises(ValueError, match="line 1"):
        parse_file("box:notaport\n")
    with pytest.raises(ValueError, match="line 2"):
        parse_file("a:1\nb:2 b:3 name extra\n")
    with pytest.raises(ValueError, match="no endpoint"):
        parse_file("# nothing\n")
    assert [e.url for e in parse_list("a:8000, b")] == ["a:8000", "b:8000"]
    with pytest.raises(ValueError, match="one fleet source"):
        open_source("http://p:9090", "a:1")
    with pytest.raises(ValueError, match="--window"):
        PrometheusSource(PrometheusAPI("p:9090"), window="5s) or vector(1")
    with pytest.raises(ValueError, match="--job"):
        PrometheusSource(PrometheusAPI("p:9090"), job='x"}')


def test_the_registry_drops_servers_whose_process_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = registry.register("127.0.0.1:1", "127.0.0.1:3", gone.pid, [tmp_path])
    live = registry.register("127.0.0.1:8000", "127.0.0.1:8002", registry.os.getpid(), [tmp_path])
    (registry.registry_dir() / "junk.json").write_text("{not json")
    assert [e.url for e in registry.registered()] == ["127.0.0.1:8000"]
    assert not stale.exists() and live.exists()
    assert sorted(p.name for p in registry.registry_dir().iterdir()) == [live.name]
    assert registry.lookup("localhost:8000") is not None  # the same server, spelled otherwise
    assert registry.lookup("127.0.0.1:8001") is None
    assert json.loads(live.read_text())["repository"] == str(tmp_path)
    registry.unregister(live)
    assert registry.registered() == []


def test_the_table_names_down_servers_and_drift() -> None:
    from tui.core.fleet.snapshot import FleetSnapshot

    rows = [
        ServerRow("a", "a:1", live=True, ready=True, models={"m": Replica("1", "READY", "f1")}),
        ServerRow("b", "b:1", live=False, ready=False, reason="cannot reach Triton: refused"),
        ServerRow("c", "c:1", live=True, ready=True, models={"m": Replica("2", "READY", "f1")}),
    ]
    text = render_text(FleetSnapshot(rows, model_view(rows), "test"))
    assert "DOWN" in text and "b: cannot reach Triton: refused" in text
    assert "! m" in text and "v2" in text


def test_a_bare_u_offers_the_servers_this_machine_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.cli import UsageError, main
    from tui.commands.console import pick_registered

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(UsageError, match="no server started by triton-tui"):
        pick_registered()
    repo = tmp_path / "models"
    registry.register("127.0.0.1:8123", "127.0.0.1:9345", registry.os.getpid(), [repo])
    assert pick_registered() == ("127.0.0.1:8123", "127.0.0.1:9345", [str(repo)])
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        registry.register("127.0.0.1:8200", None, other.pid, [])
        monkeypatch.setattr(sys, "stdin", open(os.devnull))  # noqa: SIM115 - not a terminal
        with pytest.raises(UsageError, match="several servers") as err:
            pick_registered()
        assert "127.0.0.1:8123" in str(err.value) and "127.0.0.1:8200" in str(err.value)
        assert main(["-u"]) == 3  # said in words, nothing launched
    finally:
        other.kill()
        other.wait()


def test_a_big_fleet_asks_a_bounded_batch_of_servers_and_keeps_what_the_others_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hundreds of servers: each refresh asks DETAIL_BATCH of them over HTTP, oldest first; the
    rest show what they said last (here, over addresses nothing listens on: refused at once)."""
    from tui.core.fleet import prometheus

    monkeypatch.setattr(prometheus, "DETAIL_BATCH", 2)
    asked: list[str] = []
    real = prometheus.fill_details

    def fill_details(row: ServerRow, fingerprints: bool = True) -> None:
        asked.append(row.name)
        real(row, fingerprints)

    monkeypatch.setattr(prometheus, "fill_details", fill_details)  # counted, still the real one
    source = PrometheusSource(PrometheusAPI("127.0.0.1:9"))
    rows = [ServerRow(f"s{i}", f"127.0.0.1:{i + 1}", live=True) for i in range(3)]
    source._ask_servers(rows)  # noqa: SLF001
    assert sorted(asked) == ["s0", "s1"]
    assert [r.live for r in rows] == [False, False, True]  # asked: refused, so down
    asked.clear()
    again = [ServerRow(f"s{i}", f"127.0.0.1:{i + 1}", live=True) for i in range(3)]
    source._ask_servers(again)  # noqa: SLF001
    assert sorted(asked) == ["s0", "s2"]  # the one never asked, then the oldest (a tie: order)
    kept = next(r for r in again if r.name not in asked)
    assert kept.live is False and kept.reason and "refused" in kept.reason  # what it said last
