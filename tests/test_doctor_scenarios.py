"""The doctor on the real embedded server: each scenario model (tools/doctor_models.py) is
probed through the benchmark engine and the top finding must be the limit it was built to show;
the healthy model gets none. On the doctor's screen (`w`) a second instance of the sleeping model
is tried through the tuner's A/B trial (`t`), must measure a real gain, and is written (`a`);
passive mode reads traffic it did not send; the command line prints JSON and exit codes.

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
from textual.widgets import Static

from tests.conftest import ANY_STABILITY, launch
from tools.doctor_models import SCENARIOS, add_doctor_models
from tui.app import TritonTUI
from tui.cli import main
from tui.core.bench.engine import BenchConfig, run_sweep
from tui.core.bench.ranges import Range
from tui.core.doctor import recipe
from tui.core.doctor.examine import examine
from tui.core.doctor.findings import Finding, Report
from tui.core.doctor.gather import GatherError, Probe, Target
from tui.core.doctor.tryit import new_journal, recover_tries
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.core.tune.measure import MeasureSettings
from tui.core.tune.record import list_records, load_record
from tui.panes.doctor import DoctorScreen

WINDOW_MS = 300
TRY = MeasureSettings(window_ms=WINDOW_MS, stability_pct=ANY_STABILITY, max_trials=6)


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


def test_a_try_killed_mid_way_is_put_right_by_the_next_run(
    server: ServerProcess, tmp_path: Path
) -> None:
    """A try's journal left with an override live (its process gone): the next run restores."""
    client = TritonHTTP(server.http_url)
    config = client.model_config("doc_slow_step")
    finding = Finding("queue_bound", "t", "e", "high", 0.5, recipe={"op": "instances", "count": 2})
    candidate = recipe.changed(config, finding.recipe or {})
    record = new_journal("doc_slow_step", server.http_url, config, candidate)
    record.restore_pending, record.owner_pid = True, _dead_pid()
    record.save(tmp_path)
    client.load("doc_slow_step", json.dumps(candidate))  # what the killed try left live
    assert client.model_config("doc_slow_step")["instance_group"][0]["count"] == 2
    done = recover_tries(server.http_url, "doc_slow_step", tmp_path)
    assert any("restored doc_slow_step" in line for line in done), done
    assert client.model_config("doc_slow_step")["instance_group"][0]["count"] == 1
    assert not load_record(record.path or tmp_path).restore_pending


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])  # noqa: S607
    child.wait()
    return child.pid


async def _until(pilot, predicate, timeout: float = 90.0) -> None:  # noqa: ANN001
    for _ in range(int(timeout * 10)):
        if predicate():
            return
        await pilot.pause(0.1)
    raise AssertionError("timed out waiting for the screen")


async def test_screen_finds_tries_and_applies(
    server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`w` on the selected model opens the findings; `t` tries the top one, `a` writes it."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # the try's journal
    monkeypatch.setattr(DoctorScreen, "probe", Probe(8, WINDOW_MS))
    monkeypatch.setattr(DoctorScreen, "measure", TRY)
    app = TritonTUI(Session.of_server(server), stop_server_on_exit=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(pilot, lambda: app.server_state == "ready")
        app.selected_model = "doc_sleepy"
        await pilot.press("w")
        await _until(pilot, lambda: isinstance(app.screen, DoctorScreen))
        screen = app.screen
        assert isinstance(screen, DoctorScreen)
        await _until(pilot, lambda: screen.report is not None and not screen.busy)
        assert screen.selected is not None and screen.selected.id == "queue_bound", (
            screen.report and screen.report.text()
        )
        detail = str(screen.query_one("#doctor-evidence", Static).render())
        assert "count: 2" in detail and "t tries it" in detail
        await pilot.press("t")
        await _until(pilot, lambda: not screen.busy)
        status = str(screen.query_one("#doctor-status", Static).render())
        assert "queue_bound" in screen.tried, status
        tried = screen.tried["queue_bound"]
        # One instance sleeping 20 ms serves at most 50/s; two serve twice that: about +100 %.
        assert tried.comparison.clears(), tried.comparison.words()
        assert tried.comparison.gain.mean > 30, tried.comparison.words()
        assert screen.report is not None
        (entry, *_) = screen.report.to_dict()["findings"]
        assert entry["tried"]["rounds"] == 3 and entry["tried"]["clears"]
        # Back on its own config, and the journal says no override is live.
        config = TritonHTTP(server.http_url).model_config("doc_sleepy")
        assert config["instance_group"][0]["count"] == 1
        (path,) = list_records(tmp_path / "triton-tui" / "doctor")
        record = load_record(path)
        assert record.mode == "doctor" and not record.restore_pending and record.status == "done"
        await pilot.press("a")
        await _until(pilot, lambda: not screen.busy)
        status = str(screen.query_one("#doctor-status", Static).render())
        assert status.startswith("written: "), status
        text = (Path(server.spec.model_repositories[0]) / "doc_sleepy" / "config.pbtxt").read_text()
        assert "count: 2" in text
        config = TritonHTTP(server.http_url).model_config("doc_sleepy")
        assert config["instance_group"][0]["count"] == 2
        await pilot.press("escape")
        await _until(pilot, lambda: not isinstance(app.screen, DoctorScreen))


def _served(client: TritonHTTP, model: str) -> int:
    (entry,) = client.model_stats(model)
    return int(entry["inference_stats"]["success"]["count"])


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
    client = TritonHTTP(server.http_url)
    before = _served(client, "doc_slow_step")
    traffic.start()
    try:
        for _ in range(600):  # the load generator's process is up and requests complete
            if _served(client, "doc_slow_step") > before:
                break
            stop.wait(0.1)
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
