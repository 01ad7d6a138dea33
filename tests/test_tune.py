"""Tuning on the real embedded server: the search finds better configs, restores the model
after a tune, a cancel or a kill, records failures, and resumes. Also the models and settings
the other tune tests share.

`fixed_cost_onnx` (tools/tune_models.py) costs about the same per execution whatever the
batch size: dynamic batching pays there by a margin larger than this shared machine's noise.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST_ONNX_MODEL, copy_demo, serving
from tests.tolerances import ANY_STABILITY, BATCHING_GAIN
from tools.tune_models import FIXED_COST, add_fixed_cost_model
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.tune import report
from tui.core.tune.measure import Level, MeasureSettings, clean
from tui.core.tune.record import CandidateResult, TuneRecord, latest_unfinished, load_record
from tui.core.tune.restore import recover, same_config
from tui.core.tune.space import Candidate, SearchSpace, SpaceError, override
from tui.core.tune.tuner import (
    CandidateMeasured,
    CandidateStarted,
    LevelMeasured,
    RemeasureStarted,
    TuneRun,
    run_tune,
)

# A cheap ONNX model that cannot batch (max_batch_size 0), DenseNet's inputs and outputs.
DENSENET_STANDIN = FAST_ONNX_MODEL
MA_HEADER = (
    "Model,Batch,Concurrency,Model Config Path,Instance Group,Max Batch Size,"
    "Satisfies Constraints,Throughput (infer/sec),p99 Latency (ms)"
)
# Any three windows with answers make a level: these tests are of the tuner, not of the stability
# rule (test_bench_stats.py), and on a loaded host an unstable level cost up to 2 x 10 windows.
FAST = MeasureSettings(window_ms=300, stability_pct=ANY_STABILITY, max_trials=10)
# A margin (the user's --min-gain) that no first-pass gain between add_sub's configs reaches: the
# verdict then says "below the margin" without the interleaved final comparison (verdict.py's
# worth_final), which on a loaded host took 3 to 6 rounds of two reloads each. For the tests of
# the sweep, the re-measure, the resume and the restore; the final comparison is tested where it
# decides (test_tune_verdict.py, test_tune_cli.py, test_tune_pane.py).
NO_FINAL_MARGIN = 999.0  # the largest --min-gain takes


def tune_repository(dest: Path) -> Path:
    """add_sub and the DenseNet stand-in from the demo, plus the fixed-cost ONNX model."""
    repo = copy_demo(dest, ("add_sub", DENSENET_STANDIN))
    add_fixed_cost_model(repo)
    return repo


# The tests ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tune_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of our own: tuning reloads models, so the shared demo server is not used."""
    with serving(tune_repository(tmp_path_factory.mktemp("tune") / "models")) as server:
        yield server


def _record(
    server: ServerProcess, model: str, mode: str = "quick", **axes: object
) -> tuple[TuneRecord, dict]:
    config = TritonHTTP(server.http_url).model_config(model)
    axes.setdefault("concurrency", [1, 2, 4, 8])
    space = SearchSpace.for_model(config, has_gpu=False, **axes)  # type: ignore[arg-type]
    return TuneRecord(model=model, url=server.http_url, space=space, mode=mode), config


def _tune(server: ServerProcess, record: TuneRecord, folder: Path, **kwargs: object) -> TuneRecord:
    run = TuneRun(metrics_url=server.metrics_url, measure=FAST, folder=folder)
    return run_tune(record, run, **kwargs)  # type: ignore[arg-type]


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])  # noqa: S607
    child.wait()
    return child.pid


def _served_as_on_disk(server: ServerProcess, model: str, before: dict) -> None:
    client = TritonHTTP(server.http_url)
    assert client.model_ready(model)
    after = client.model_config(model)
    assert same_config(after, before), "the model still runs a tuned override"


def test_space_defaults_follow_model_analyzer() -> None:
    batching = {"name": "m", "max_batch_size": 8, "dynamic_batching": {}}
    space = SearchSpace.for_model(batching, has_gpu=False)
    assert space.kinds == ["KIND_CPU"] and space.counts == [1, 2, 3, 4, 5]
    assert space.batch_sizes == [1, 2, 4, 8, 16, 32, 64, 128]
    assert space.concurrency[0] == 1 and space.concurrency[-1] == 1024
    # 5 counts x (8 batch sizes with the dynamic batcher + 1 without)
    assert space.size() == 45
    assert SearchSpace.for_model(batching, has_gpu=True).kinds == ["KIND_GPU"]
    single = SearchSpace.for_model({"name": "m", "max_batch_size": 0}, has_gpu=False)
    assert single.batch_sizes == [0] and single.dynamic == [False] and single.size() == 5
    with pytest.raises(SpaceError):
        SearchSpace.for_model({"name": "e", "platform": "ensemble"}, has_gpu=False)


def test_brute_tune_of_add_sub_measures_every_point_and_restores(
    tune_server: ServerProcess, tmp_path: Path
) -> None:
    record, before = _record(
        tune_server, "add_sub", "brute", counts=[1, 2], batch_sizes=[8], concurrency=[1]
    )
    record.min_gain_pct = NO_FINAL_MARGIN  # the sweep is tested, not the verdict
    record = _tune(tune_server, record, tmp_path)
    assert record.status == "done", record.message
    # 2 counts x dynamic batching on/off; the default (1 instance, batch 8, dynamic batching)
    # stands for its own point
    keys = {r.key for r in record.results}
    assert keys == {"default", "cpu1-mbs8-nodb", "cpu2-mbs8-nodb", "cpu2-mbs8-db"}
    assert all(r.status == "ok" and r.levels for r in record.results), [
        (r.key, r.status, r.reason) for r in record.results
    ]
    winner = record.winner
    assert winner is not None and winner.satisfies
    assert all(record.score(winner) >= record.score(r) for r in record.results)
    _served_as_on_disk(tune_server, "add_sub", before)


def test_candidates_that_fail_are_recorded_not_fatal(
    tune_server: ServerProcess, tmp_path: Path
) -> None:
    # KIND_GPU on a server without GPUs: the load itself fails
    record, before = _record(
        tune_server,
        "add_sub",
        "brute",
        kinds=["KIND_GPU"],
        counts=[1],
        batch_sizes=[8],
        concurrency=[1],
    )
    record = _tune(tune_server, record, tmp_path)
    assert record.status == "done", record.message
    failed = [r for r in record.results if r.status == "load_failed"]
    assert len(failed) == 2 and all("GPU" in r.reason for r in failed)
    assert record.winner is record.default
    assert "load failed" in report.reason(record, failed[0])
    _served_as_on_disk(tune_server, "add_sub", before)
    # max_batch_size on a model that cannot batch: recorded with the server's reason
    record, before = _record(
        tune_server, DENSENET_STANDIN, "brute", batch_sizes=[4], counts=[1], concurrency=[1]
    )
    record = _tune(tune_server, record, tmp_path)
    assert record.status == "done", record.message
    forced = record.result("cpu1-mbs4-db")
    assert forced is not None and forced.status in ("load_failed", "error") and forced.reason
    assert record.winner is record.default
    _served_as_on_disk(tune_server, DENSENET_STANDIN, before)


def test_cancel_mid_tune_leaves_the_model_as_on_disk(
    tune_server: ServerProcess, tmp_path: Path
) -> None:
    # two levels: the cancel comes after the candidate's first, while it still has one to go
    record, before = _record(
        tune_server, FIXED_COST, "brute", counts=[1, 2], batch_sizes=[8], concurrency=[1, 2]
    )
    cancel = threading.Event()
    seen: list[str] = []

    def on_event(event: object) -> None:
        if isinstance(event, LevelMeasured) and not event.candidate.default:
            seen.append(event.candidate.key)
            cancel.set()  # an override is loaded right now

    record = _tune(tune_server, record, tmp_path, on_event=on_event, cancel=cancel)
    assert seen and record.status == "cancelled"
    assert record.results[-1].status == "cancelled"
    assert not record.restore_pending
    _served_as_on_disk(tune_server, FIXED_COST, before)


def test_resume_after_a_killed_tune(tune_server: ServerProcess, tmp_path: Path) -> None:
    """What a killed console leaves: an override live in the server, a record saying so."""
    client = TritonHTTP(tune_server.http_url)
    # one point besides the default (which is add_sub's own config), one level
    record, before = _record(
        tune_server, "add_sub", "brute", counts=[1], batch_sizes=[8], concurrency=[1]
    )
    record.min_gain_pct = NO_FINAL_MARGIN  # the resume is tested, not the verdict
    cancel = threading.Event()

    def stop_after_default(event: object) -> None:
        if isinstance(event, CandidateMeasured):
            cancel.set()

    record = _tune(tune_server, record, tmp_path, on_event=stop_after_default, cancel=cancel)
    assert [r.key for r in record.results] == ["default"]
    default_levels = len(record.results[0].levels)
    # as if killed while a candidate ran: the override is live and the record says so
    client.load("add_sub", json.dumps(override(before, Candidate(count=2, max_batch_size=8))))
    assert not same_config(client.model_config("add_sub"), before)
    record.status, record.restore_pending = "running", True
    record.owner_pid = os.getppid()  # a process that is alive: its tune is not disturbed
    record.save()
    assert recover(tune_server.http_url, tmp_path) == []
    assert not same_config(client.model_config("add_sub"), before)
    record.owner_pid = _dead_pid()  # the killed console
    record.save()
    # an unrelated tune starting on this server restores the model first
    assert recover(tune_server.http_url, tmp_path)
    _served_as_on_disk(tune_server, "add_sub", before)
    assert not load_record(record.path).restore_pending  # type: ignore[arg-type]
    # resume: the default is not measured again, the rest is, and the model is restored
    started: list[str] = []
    resumed = _tune(
        tune_server,
        load_record(record.path),  # type: ignore[arg-type]
        tmp_path,
        on_event=lambda e: (
            started.append(e.candidate.key) if isinstance(e, CandidateStarted) else None
        ),
    )
    assert resumed.status == "done" and "default" not in started and started
    assert len(resumed.default.levels) == default_levels  # type: ignore[union-attr]
    assert latest_unfinished("add_sub", tmp_path) is None
    _served_as_on_disk(tune_server, "add_sub", before)


def test_a_lucky_first_measurement_does_not_win_once_re_measured() -> None:
    space = SearchSpace.for_model({"name": "m", "max_batch_size": 8}, has_gpu=False)
    record = TuneRecord(model="m", url="http://127.0.0.1:1", space=space)
    lucky = CandidateResult(Candidate(count=2, max_batch_size=8), levels=[Level(4, 1000.0)])
    steady = CandidateResult(Candidate(count=3, max_batch_size=8), levels=[Level(4, 800.0)])
    record.results = [lucky, steady]
    assert record.winner is lucky  # one window each: the lucky one wins
    lucky.remeasured, steady.remeasured = [Level(4, 500.0)], [Level(4, 790.0)]
    assert record.winner is steady and steady.best is steady.remeasured[0]
    assert record.measurements == 4
    assert "measured twice: 500.0 infer/s (first 1,000.0)" in report.reason(record, lucky)
    # a re-measure that failed keeps the first figure, but not the lead, and says so
    lucky.remeasured = [Level(4, error="load failed: out of memory")]
    assert record.winner is steady and lucky.best is lucky.levels[0]
    assert "re-measure failed" in report.reason(record, lucky)


def test_quick_tune_re_measures_resumes_and_beats_default_by_batching(
    tune_server: ServerProcess, tmp_path: Path
) -> None:
    # one level per candidate, where batching pays most and a second instance also beats the
    # default: the climb moves and reaches a fourth point
    record, before = _record(
        tune_server, FIXED_COST, counts=[1, 2], batch_sizes=[8], concurrency=[8]
    )
    assert not before.get("dynamic_batching")
    # the re-measure and the figures it ranks on are tested, not the final comparison (which a
    # machine fast enough for an 11-fold gain would still run; its rounds in the measurements:
    # test_tune_cli.py)
    record.min_gain_pct = NO_FINAL_MARGIN
    cancel = threading.Event()
    again: list[str] = []

    def on_event(event: object) -> None:
        if isinstance(event, RemeasureStarted):
            again.append(event.candidate.key)
            if len(again) == 2:
                cancel.set()  # killed during the second look: it resumes from the record

    record = _tune(tune_server, record, tmp_path, on_event=on_event, cancel=cancel)
    assert record.status == "cancelled" and len(record.results) >= 4
    assert [r.key for r in record.remeasured] == again[:1]
    _served_as_on_disk(tune_server, FIXED_COST, before)

    events: list[object] = []
    record = _tune(tune_server, load_record(record.path), tmp_path, on_event=events.append)  # type: ignore[arg-type]
    assert record.status == "done", record.message
    assert not [e for e in events if isinstance(e, CandidateStarted)]  # the climb is not redone
    resumed = [e.candidate.key for e in events if isinstance(e, RemeasureStarted)]
    assert again[0] not in resumed and resumed
    ranked = [r for r in record.ranked() if r.best is not None]
    top = {r.key for r in ranked[:3]} | {"default"}
    assert top <= {r.key for r in record.remeasured}, [(r.key, r.remeasured) for r in ranked]
    for result in record.remeasured:
        (level,) = result.remeasured
        assert level.ok, level.error
        first = result.first  # measured again at the concurrency of its first best
        assert first is not None and first is not level
        assert result.best is level  # and ranked on the second figure
    final_rounds = (record.verdict.final or {}).get("rounds", 0) if record.verdict else 0
    assert record.measurements == 2 * final_rounds + sum(
        len(r.levels) + len(r.remeasured) for r in record.results
    )
    assert "The ranking is re-measured" in report.summary(record)
    saved = load_record(record.path)  # type: ignore[arg-type]
    assert [r.key for r in saved.results] == [r.key for r in record.results]
    assert [r.key for r in saved.remeasured] == [r.key for r in record.remeasured]
    assert saved.winner is not None and saved.winner.key == record.winner.key  # type: ignore[union-attr]
    assert report.csv_text(saved).splitlines()[0] == MA_HEADER
    # Batching amortises the model's fixed cost: a ratio of two figures from the same run, both
    # measured twice (see BATCHING_GAIN for what a saturated machine leaves of it). Without
    # batching they are level.
    winner, default = record.winner, record.default
    assert winner is not None and winner.candidate.dynamic_batching
    assert default is not None and default.best is not None and winner.best is not None
    gain = winner.best.throughput / default.best.throughput
    assert gain > BATCHING_GAIN, (gain, winner.best, default.best)
    assert not record.restore_pending
    _served_as_on_disk(tune_server, FIXED_COST, before)


def test_server_text_is_cleaned_of_terminal_sequences() -> None:
    assert clean("load failed\x1b[2J\x1b]0;title\x07: bad\r\nconfig") == "load failed: bad\nconfig"
