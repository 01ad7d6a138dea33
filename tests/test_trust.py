"""What makes an operator trust the console (issue 24), below the screen: liveness verdicts on a
real server and a real closed port, the cold-start advice read from a real default-verbosity log,
an unstable benchmark level said in the pane's words, and plots whose axes start at zero."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Input, Select, Static

from tests.conftest import ANY_STABILITY
from tests.test_console_keys import until
from tui.app import TritonTUI
from tui.core.bench import plot
from tui.core.bench.form import outcome, unstable_words
from tui.core.bench.results import BenchConfig, BenchResult, LevelResult, WindowMeasured
from tui.core.bench.stats import LatencySummary
from tui.core.logs.coldstart import LoadTimeline
from tui.core.logs.parser import parse_lines
from tui.core.logs.probe import ProbeResult, _advise
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import free_port
from tui.core.server.liveness import PATIENCE, Liveness
from tui.core.server.session import Session
from tui.panes.bench import BenchPane
from tui.panes.bench_results import ResultsTable

DATA = Path(__file__).parent / "data"


def test_liveness_follows_a_real_server_and_a_closed_port(demo_client: TritonHTTP) -> None:
    live = Liveness()
    assert live.probe(demo_client) == ("ready", "")  # nothing to say while all is well
    closed = TritonHTTP(f"127.0.0.1:{free_port()}")  # nobody listens: refused at once
    state, words = live.probe(closed)
    assert state == "lost" and "Connection refused" in words and "reconnects" in words
    state, words = live.probe(demo_client)  # it answers again: said once, with the version
    assert state == "ready" and words.startswith("reconnected") and "Triton 2." in words
    assert live.probe(demo_client) == ("ready", "")


def test_liveness_gives_a_busy_server_a_few_timeouts() -> None:
    live = Liveness()
    for _ in range(PATIENCE - 1):
        assert live.failed("no complete answer within 2 s", timed_out=True) == ("ready", "")
    state, words = live.failed("no complete answer within 2 s", timed_out=True)
    assert state == "lost" and "no complete answer" in words


def _slow_init_timeline() -> LoadTimeline:
    """A real server's log at the default verbosity: slow_init loaded at start-up, then again
    (instance starts and the load's end are logged; instance ends need --log-verbose=1)."""
    timeline = LoadTimeline()
    text = (DATA / "triton_default_slow_init.log").read_text()
    for entry in parse_lines(text.splitlines(), gpu_host=False):
        timeline.feed(entry)
    return timeline


def test_slow_load_is_explained_from_the_log_it_has() -> None:
    attempts = _slow_init_timeline().for_model("slow_init")
    assert len(attempts) == 2 and attempts[-1].instances_started is not None
    result = ProbeResult("slow_init", load_s=5.4, first_s=0.01, steady_s=[0.01] * 3)
    result.log = attempts[-1]
    _advise(result, {})
    (note,) = result.notes
    # 15:29:43.44 instance start, 15:29:47.09 READY: the log already holds the 3.6 s.
    assert "1 instance(s) starting to initialise 1.73 s into the load" in note
    assert "READY 3.65 s later" in note and "--log-verbose" not in note


def test_verbose_is_asked_only_for_what_the_log_lacks() -> None:
    attempt = _slow_init_timeline().for_model("slow_init")[-1]
    attempt.instances.clear()  # a log without instance lines
    result = ProbeResult("slow_init", load_s=5.4, log=attempt)
    _advise(result, {})
    assert "--log-verbose=1" in result.notes[0]
    result = ProbeResult("slow_init", load_s=5.4)  # no log at all (an attached server)
    _advise(result, {})
    assert "no log of this load" in result.notes[0]


def _windows(pairs: list[tuple[float, int]]) -> list[WindowMeasured]:
    return [WindowMeasured(0, 1, i + 1, ips, lat, 100) for i, (ips, lat) in enumerate(pairs)]


def test_unstable_level_names_the_panes_fields_and_the_spread() -> None:
    config = BenchConfig(model="add_sub", url="127.0.0.1:1", window_ms=300, stability_pct=10)
    windows = _windows([(3000.0, 300), (2400.0, 390), (3200.0, 300), (2500.0, 420)])
    result = BenchResult(config, status="unstable", message="... --measurement-interval.")
    text, severity = outcome("run 1", 0, result, windows)
    assert severity == "warning" and "--measurement-interval" not in text
    # The last three: 2,400..3,200 infer/s is 33% apart, 300..420 µs 40%.
    assert "33% apart in infer/s and 40% in avg latency" in text
    assert "stab% allows 10%" in text and "Raise ms (now 300)" in text
    few = unstable_words(config, windows[:1])
    assert "within 1 windows" in few and "apart" not in few


def _left_axis(ansi: str) -> list[float]:
    rows = re.sub(r"\x1b\[[0-9;]*m", "", ansi).splitlines()
    return [float(m[1]) for r in rows if (m := re.match(r"\s*([\d.]+)┤", r))]


def test_throughput_axis_starts_at_zero() -> None:
    def level(value: float, ips: float) -> LevelResult:
        latency = LatencySummary(100, 1_000_000, 10, {50: 900_000, 99: 2_000_000})
        return LevelResult(value, ips, latency, None, {}, 3, 1_000_000_000)

    flat = [level(1, 32.78), level(2, 36.05), level(3, 34.0)]
    ticks = _left_axis(plot.render(plot.PlotRun("r", flat), None, width=60, height=12))
    assert min(ticks) == 0.0 and max(ticks) >= 36.05


async def test_bench_results_stay_with_their_model(demo_session: Session) -> None:
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.server_state == "ready")
        await pilot.press("5")
        pane = app.query_one(BenchPane)
        select = pane.query_one("#bench-model", Select)
        await until(pilot, lambda: "identity_onnx" in pane._models)
        select.value = "add_sub"
        await until(pilot, lambda: pane._described == "add_sub")
        for name, value in (("range", "1"), ("window", "100"), ("stability", str(ANY_STABILITY))):
            pane.query_one(f"#bench-{name}", Input).value = value
        await until(pilot, lambda: app.focused is select)  # where pane 5 puts it
        pane.action_start()
        await pilot.pause(0.1)
        assert app.focused is pane.query_one(ResultsTable)  # the run's results take the focus
        await until(pilot, lambda: pane.current is None and bool(pane.runs), timeout=60)
        caption = pane.query_one("#bench-caption", Static)
        table = pane.query_one(ResultsTable)
        assert str(caption.render()).startswith("run 1 · add_sub") and table.row_count == 1
        select.value = "identity_onnx"  # another model: not add_sub's figures under its name
        await pilot.pause(0.3)
        assert table.row_count == 0 and "no run of identity_onnx yet" in str(caption.render())
        select.value = "add_sub"
        await pilot.pause(0.3)
        assert table.row_count == 1 and "run 1 · add_sub" in str(caption.render())
