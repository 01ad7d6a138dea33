"""`triton-tui tune` end to end: its own embedded server, progress, table, Model Analyzer's CSV,
--write through the config store, exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.test_tune import FIXED_COST, MA_HEADER, tune_repository
from tests.tolerances import ANY_STABILITY
from tui.cli import main
from tui.core.tune.record import load_record

# One level, where batching pays most (the sweep and its hint: test_tune.py), any three windows
# make a level: these tests are of the command, not of the stability rule (test_bench_stats.py).
FAST = ["-p", "300", "-s", str(ANY_STABILITY), "--concurrency", "8:8"]


@pytest.mark.parametrize(
    "flags",
    [
        ["--concurrency", "8:2"],
        ["--max-instance-count", "0"],
        ["--queue-delay", "ten"],
        ["--write", "-u", "127.0.0.1:8000"],
        ["--objective", "speed"],
        ["--compare", "x.json"],
        ["--min-gain", "-1"],
        ["--final-rounds", "2"],
    ],
)
def test_bad_options_exit_3(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tune", "-m", "add_sub", *flags]) == 3
    assert "error:" in capsys.readouterr().err


def test_tune_exports_csv_and_writes_the_winner(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tune_repository(tmp_path / "models")
    config = repo / FIXED_COST / "config.pbtxt"
    before = config.read_text()
    code = main(
        [
            "tune",
            "-m",
            FIXED_COST,
            "--model-repository",
            str(repo),
            "--max-instance-count",
            "1",
            "--min-batch-size",
            "8",
            "--max-batch-size",
            "8",
            *FAST,
            "--results",
            str(tmp_path / "results"),
            "--export",
            str(tmp_path / "export"),
            "--write",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "[1/" in out and "concurrency 8:" in out
    assert "re-measuring the top configurations" in out and "[again 1/" in out
    assert "Best config (config.pbtxt):" in out and "dynamic_batching" in out
    with open(tmp_path / "export" / "metrics-model-inference.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert ",".join(rows[0]) == MA_HEADER
    assert {r[4] for r in rows[1:]} == {"1:CPU"} and {r[6] for r in rows[1:]} == {"Yes"}
    summary = (tmp_path / "export" / "summary.txt").read_text()
    assert "measurements across" in summary and "better than the default" in summary
    assert "The ranking is re-measured" in summary
    assert "GPU utilization and memory were not measured" in summary
    # --write: diff shown, saved with a backup, reloaded and measured
    assert "+dynamic_batching {" in out and "applied:" in out, out
    assert "measured after reload" in out
    assert "dynamic_batching" in config.read_text()
    assert (config.parent / "config.pbtxt.bak").read_text() == before
    saved = list((tmp_path / "results").glob("*.json"))
    assert len(saved) == 1
    assert json.loads(saved[0].read_text())["applied"]["state"] == "done"  # the journal, closed
    # the final comparison's two measurements a round count among the measurements
    record = load_record(saved[0])
    assert record.verdict is not None and record.verdict.final is not None
    rounds = record.verdict.final["rounds"]
    assert rounds >= 3 and record.measurements == 2 * rounds + sum(
        len(r.levels) + len(r.remeasured) for r in record.results
    )
    assert f"In {record.measurements} measurements across" in summary
    # reopened and compared later, without a server
    show = ["tune", "-m", FIXED_COST, "--show", "--results", str(tmp_path / "results")]
    assert main([*show, "--compare", str(saved[0])]) == 0
    out = capsys.readouterr().out
    assert f"record: {saved[0]}" in out and "better than the default" in out
    assert "winner throughput +0.0% (after vs before)" in out


def test_no_config_meets_the_constraints_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tune_repository(tmp_path / "models")
    code = main(
        [
            "tune",
            "-m",
            "add_sub",
            "--model-repository",
            str(repo),
            "--max-instance-count",
            "1",
            "--dynamic-batching",
            "on",
            "--min-batch-size",
            "8",
            "--max-batch-size",
            "8",
            "--latency-budget",
            "0.0001",
            *FAST,
            "--results",
            str(tmp_path / "results"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 4, captured.out
    assert "closest" in captured.err
    assert "no" in captured.out.split("reason", 1)[1]
