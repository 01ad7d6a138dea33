"""The response cache, end to end: `--cache-size` for the servers we launch (console, serve and
every subcommand, local or Docker), the embedded server's cache library found, and
`triton-tui bench` on a cached model printing perf_analyzer's cache figures, which must agree
with the server's own statistics."""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bench_repo import CACHED, _clone
from tests.conftest import ANY_STABILITY, ROOT, copy_demo
from tui.cli import UsageError, console_parser
from tui.commands.flags import server_options
from tui.core.modelconfig import lint_text
from tui.core.modelconfig.target import server_target
from tui.core.server.client import TritonHTTP
from tui.core.server.docker_server import DockerServer, DockerSpec
from tui.core.server.launcher import ServerProcess
from tui.core.server.locate import find_tritonserver
from tui.core.server.session import Session
from tui.widgets.server_bar import ServerBar


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def cached_repo(dest: Path) -> Path:
    repo = copy_demo(dest, ("add_sub",))
    _clone(repo, CACHED, "response_cache { enable: true }\n")
    return repo


def test_cache_size_reaches_the_launcher_and_the_cache_library_is_found() -> None:
    args = console_parser().parse_args(["--model-repository", "m", "--cache-size", "256m"])
    args.server_args = []
    spec = server_options(args).launch_spec()
    assert spec.cache_size == 256 << 20
    server = ServerProcess(spec, find_tritonserver())
    command = server.command()
    assert "--cache-config=local,size=268435456" in command
    target = server_target(server)  # lint knows the launched server has a cache
    assert target is not None and target.cache is True
    header = ServerBar(Session.of_server(server)).render().plain  # and the header says so
    assert "cache 256.0 MiB" in header, header
    assert "cache" not in ServerBar(Session.attach("localhost:8000")).render().plain
    if server.binary is not None and server.binary.source == "embedded":  # the wheel's library
        (folder,) = [a.split("=", 1)[1] for a in command if a.startswith("--cache-directory=")]
        assert (Path(folder) / "local" / "libtritoncache_local.so").is_file()
    # Docker: the same flag (the NGC image has /opt/tritonserver/caches, the default)
    docker = DockerServer(DockerSpec(image="i", cache_size=1 << 20))
    assert "--cache-config=local,size=1048576" in docker.command({})
    # without the option, no cache is configured
    assert not any(
        a.startswith("--cache-config") for a in DockerServer(DockerSpec("i")).command({})
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--model-repository", "x", "--cache-size", "lots"], "expected a size in bytes"),
        (["serve", "--model-repository", "x", "--cache-size", "-5"], "expected a size in bytes"),
        (["--model-repository", "x", "--cache-size", "0"], "the cache needs some bytes"),
        (["bench", "-m", "m", "-u", "localhost:8000", "--cache-size", "1m"], "not one we attach"),
        (
            ["serve", "--model-repository", "x", "--cache-size", "1m", "--"]
            + ["--cache-config=local,size=5"],
            "cannot be combined",
        ),
    ],
)
def test_bad_cache_size_exits_3_in_words(args: list[str], message: str) -> None:
    out = _run(*args)
    assert out.returncode == 3, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr


def test_cache_size_units() -> None:
    from tui.commands.flags import cache_size

    assert [cache_size(t) for t in ("1048576", "64k", "256M", "1GiB", "2g")] == [
        1 << 20,
        64 << 10,
        256 << 20,
        1 << 30,
        2 << 30,
    ]
    with pytest.raises(UsageError):
        console_parser().parse_args(["--cache-size", "1.5g"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`triton-tui serve --cache-size 1m` on add_sub and its cached clone; yields its HTTP URL."""
    repo = cached_repo(tmp_path_factory.mktemp("cache") / "models")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--model-repository", str(repo)]
        + ["--cache-size", "1m"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    url = None
    said = []
    for line in proc.stderr:
        said.append(line)
        m = re.search(r"ready: http://(\S+)", line)
        if m:
            url = m[1]
            break
    try:
        assert url, "serve never became ready:\n" + "".join(said)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


def _stats(url: str, model: str) -> dict[str, Any]:
    (entry,) = TritonHTTP(url).model_stats(model)
    return entry


def test_bench_shows_cache_hits_that_match_the_server(served: str, tmp_path: Path) -> None:
    out_csv, out_json = tmp_path / "b.csv", tmp_path / "b.json"
    flags = ["-u", served, "-p", "500", "-s", str(ANY_STABILITY), "-f", str(out_csv)]
    flags += ["--json", str(out_json)]
    proc = _run("bench", "-m", CACHED, *flags)
    assert proc.returncode == 0, proc.stderr
    (level,) = json.loads(out_json.read_text())["levels"]
    srv = level["server"]
    assert level["response_cache"] is True
    # one input repeated: every request is a hit (the one miss came first, maybe in warm-up)
    assert srv["cache_hit_count"] > 0 and srv["cache_miss_count"] <= 1
    assert srv["cache_hit_count"] + srv["cache_miss_count"] == srv["success_count"]
    # the console's lines, as perf_analyzer prints them, with those counts
    text = proc.stdout
    assert f"    Cache hit count: {srv['cache_hit_count']}\n" in text
    assert f"    Cache miss count: {srv['cache_miss_count']}\n" in text
    assert re.search(r"\(overhead \d+ usec \+ queue \d+ usec \+ cache hit/miss \d+ usec\)", text)
    assert re.search(r"\n      Average Cache Hit Latency: \d+ usec\n", text)
    assert re.search(r"\n      Average Cache Miss Latency: \d+ usec \(cache lookup/insertion", text)
    header, row = list(csv.reader(out_csv.read_text().splitlines()))
    assert header[8:11] == ["Server Cache Hit", "Server Cache Miss", "Client Recv"]
    assert int(row[8]) == srv["cache_hit_us"]
    # the server's own statistics: the model ran once; every other request was a hit
    stats = _stats(served, CACHED)["inference_stats"]
    assert stats["cache_miss"]["count"] == 1 and stats["compute_infer"]["count"] == 1
    assert stats["cache_hit"]["count"] == stats["success"]["count"] - 1
    assert stats["cache_hit"]["count"] >= srv["cache_hit_count"]


def test_a_server_with_a_cache_is_a_target_that_has_one(served: str) -> None:
    """Attached to the `serve --cache-size` server: its command line shows the cache, so lint
    does not warn about response_cache."""
    target = server_target(None, served)
    assert target is not None and target.cache is True
    config = Path(ROOT / "assets" / "models" / "add_sub" / "config.pbtxt").read_text()
    assert lint_text(config + "response_cache { enable: true }\n", target=target) == []


def test_uncached_model_on_a_cached_server_has_no_cache_figures(
    served: str, tmp_path: Path
) -> None:
    out_csv = tmp_path / "b.csv"
    flags = ["-u", served, "-p", "300", "-s", str(ANY_STABILITY), "-f", str(out_csv)]
    proc = _run("bench", "-m", "add_sub", *flags)
    assert proc.returncode == 0, proc.stderr
    assert "Cache hit" not in proc.stdout and "Server Cache" not in out_csv.read_text()
    assert "cache_hit" not in _stats(served, "add_sub")["inference_stats"] or (
        _stats(served, "add_sub")["inference_stats"]["cache_hit"].get("count", 0) == 0
    )


@pytest.mark.docker
def test_docker_server_with_cache_size_caches(tmp_path: Path) -> None:
    """`--launch-mode docker --cache-size`: the container's tritonserver gets the same flag (here
    the embedded server mounted into a bare image, its cache library found like the local one;
    an NGC image has it in /opt/tritonserver/caches, tritonserver's default)."""
    from tests.docker_support import embedded_spec, engine, ensure_image

    ensure_image(engine())
    server = DockerServer(embedded_spec(cached_repo(tmp_path / "models"), cache_size=1 << 20))
    server.start()
    try:
        server.wait_ready(90)
        client = TritonHTTP(server.http_url)
        deadline = time.monotonic() + 90
        while not client.model_ready(CACHED) and time.monotonic() < deadline:
            time.sleep(0.2)
        tensor = {"datatype": "FP32", "shape": [1, 4], "data": [1.0, 2.0, 3.0, 4.0]}
        body = {"inputs": [{"name": n, **tensor} for n in ("INPUT0", "INPUT1")]}
        for _ in range(3):
            client.call("POST", f"/v2/models/{CACHED}/infer", body, timeout=30)
        stats = _stats(server.http_url, CACHED)["inference_stats"]
        assert (stats["cache_miss"]["count"], stats["cache_hit"]["count"]) == (1, 2)
    finally:
        server.stop()


async def test_bench_pane_shows_the_cache_hit_rate(served: str) -> None:
    """The Benchmark pane on the cached model: the table's hit-rate column; blank for a model
    without the cache."""
    from textual.widgets import DataTable, Select, TabbedContent

    from tests.test_bench_pane import _status, _type, _until
    from tui.app import TritonTUI
    from tui.core.server.session import Session
    from tui.panes.bench import BenchPane
    from tui.panes.bench_results import COLUMNS

    app = TritonTUI(Session.attach(served), stop_server_on_exit=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await _until(pilot, lambda: app.server_state == "ready")
        await pilot.press("5")
        await _until(pilot, lambda: app.query_one("#panes", TabbedContent).active == "bench")
        pane = app.query_one(BenchPane)
        table = pane.query_one(DataTable)
        select = pane.query_one("#bench-model", Select)
        await _until(pilot, lambda: CACHED in str(select._options))
        for runs, (model, want) in enumerate(((CACHED, "100%"), ("add_sub", "")), 1):
            select.value = model
            await _type(pilot, "#bench-range", "1")
            await _type(pilot, "#bench-window", "300")
            await _type(pilot, "#bench-stability", str(ANY_STABILITY))
            await pilot.pause(0.5)
            await pilot.click("#bench-start")
            await _until(pilot, lambda n=runs: len(pane.runs) == n and pane.current is None, 60)
            assert pane.runs[-1].config.model == model and table.row_count == 1, _status(pane)
            row = table.get_row_at(0)
            assert row[COLUMNS.index("cache hits")] == want, (model, row)
