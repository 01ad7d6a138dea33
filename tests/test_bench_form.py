"""The Benchmark pane's logic without Textual (tui/core/bench/form.py) and the figures it shows
(tui/core/util/units.py): the form's checks, the inputs line and shapes template, the ETA,
the export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.core.bench import form as bench_form
from tui.core.bench.engine import LevelStarted, WindowMeasured
from tui.core.bench.results import BenchResult
from tui.core.util.units import clock, size

FORM = {"range": "1:4", "window": "500", "percentile": "", "stability": "10", "shapes": ""}


def _config(**fields: str) -> bench_form.BenchConfig:
    return bench_form.read_config("m", {**FORM, **fields}, "127.0.0.1:8000", None)


def test_the_form_reads_into_a_config_and_says_what_is_wrong() -> None:
    config = _config(percentile="95", shapes="INPUT0:3,224")
    assert (config.window_ms, config.percentile, config.stability_pct) == (500, 95, 10.0)
    assert [int(v) for v in config.load_range.levels()] == [1, 2, 3, 4]
    assert config.shapes == {"INPUT0": [3, 224]}
    assert _config(window="", stability="").window_ms == 5000  # empty fields: the defaults
    for fields, words in [
        ({"range": "1:0"}, "give an end"),
        ({"window": "0"}, "more than 0 ms"),
        ({"percentile": "100"}, "1..99"),
        ({"stability": "0"}, "more than 0"),
        ({"stability": "nan"}, "more than 0"),
        ({"window": "inf"}, "more than 0 ms"),  # int(inf) would raise OverflowError
        ({"window": "soon"}, "the window must be a number, not 'soon'"),
        ({"range": "a"}, "not a non-negative integer"),
    ]:
        with pytest.raises(ValueError, match=words):
            _config(**fields)


def test_inputs_line_drops_the_batch_dim_and_templates_variable_dims() -> None:
    meta = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [-1, 3, -1]}]}
    summary, shapes = bench_form.describe_inputs(meta, {"max_batch_size": 8})
    assert summary == "inputs: x FP32 [3, -1] (max batch 8)" and shapes == "x:3,N"
    summary, shapes = bench_form.describe_inputs(meta, {"max_batch_size": 0})
    assert summary.endswith("(no batching)") and shapes == "x:N,3,N"


def test_progress_counts_the_levels_to_come() -> None:
    progress = bench_form.SweepProgress("run 1", _config(range="1:4", window="1000"))
    assert progress.total == 4
    assert "ETA 0:12 (up to 0:40 if unstable)" in progress.starting()  # 4 levels of 3..10 s
    assert "level 1 of 4 (concurrency 1)" in progress.level_started(LevelStarted(0, 4, 1.0))
    assert progress.eta(trial=0) == pytest.approx(12)
    window = progress.window_measured(WindowMeasured(0, 1.0, 2, 1234.4, 567, 100))
    assert "window 2 · 1,234 infer/s · avg 567 µs · ETA 0:10" in window


def test_outcome_and_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = BenchResult(_config(), status="unstable", message="no stable window")
    words, severity = bench_form.outcome("run 2", 3, result)
    # the pane names its own fields, never perf_analyzer's flag, and keeps what was measured
    assert severity == "warning"
    assert words.startswith("run 2: 3 level(s) measured; ")
    assert "Raise ms (now 500)" in words and "stab%" in words
    assert "--measurement-interval" not in words
    written = bench_form.export(result, "json", tmp_path / "r.json", "run2")
    assert json.loads(written.read_text())["status"] == "unstable"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no path: the cache dir
    written = bench_form.export(result, "csv", None, "run2")
    assert written.parent == tmp_path / "cache" / "triton-tui" / "bench"
    assert written.name.startswith("m-") and written.name.endswith("-run2.csv")


def test_sizes_and_clock() -> None:
    assert [size(n) for n in (512, 1536, 5 * 2**20, 3 * 2**40)] == [
        "512 B",
        "1.5 KiB",
        "5.0 MiB",
        "3072.0 GiB",
    ]
    assert [clock(s) for s in (-3, 59.6, 3725)] == ["0:00", "1:00", "1:02:05"]
