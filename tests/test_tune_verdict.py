"""The noise-aware verdict on the real embedded server: a model where nothing the tuner tries
helps gets "no configuration is better than yours beyond noise" (twice, never a winner), one where
a second instance clearly helps gets that winner with the interval of its gain; the command's
--json verdict, exit code 5 and --report (an HTML file rendered in headless Chromium).

`fixed_cost_batched` already batches: at concurrency 8 a larger max batch than 8 changes nothing
the server does. `sleepy_python` sleeps per request: two instances wait in parallel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from assets.bench.tune_models import (
    FIXED_COST_BATCHED,
    SLEEPY,
    add_fixed_cost_batched_model,
    add_sleepy_model,
)
from tests.conftest import ANY_STABILITY, launch
from tui.cli import main
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.tune.compare import Round
from tui.core.tune.measure import Level, MeasureSettings
from tui.core.tune.record import CandidateResult, TuneRecord
from tui.core.tune.restore import same_config
from tui.core.tune.space import Candidate, SearchSpace
from tui.core.tune.tuner import FinalRoundMeasured, FinalStarted, TuneRun, run_tune
from tui.core.tune.verdict import choose, conclude, tied, worth_final

FAST = MeasureSettings(window_ms=250, stability_pct=ANY_STABILITY, max_trials=10)


@pytest.fixture(scope="module")
def verdict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    repo = tmp_path_factory.mktemp("tune-verdict") / "models"
    add_fixed_cost_batched_model(repo)
    add_sleepy_model(repo)
    server = launch(repo)
    yield server
    server.stop()


def _tune(
    server: ServerProcess, model: str, folder: Path, events: list | None = None, **axes: object
) -> TuneRecord:
    config = TritonHTTP(server.http_url).model_config(model)
    space = SearchSpace.for_model(config, has_gpu=False, **axes)  # type: ignore[arg-type]
    record = TuneRecord(model=model, url=server.http_url, space=space, mode="brute")
    run = TuneRun(metrics_url=server.metrics_url, measure=FAST, folder=folder)
    on_event = events.append if events is not None else None
    return run_tune(record, run, on_event)


# Pure rules (no server) ------------------------------------------------------------------------
def _result(candidate: Candidate, windows: list[float], p99: float = 1.0) -> CandidateResult:
    mean = sum(windows) / len(windows)
    level = Level(8, mean, p99, throughput_windows=windows, p99_windows_ms=[p99] * len(windows))
    return CandidateResult(candidate, levels=[level])


def _record(*results: CandidateResult) -> TuneRecord:
    config = {"name": "m", "max_batch_size": 8, "instance_group": [{"count": 1}]}
    space = SearchSpace.for_model(config, has_gpu=False)
    record = TuneRecord(model="m", url="http://127.0.0.1:1", space=space, base_config=config)
    record.results = list(results)
    return record


def test_ties_within_noise_go_to_the_cheaper_config_and_say_so() -> None:
    default = _result(Candidate(max_batch_size=8, default=True), [100, 104, 96])
    three = _result(Candidate(count=3, max_batch_size=8), [108, 101, 106])
    two = _result(Candidate(count=2, max_batch_size=8), [105, 99, 103])
    far = _result(Candidate(count=2, max_batch_size=8, dynamic_batching=True), [300, 310, 305])
    record = _record(default, three, two)
    assert record.winner is three  # the leader on its figure alone
    pick, group, words = choose(record)
    # the current config's first figures are within noise too, but the final comparison is
    # what tells: the cheapest change goes to it
    assert pick is two and {r.key for r in group} == {r.key for r in record.results}
    assert "tied with the leader within noise" in words and "fewer instances" in words
    verdict = conclude(record, pick, group, words, failure="cancelled")
    assert verdict.verdict == "no_better_beyond_noise" and record.chosen is None
    assert "beyond noise" in verdict.words
    # when the current config leads, it is the pick: nothing is better
    record = _record(_result(Candidate(max_batch_size=8, default=True), [110, 114, 106]), three)
    pick, group, words = choose(record)
    assert pick is not None and pick.candidate.default and "the current config leads" in words
    assert conclude(record, pick, group, words).verdict == "no_better_beyond_noise"

    record = _record(default, three, two, far)
    assert tied(record) == [far]  # clear of the others' intervals: no tie
    record = _record(_result(Candidate(max_batch_size=8, default=True), [50, 52, 48]), three, two)
    pick, group, words = choose(record)
    assert pick is two and "picked the cheaper" in words and "fewer instances" in words


def test_a_gain_inside_the_margin_or_the_noise_is_no_winner() -> None:
    from tui.core.tune.compare import Comparison

    default = _result(Candidate(max_batch_size=8, default=True), [100, 101, 99])
    better = _result(Candidate(count=2, max_batch_size=8), [200, 202, 198])
    record = _record(default, better)
    pick, group, words = choose(record)
    assert pick is better
    clear = Comparison(rounds=[Round(100, 190), Round(102, 195), Round(99, 200)])
    verdict = conclude(record, pick, group, words, clear, 8)
    assert verdict.verdict == "better" and verdict.final and verdict.final["gain_pct"][0] > 5
    record.verdict = verdict
    assert record.chosen is better
    small = Comparison(rounds=[Round(100, 104), Round(102, 105), Round(99, 103)])
    assert conclude(record, pick, group, words, small, 8).verdict == "no_better_beyond_noise"
    record.min_gain_pct = 1.0  # the user's margin: 3-4 % now counts
    assert conclude(record, pick, group, words, small, 8).verdict == "better"
    noisy = Comparison(rounds=[Round(100, 190), Round(190, 100), Round(99, 150)])
    assert conclude(record, pick, group, words, noisy, 8).verdict == "no_better_beyond_noise"
    # every round gains, by a factor the machine's load changes: on the log scale (the tuner's)
    # that is a clear gain, on the linear one the spread of the factors swamps it
    rounds = [Round(213.4, 1147.1), Round(186.3, 505.4), Round(110.7, 753.8)]
    assert not Comparison(rounds=rounds).clears(5)
    geometric = Comparison(rounds=rounds, scale="log")
    assert geometric.clears(5) and geometric.to_dict()["scale"] == "log"
    assert 41 < geometric.gain.low < geometric.gain.mean < geometric.gain.high
    tiny = [Round(100, 104), Round(102, 105), Round(99, 103)]
    assert not Comparison(rounds=tiny, scale="log").clears(5)
    # first figures under the margin: no final comparison can make it better
    assert worth_final(record, better) == (True, "")
    slight = _result(Candidate(count=2, max_batch_size=8), [103, 104, 102])
    record = _record(default, slight)
    worth, why = worth_final(record, slight)
    assert not worth and "under the 5 % margin" in why


# On the server ---------------------------------------------------------------------------------
def test_a_second_instance_of_a_sleeping_model_wins_with_its_interval(
    verdict_server: ServerProcess, tmp_path: Path
) -> None:
    events: list[object] = []
    record = _tune(verdict_server, SLEEPY, tmp_path, events, counts=[1, 2], concurrency=[2])
    assert record.status == "done", record.message
    verdict = record.verdict
    assert verdict is not None and verdict.verdict == "better", verdict
    chosen = record.chosen
    assert chosen is not None and chosen.candidate.count == 2
    assert verdict.final is not None and verdict.final["rounds"] >= 3
    low, high = verdict.final["gain_pct"]
    assert 5 < low <= high  # the whole interval clears the margin
    assert "beats the current config" in verdict.words
    started = [e for e in events if isinstance(e, FinalStarted)]
    rounds = [e for e in events if isinstance(e, FinalRoundMeasured)]
    assert len(started) == 1 and started[0].concurrency == 2 and len(rounds) >= 3
    config = TritonHTTP(verdict_server.http_url).model_config(SLEEPY)
    assert config["instance_group"][0]["count"] == 1  # restored after the final round
    assert not record.restore_pending


def test_nothing_helps_gives_no_better_beyond_noise_twice(
    verdict_server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Once through the core, once through the command (--json, exit 5, --report): the same
    verdict, never a winner."""
    before = TritonHTTP(verdict_server.http_url).model_config(FIXED_COST_BATCHED)
    axes = {"counts": [1], "batch_sizes": [8, 16], "dynamic": [True], "concurrency": [8]}
    record = _tune(verdict_server, FIXED_COST_BATCHED, tmp_path, **axes)
    assert record.status == "done", record.message
    assert record.verdict is not None and record.verdict.verdict == "no_better_beyond_noise"
    assert record.chosen is None
    for result in record.results:
        best = result.best
        assert best is not None and best.throughput_interval.n == 3
        assert best.throughput_interval.low <= best.throughput <= best.throughput_interval.high
    assert same_config(TritonHTTP(verdict_server.http_url).model_config(FIXED_COST_BATCHED), before)

    report_dir = tmp_path / "report"
    code = main(
        [
            "tune",
            "-m",
            FIXED_COST_BATCHED,
            "-u",
            verdict_server.http_url,
            "--metrics-url",
            verdict_server.metrics_url,
            "--search",
            "brute",
            "--max-instance-count",
            "1",
            "--dynamic-batching",
            "on",
            "--min-batch-size",
            "8",
            "--max-batch-size",
            "16",
            "--concurrency",
            "8:8",
            "-p",
            "250",
            "-s",
            str(ANY_STABILITY),
            "--min-gain",
            "5",
            "--results",
            str(tmp_path / "results"),
            "--report",
            str(report_dir),
            "--json",
        ]
    )
    captured = capsys.readouterr()
    assert code == 5, captured.out
    assert "better than yours beyond noise" in captured.err
    verdict = json.loads(captured.out.strip().splitlines()[-1])
    assert verdict["verdict"] == "no_better_beyond_noise" and verdict["winner"] is None
    assert verdict["gain_pct"] is None
    assert verdict["current"]["count"] == 1 and verdict["current"]["dynamic_batching"] is True
    assert verdict["current"]["throughput"]["n"] == 3
    assert "Best config" not in captured.out
    _check_rendered(report_dir / "index.html")


def _check_rendered(html: Path) -> None:
    """The report as a browser renders it: charts and table in the DOM."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    dom = subprocess.run(  # noqa: S603
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            html.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert dom.count("<svg") >= 2
    assert 'id="chart-latency"' in dom and 'id="chart-concurrency"' in dom
    assert '<table id="ranked"' in dom and "<circle" in dom
    assert "beyond noise" in dom
