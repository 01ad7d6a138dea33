"""Exports the user asks for (tune, logs, bench): one permission rule, the user's umask, and file
names from model names that stay in the folder asked for (issue 25 §8). No server: the writers."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.core.bench import form as bench_form
from tui.core.bench import report as bench_report
from tui.core.bench.results import BenchConfig, BenchResult
from tui.core.logs.store import write_lines
from tui.core.tune import report as tune_report
from tui.core.tune.record import TuneRecord
from tui.core.tune.space import SearchSpace


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _record(model: str) -> TuneRecord:
    space = SearchSpace.for_model({"name": "m", "max_batch_size": 8}, has_gpu=False)
    return TuneRecord(model=model, url="127.0.0.1:1", space=space)


def test_tune_logs_and_bench_exports_follow_the_umask(tmp_path: Path, umask_027: None) -> None:
    written = tune_report.export(_record("add_sub"), tmp_path / "tune")
    written.append(write_lines(tmp_path / "logs" / "triton.log", ["I1 a line"]))
    result = BenchResult(BenchConfig(model="add_sub"), status="ok")
    for kind in ("csv", "json"):
        written.append(bench_form.export(result, kind, tmp_path / f"bench.{kind}", "run1"))
    bench_report.write_csv(result, tmp_path / "perf.csv")  # bench -f
    written.append(tmp_path / "perf.csv")
    assert {p.name: oct(_mode(p)) for p in written} == {p.name: oct(0o640) for p in written}


def test_a_crafted_model_name_cannot_write_outside_the_export_folder(tmp_path: Path) -> None:
    folder = tmp_path / "deep" / "export"
    (folder / "tune-x").mkdir(parents=True)  # "tune-x/../../escaped.json" then leaves the folder
    written = tune_report.export(_record("x/../../escaped"), folder)
    assert all(path.parent == folder for path in written), written
    assert not (tmp_path / "deep" / "escaped.json").exists()
    (record_file,) = [p for p in written if p.suffix == ".json"]
    assert json.loads(record_file.read_text())["model"] == "x/../../escaped"  # kept in the file
    for name in ("..", ".", ""):
        (path,) = [p for p in tune_report.export(_record(name), folder) if p.suffix == ".json"]
        assert path.parent == folder and path.name.startswith("tune-")


def test_a_bench_export_named_after_a_crafted_model_stays_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = BenchResult(BenchConfig(model="../../../escaped"), status="ok")
    written = bench_form.export(result, "json", None, "../run")
    assert written.parent == tmp_path / "cache" / "triton-tui" / "bench"
