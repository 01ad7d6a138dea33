"""`triton-tui bench`: perf_analyzer's flags, console output, CSV file and exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.conftest import copy_demo
from tests.tolerances import ANY_STABILITY
from tui.cli import main
from tui.core.server.launcher import ServerProcess

HEADER = (
    "Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,"
    "Server Compute Input,Server Compute Infer,Server Compute Output,Client Recv,"
    "p50 latency,p90 latency,p95 latency,p99 latency"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "-m"),
        (["-m", "x", "--concurrency-range", "0:4"], "must start above 0"),
        (["-m", "x", "--concurrency-range", "1:4:0"], "step"),
        (["-m", "x", "--concurrency-range", "1:a"], "not a non-negative integer"),
        (["-m", "x", "--concurrency-range", "1:0"], "can not be both 0"),
        (["-m", "x", "--concurrency-range", "1", "--request-rate-range", "10"], "exclusive"),
        (["-m", "x", "-i", "ftp"], "invalid choice"),
        (["-m", "x", "-p", "0"], "-p"),
        (["-m", "x", "-s", "-5"], "-s"),
        (["-m", "x", "--percentile", "100"], "1..99"),
        (["-m", "x", "-b", "0"], "-b"),
        (["-m", "x", "--shape", "IN"], "--shape"),
        (["-m", "x", "--input-data", "/nonexistent/data.json"], "no such file"),
        (["-m", "x", "--measurement-mode", "forever"], "invalid choice"),
        (["-m", "x", "-u", "h:1", "--model-repository", "/tmp"], "either -u"),
    ],
)
def test_bad_flags_exit_3(args: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["bench", *args]) == 3
    assert message in capsys.readouterr().err


def test_bench_against_running_server(
    demo_server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["bench", "-m", "add_sub", "-u", demo_server.http_url, "-b", "9"]) == 99
    assert "max_batch_size 8" in capsys.readouterr().err
    out_csv, out_json = tmp_path / "r.csv", tmp_path / "r.json"
    code = main(
        [
            "bench",
            "-m",
            "add_sub",
            "-u",
            demo_server.http_url,
            "--concurrency-range",
            "1:2",
            "-p",
            "300",
            "-s",
            "100",  # the layout is under test here, not stability: a loaded machine must pass
            "-r",
            "10",
            "-f",
            str(out_csv),
            "--json",
            str(out_json),
            "-v",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "*** Measurement Settings ***"
    assert lines.index("Request concurrency: 1") < lines.index("Request concurrency: 2")
    assert "  Pass [3] throughput:" in out and "  Server: " in lines
    summary = lines[lines.index("Inferences/Second vs. Client Average Batch Latency") + 1 :]
    assert summary[0].startswith("Concurrency: 1, throughput: ")
    assert summary[1].startswith("Concurrency: 2, throughput: ")
    text = out_csv.read_text().splitlines()
    assert text[0] == HEADER and len(text) == 3
    rows = list(csv.reader(text[1:]))
    assert all(int(r[9]) <= int(r[12]) for r in rows)  # p50 <= p99
    record = json.loads(out_json.read_text())
    assert record["status"] == "ok" and [lv["value"] for lv in record["levels"]] == [1, 2]


def test_bench_launches_its_own_server(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    code = main(
        [
            "bench",
            "--model-repository",
            str(repo),
            "-m",
            "add_sub",
            "-b",
            "2",
            "-p",
            "500",
            "-s",
            str(ANY_STABILITY),
            "-r",
            "10",
            "--percentile",
            "95",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Inferences/Second vs. Client p95 Batch Latency" in out
    assert "    Avg latency" not in out  # replaced by the percentile, as perf_analyzer does
