"""Differential tests: the real perf_analyzer 2.41 and `triton-tui bench` on one embedded server.

Same model, protocol and flags through both tools, HTTP and gRPC, concurrency and request rate,
on add_sub, the demo's cheap ONNX model, an ensemble of two python models and add_sub with the
response cache enabled (the server is launched with a local cache). The CSVs must have
identical headers and the same levels, rows ordered by throughput (perf_analyzer's rule; under a
request rate, where throughput follows the schedule, the very same order), and figures that agree
within a tolerance.

Tolerance, from repeated runs on this shared 2-core machine (other sessions loading it all the
while). Three alternating rounds of both tools (`-p 500 -s 50`): perf_analyzer against *itself*
varied 2.5x between rounds on add_sub at concurrency 1 (1857-4580 infer/s) and 5x on the ONNX
model (260-1300 infer/s, p50 688-3986 usec); ours alike. Then these very cases, each tool's best of
two back-to-back runs (a run is slowed by a burst of load, rarely sped up), repeated: ours/theirs
ranged 0.65-2.84 in throughput, 0.46-1.68 in p50 and 0.21-1.86 in the server's compute time (the
server itself is slowed in bursts; ours is also steadily faster than perf_analyzer over HTTP,
1.2-1.9x at concurrency 1, and slower over gRPC, 0.65-0.71x at concurrency 4). So client figures
must agree within FACTOR = 4 and the server's compute time within SERVER_FACTOR = 6: loose, but
still failing every error of kind (batch counted twice, usec against msec, requests lost from a
window, a composing model missed, a client that cannot keep up at all). Request rate is held by
the schedule more than by the machine: ours must deliver it within RATE_TOL (10 %; seen: ours
within 1 %, perf_analyzer up to 3.4 % short when a burst of load delayed its sends), or, where
the machine could not, come within RATE_TOL of what perf_analyzer delivered in the same spells
(CI once saw perf_analyzer 25 % short at 300/s over gRPC while the other test worker ran); each
tool's best of two alternating runs, as for concurrency.
`-s 100` (both tools) keeps a level from being dropped as unstable in a burst of load.
The cached model: every request repeats one input, so all but the first are cache hits in both
tools, and perf_analyzer's cache columns (it adds them when the config enables response_cache)
must be in the header. Its "Server Compute Infer" is the one miss's compute time, or 0 when that
miss fell outside the measured windows (perf_analyzer 17221 usec against our 0 in one run): not
compared; "Server Cache Hit" (a lookup, ~1 usec) is, within SERVER_FACTOR.
An ensemble's server columns are its own statistics in both tools' CSVs (the consoles show the
composing models' sums): for the ensemble over the cached model, which is not cached itself,
the cache columns are 0 in both, compared exactly (the sums would show the composing model's
cache lookups, 1-2 usec). Not compared: the client send/recv columns (each tool times its
own client library).
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bench_repo import (
    CACHE_SIZE,
    CACHED,
    CACHED_ENSEMBLE,
    ENSEMBLE,
    ONNX_MODEL,
    build_bench_repo,
)
from tests.conftest import ROOT
from tools.perf_analyzer import InstallError, PerfAnalyzer, install
from tui.core.server.launcher import LaunchSpec, ServerProcess

FACTOR = 4.0
SERVER_FACTOR = 6.0
RATE_TOL = 0.10
FLAGS = ["-p", "500", "-s", "100", "-r", "10"]
CASES = [
    ("add_sub", "http", ["--concurrency-range", "1:4:3"]),
    ("add_sub", "grpc", ["--concurrency-range", "4"]),
    ("add_sub", "http", ["--request-rate-range", "200:400:200"]),
    ("add_sub", "grpc", ["--request-rate-range", "300"]),
    (ONNX_MODEL, "http", ["--concurrency-range", "1"]),
    (ENSEMBLE, "http", ["--concurrency-range", "2"]),
    (CACHED, "http", ["--concurrency-range", "1"]),
    (CACHED, "grpc", ["--concurrency-range", "2"]),
    (CACHED_ENSEMBLE, "http", ["--concurrency-range", "2"]),
    # inputs and outputs in system shared memory (both tools register and remove the regions)
    (ONNX_MODEL, "grpc", ["--concurrency-range", "2", "--shared-memory", "system"]),
]


@pytest.fixture(scope="session")
def perf_analyzer() -> PerfAnalyzer:
    """The real perf_analyzer (installed into ~/.cache/triton-tui/tools on first use). Where it
    cannot be installed the tests skip, saying why; CI sets TRITON_TUI_REQUIRE_PERF_ANALYZER=1 so
    that they fail instead."""
    try:
        return install()
    except (InstallError, OSError, subprocess.SubprocessError) as exc:
        if os.environ.get("TRITON_TUI_REQUIRE_PERF_ANALYZER") == "1":
            pytest.fail(f"perf_analyzer cannot be installed: {exc}")
        pytest.skip(f"perf_analyzer cannot be installed here: {exc}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    repo = build_bench_repo(tmp_path_factory.mktemp("pa") / "models")
    server = ServerProcess(LaunchSpec([repo], cache_size=CACHE_SIZE))
    server.start()
    try:
        server.wait_ready(120)
        yield server
    finally:
        server.stop()


def _tool(cmd: list[str], env: dict[str, str]) -> str:
    """Run a tool, its stdout; one retry when it finds no stable measurement (exit 2) on the
    busy machine."""
    for _ in range(2):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
        if proc.returncode != 2:
            break
    assert proc.returncode == 0, f"{cmd[0]} exited {proc.returncode}: {proc.stderr[-800:]}"
    return proc.stdout


def _run(cmd: list[str], env: dict[str, str], out: Path) -> list[list[str]]:
    """Run a tool (as `_tool`), its CSV file's rows."""
    out.unlink(missing_ok=True)
    _tool(cmd, env)
    return list(csv.reader(out.read_text().splitlines()))


def _best(runs: list[list[list[str]]]) -> list[list[str]]:
    """Per level, the run with the highest throughput, rows sorted by throughput again."""
    best: dict[str, list[str]] = {}
    for rows in runs:
        assert rows[0] == runs[0][0]
        for row in rows[1:]:
            if row[0] not in best or float(row[1]) > float(best[row[0]][1]):
                best[row[0]] = row
    return [runs[0][0], *sorted(best.values(), key=lambda r: float(r[1]))]


def rate_kept(target: float, theirs: float, ours: float) -> bool:
    """Ours delivered the scheduled rate, or came as near it as perf_analyzer did in the same
    spells of load (where the machine could not keep the schedule), within RATE_TOL."""
    return (1 - RATE_TOL) * min(target, theirs) <= ours <= (1 + RATE_TOL) * target


def _sorted_by_throughput(rows: list[list[str]]) -> bool:
    return [float(r[1]) for r in rows[1:]] == sorted(float(r[1]) for r in rows[1:])


@pytest.mark.parametrize(("model", "protocol", "load"), CASES)
def test_same_figures_as_perf_analyzer(
    perf_analyzer: PerfAnalyzer,
    server: ServerProcess,
    tmp_path: Path,
    model: str,
    protocol: str,
    load: list[str],
) -> None:
    url = server.grpc_url if protocol == "grpc" else server.http_url
    args = ["-m", model, "-u", url, "-i", protocol, *load, *FLAGS]
    ours_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ours_cmd = [sys.executable, "-m", "tui", "bench", *args, "--metrics-url", server.metrics_url]
    rate = load[0] == "--request-rate-range"
    theirs, ours = [], []
    for i in range(2):  # alternate, so both meet the same spells of load
        pa_csv, our_csv = tmp_path / f"pa{i}.csv", tmp_path / f"ours{i}.csv"
        theirs.append(
            _run(perf_analyzer.command(*args, "-f", str(pa_csv)), perf_analyzer.env, pa_csv)
        )
        ours.append(_run([*ours_cmd, "-f", str(our_csv)], ours_env, our_csv))
    assert all(_sorted_by_throughput(rows) for rows in theirs + ours)  # both tools' row order
    if rate:  # throughput follows the schedule, so the order is known: identical
        assert [r[0] for r in ours[0]] == [r[0] for r in theirs[0]]
    pa_rows, our_rows = _best(theirs), _best(ours)
    assert our_rows[0] == pa_rows[0]  # identical header
    assert sorted(r[0] for r in our_rows[1:]) == sorted(r[0] for r in pa_rows[1:])
    our_rows = [
        our_rows[0],
        *sorted(our_rows[1:], key=lambda r: [p[0] for p in pa_rows].index(r[0])),
    ]
    col = {name: i for i, name in enumerate(pa_rows[0])}
    compared = ["Inferences/Second", "p50 latency"]
    compared.append("Server Cache Hit" if model == CACHED else "Server Compute Infer")
    if model in (CACHED, CACHED_ENSEMBLE):
        assert "Server Cache Hit" in col and "Server Cache Miss" in col
    if model == CACHED_ENSEMBLE:  # the ensemble's own figures: it is not cached itself
        for pa_row, our_row in zip(pa_rows[1:], our_rows[1:], strict=True):
            for name in ("Server Cache Hit", "Server Cache Miss"):
                assert our_row[col[name]] == pa_row[col[name]] == "0", (name, pa_row, our_row)
    for pa_row, our_row in zip(pa_rows[1:], our_rows[1:], strict=True):
        for name in compared:
            a, b = float(pa_row[col[name]]), float(our_row[col[name]])
            if rate and name == "Inferences/Second":
                assert rate_kept(float(pa_row[0]), a, b), (name, pa_row, our_row)
                continue
            factor = SERVER_FACTOR if name.startswith("Server") else FACTOR
            assert max(a, 1) / factor <= max(b, 1) <= max(a, 1) * factor, (name, pa_row, our_row)


def _shape(text: str) -> list[str]:
    """Lines with their numbers blanked."""
    return [re.sub(r"\d+(\.\d+)?", "N", line) for line in text.splitlines()]


def _server_part(text: str) -> list[str]:
    """The first level's lines from "  Server: " to the next level (or the summary)."""
    lines = _shape(text)
    start = lines.index("  Server: ")
    end = next(i for i, line in enumerate(lines) if i > start and line and not line.startswith(" "))
    return lines[start:end]


@pytest.mark.parametrize("model", ["add_sub", ENSEMBLE, CACHED_ENSEMBLE])
def test_same_console_layout_as_perf_analyzer(
    perf_analyzer: PerfAnalyzer, server: ServerProcess, model: str
) -> None:
    """Server blocks line for line, blank lines included (one after an ensemble's own block and
    after each composing model's), and nothing after the summary's last line."""
    args = ["-m", model, "-u", server.http_url, "--concurrency-range", "1", *FLAGS]
    ours_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    theirs = _tool(perf_analyzer.command(*args), perf_analyzer.env)
    ours = _tool([sys.executable, "-m", "tui", "bench", *args], ours_env)
    assert _server_part(ours) == _server_part(theirs)
    assert _shape(ours)[-3:] == _shape(theirs)[-3:]


@pytest.mark.parametrize(
    ("data", "ours_say"),
    [
        ("{", "not valid JSON"),
        ('{"x": 1}', "expected"),
        ('{"data": [{"X": [1.0]}]}', "lacks input(s) INPUT0, INPUT1"),
        ('{"data": [{"INPUT0": [1.0, 2.0, 3.0], "INPUT1": [1.0, 2.0, 3.0, 4.0]}]}', "do not fill"),
    ],
)
def test_bad_input_data_exits_as_perf_analyzer(
    perf_analyzer: PerfAnalyzer, server: ServerProcess, tmp_path: Path, data: str, ours_say: str
) -> None:
    """A data file whose contents do not fit the model: both tools refuse it with exit 99 (not
    3, the code for bad options), ours saying what is wrong."""
    path = tmp_path / "data.json"
    path.write_text(data)
    args = ["-m", "add_sub", "-u", server.http_url, "--input-data", str(path), "-p", "300"]
    theirs = subprocess.run(
        perf_analyzer.command(*args), env=perf_analyzer.env, capture_output=True, timeout=120
    )
    ours = subprocess.run(
        [sys.executable, "-m", "tui", "bench", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert theirs.returncode == ours.returncode == 99, (theirs.returncode, ours.stderr)
    assert ours_say in ours.stderr
