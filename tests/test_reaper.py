"""No tritonserver, python backend stub or shared-memory region outlives whoever launched it,
even when that process is killed with SIGKILL while the server is under load."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
import pytest
import tritonclient.http as httpclient

from tests.conftest import ROOT
from tui.core.fleet import registry
from tui.core.server.client import TritonHTTP
from tui.core.server.reaper import session_members, shm_regions

pytestmark = [pytest.mark.slow, pytest.mark.models("add_sub")]


def _http_url(server: psutil.Process) -> str:
    port = next(a.split("=")[1] for a in server.cmdline() if a.startswith("--http-port="))
    return f"127.0.0.1:{port}"


def _server_of(parent: psutil.Process, timeout: float = 90) -> psutil.Process:
    """The tritonserver `parent` launched, once add_sub is ready (its stub running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in parent.children():
            if child.name() == "tritonserver" and TritonHTTP(_http_url(child)).model_ready(
                "add_sub"
            ):
                return child
        time.sleep(0.2)
    raise AssertionError("tritonserver never became live")


def _family(server: psutil.Process) -> list[psutil.Process]:
    family = [server, *server.children(recursive=True)]
    assert any("stub" in p.name() for p in family), "no python stub to watch"
    return family


def _freeze_stubs(family: list[psutil.Process]) -> None:
    """Make the stubs deaf to their server's death, as an orphaned stub is under load: its
    parent-death handling deadlocks (every thread waits on a futex the dead server would have
    released) and it catches SIGTERM to ignore it. Freezing makes that certain, not 2 in 3."""
    for proc in family[1:]:
        proc.suspend()


def _assert_all_gone(family: list[psutil.Process], regions: set[str], timeout: float = 40) -> None:
    _, alive = psutil.wait_procs(family, timeout=timeout)
    assert not alive, f"left behind: {[(p.pid, p.name()) for p in alive]}"
    deadline = time.monotonic() + 10
    while session_members(family[0].pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not session_members(family[0].pid), "processes left in the server's session"
    left = [r for r in regions if Path("/dev/shm", r).exists()]
    assert not left, f"shared-memory regions left in /dev/shm: {left}"


@contextlib.contextmanager
def _under_load(url: str, clients: int = 4) -> Iterator[None]:
    """Keep add_sub busy, as a benchmark does, until the block ends."""
    stop = threading.Event()

    def loop() -> None:
        client = httpclient.InferenceServerClient(url, connection_timeout=5, network_timeout=5)
        inputs = [httpclient.InferInput(n, [1, 4], "FP32") for n in ("INPUT0", "INPUT1")]
        for inp in inputs:
            inp.set_data_from_numpy(np.ones((1, 4), dtype=np.float32))
        while not stop.is_set():
            try:
                client.infer("add_sub", inputs)
            except Exception:  # the server is going away: that is the point
                time.sleep(0.05)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    try:
        yield
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killing_bench_mid_run_leaves_nothing(repo: Path, sig: signal.Signals) -> None:
    bench = subprocess.Popen(
        [sys.executable, "-m", "tui", "bench", "--model-repository", str(repo), "-m", "add_sub"]
        + ["--concurrency-range", "8:8", "-p", "60000"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server = _server_of(psutil.Process(bench.pid))
        family = _family(server)
        regions = shm_regions(server.pid)
        assert regions, "the python backend mapped no shared memory"
        time.sleep(3)  # mid-run: eight clients in flight
        _freeze_stubs(family)
        bench.send_signal(sig)
        bench.wait(timeout=60)
        _assert_all_gone(family, regions)
    finally:
        if bench.poll() is None:
            bench.kill()


def test_kill_9_of_console_under_load_leaves_nothing(repo: Path) -> None:
    from tests.test_lifecycle import Terminal

    term = Terminal("reap", [sys.executable, "-m", "tui", "--model-repository", str(repo)])
    try:
        term.wait_for("READY", timeout=90)
        console = term.console_process()
        server = _server_of(console)
        family = _family(server)
        regions = shm_regions(server.pid)
        assert any(e.pid == server.pid for e in registry.registered())
        with _under_load(_http_url(server)):
            time.sleep(3)
            _freeze_stubs(family)
            os.kill(console.pid, signal.SIGKILL)
            _assert_all_gone(family, regions)
        # the console could not unregister its server: the entry is dropped as stale
        assert all(e.pid != server.pid for e in registry.registered())
    finally:
        term.close()


def test_stop_removes_stubs_the_server_left(repo: Path) -> None:
    """A stub that ignores its server's exit (as under load) is killed and its region removed."""
    from tests.conftest import launch

    server = launch(repo)
    proc = psutil.Process(server.pid)
    family = _family(proc)
    regions = shm_regions(server.pid)
    _freeze_stubs(family)
    os.kill(server.pid, signal.SIGKILL)
    server.stop()
    _assert_all_gone(family, regions)
