"""The doctor on the real embedded server: each scenario model (assets/bench/doctor_models.py) is
probed through the benchmark engine and the top finding must be the limit it was built to show;
the healthy model gets none. A second instance of the sleeping model is tried through the tuner's
A/B trial and must measure a real gain; passive mode reads traffic it did not send.

One server for the module, short windows (300 ms). Assertions are on finding ids and on the
trial's interval clearing the noise, never on timings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assets.bench.doctor_models import SCENARIOS, add_doctor_models
from tests.conftest import ANY_STABILITY, launch
from tui.cli import main
from tui.core.bench.engine import BenchConfig, run_sweep
from tui.core.bench.ranges import Range
from tui.core.doctor.examine import examine
from tui.core.doctor.findings import Report
from tui.core.doctor.gather import GatherError, Probe, Target
from tui.core.doctor.tryit import try_finding
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.tune.measure import MeasureSettings
from tui.core.tune.record import list_records, load_record

WINDOW_MS = 300
TRY = MeasureSettings(window_ms=200, stability_pct=ANY_STABILITY, max_trials=6)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = launch(add_doctor_models(tmp_path_factory.mktemp("doctor") / "models"))
    yield server
    server.stop()


def _target(server: ServerProcess) -> Target:
    return Target(
        server.http_url,
        server.metrics_url,
        server.pid,
        lambda: [line for _, line in server.lines.snapshot()],
    )


def _probe(server: ServerProcess, model: str) -> Report:
    concurrency, _ = SCENARIOS[model]
    return examine(_target(server), model, probe=Probe(concurrency, WINDOW_MS))


def _hogs() -> list[subprocess.Popen[bytes]]:
    """One busy process per core: every core is taken while they run."""
    spin = "while True: pass"
    return [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 1)]


@pytest.mark.parametrize(
    "model", [m for m in SCENARIOS if m not in ("doc_busy", "doc_sleepy")], ids=str
)
def test_top_finding(server: ServerProcess, model: str) -> None:
    report = _probe(server, model)
    expected = SCENARIOS[model][1]
    got = [f.id for f in report.findings]
    if not expected:
        assert got == [], report.text()
        assert "nothing to fix" in report.summary()
    else:
        assert got and got[0] == expected, report.text()


def test_starved_server(server: ServerProcess) -> None:
    """A CPU-bound model queueing on a machine whose cores are all taken: adding instances is
    not the advice."""
    hogs = _hogs()
    try:
        report = _probe(server, "doc_busy")
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    ids = [f.id for f in report.findings]
    assert ids and ids[0] == "host_cpu_saturated", report.text()
    assert "queue_bound" not in ids


def test_queue_bound_try_measures_a_real_gain(server: ServerProcess, tmp_path: Path) -> None:
    report = _probe(server, "doc_sleepy")
    top = report.top
    assert top is not None and top.id == "queue_bound", report.text()
    assert top.recipe == {"op": "instances", "count": 2}
    assert "count: 2" in top.change
    tried = try_finding(
        server.http_url,
        server.metrics_url,
        "doc_sleepy",
        top,
        concurrency=SCENARIOS["doc_sleepy"][0],
        measure=TRY,
        folder=tmp_path,
    )
    gain = tried.comparison.gain
    # One instance sleeping 20 ms serves at most 50/s; two serve twice that: about +100 %.
    assert tried.comparison.clears(), tried.comparison.words()
    assert gain.low > 30, tried.comparison.words()
    assert top.tried is not None and top.tried["clears"]
    assert report.to_dict()["findings"][0]["tried"]["rounds"] == 3
    # The model is back on its own config, and the journal says no override is live.
    config = TritonHTTP(server.http_url).model_config("doc_sleepy")
    assert config["instance_group"][0]["count"] == 1
    (path,) = list_records(tmp_path)
    record = load_record(path)
    assert record.mode == "doctor" and not record.restore_pending and record.status == "done"


def test_passive_reads_traffic_it_did_not_send(server: ServerProcess) -> None:
    config = BenchConfig(
        model="doc_slow_step",
        url=server.http_url,
        concurrency=Range(4, 4, 1),
        window_ms=WINDOW_MS,
        stability_pct=ANY_STABILITY,
        max_trials=6,
    )
    stop = threading.Event()
    traffic = threading.Thread(target=run_sweep, args=(config, None, stop), daemon=True)
    traffic.start()
    try:
        report = examine(_target(server), "doc_slow_step", passive_s=1.0)
    finally:
        stop.set()
        traffic.join(30)
    assert report.evidence.mode == "passive" and report.evidence.concurrency == 0
    assert report.evidence.stats.requests > 0
    assert report.top is not None and report.top.id == "queue_bound", report.text()


def test_passive_without_traffic_says_so(server: ServerProcess) -> None:
    with pytest.raises(GatherError, match="no request"):
        examine(_target(server), "doc_prep", passive_s=0.3)


def test_cli_json_on_an_attached_server(
    server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["doctor", "-m", "doc_healthy", "-u", server.http_url, "--probe", "--json"]
    code = main([*argv, "--concurrency", "1", "-p", str(WINDOW_MS), "--try", "queue_bound"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["model"] == "doc_healthy" and out["findings"] == []
    assert out["evidence"]["stats"]["requests"] > 0
    assert "not among this run's findings" in out["evidence"]["notes"][0]


def test_cli_without_traffic_exits_99(
    server: ServerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["doctor", "-m", "doc_prep", "-u", server.http_url, "--passive", "0.3"])
    assert code == 99
    assert "could not gather evidence" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--passive", "0"],
        ["--passive", "1", "--probe"],
        ["--try", "faster_please"],
        ["--write"],
        ["--try", "queue_bound", "--write"],  # -u without --repository
        ["--rounds", "1"],
    ],
)
def test_cli_bad_options_exit_3(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "-m", "x", "-u", "127.0.0.1:1", *argv]) == 3
    assert capsys.readouterr().err.startswith("error: ")
