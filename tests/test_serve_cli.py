"""`triton-tui serve` and the console's flags, as a user runs them from a plain shell."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.conftest import FAST_ONNX_MODEL, ROOT, copy_demo
from tests.helpers import CliRun
from tui.core.fleet import registry
from tui.core.server.client import TritonHTTP
from tui.core.server.endpoints import metrics_url_for


def _plain_env() -> dict[str, str]:
    """A shell where the venv is not activated: no VIRTUAL_ENV, no venv on PATH (our cache where
    the tests' is, so the registry they read is serve's)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    if "XDG_CACHE_HOME" in os.environ:
        env["XDG_CACHE_HOME"] = os.environ["XDG_CACHE_HOME"]
    return env


def test_serve_runs_from_plain_shell_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", (FAST_ONNX_MODEL, "add_sub"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--model-repository", str(repo)],
        cwd=ROOT,
        env=_plain_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = None
        deadline = time.monotonic() + 60
        assert proc.stderr is not None
        said: list[str] = []
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:  # serve exited: say how, with what it printed
                break
            said.append(line)
            m = re.search(r"ready: http://(\S+)", line)
            url = m.group(1) if m else None
        assert url, f"serve never printed its URL (exit {proc.poll()}):\n{''.join(said[-15:])}"
        index = {m["name"]: m["state"] for m in TritonHTTP(url).repository_index()}
        # An ONNX model READY proves the python backend stub imported onnxruntime without an
        # activated venv.
        assert index == {"add_sub": "READY", FAST_ONNX_MODEL: "READY"}
        # serve registered its server: `-u URL` finds the random metrics port without copying it
        printed = re.search(r"metrics http://(\S+)/metrics", "".join(said))
        entry = registry.lookup(url)
        assert printed and entry is not None and entry.metrics_url == printed.group(1)
        assert metrics_url_for(url) == printed.group(1) and entry.repository == str(repo)
        family = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert registry.lookup(url) is None and not any(
            e.pid == entry.pid for e in registry.registered()
        )  # unregistered on the way out
        _, alive = psutil.wait_procs(family, timeout=10)
        assert not alive
    finally:
        if proc.poll() is None:
            proc.kill()


def test_bad_flag_exit_code_3(cli: Callable[..., CliRun]) -> None:
    out = cli("--no-such-flag")
    assert out.code == 3
    assert "unrecognized arguments: --no-such-flag" in out.err


def test_attach_and_launch_together_refused(cli: Callable[..., CliRun]) -> None:
    # (The console, deploy, coldstart and tune take both: -u attaches, --model-repository names
    # that server's local files; see test_attach_commands.)
    out = cli("bench", "-m", "m", "-u", "localhost:8000", "--model-repository", "x")
    assert out.code == 3 and "either -u" in out.err


def test_console_missing_repository_clear_error(cli: Callable[..., CliRun], tmp_path: Path) -> None:
    out = cli("--model-repository", str(tmp_path / "missing"))
    assert out.code == 1
    assert f"model repository {tmp_path / 'missing'} does not exist" in out.err


def test_serve_without_repository(cli: Callable[..., CliRun]) -> None:
    out = cli("serve")
    assert out.code == 3 and "--model-repository" in out.err


@pytest.mark.slow
@pytest.mark.parametrize("interrupts", [1, 2])
def test_serve_ctrl_c_during_start_up_is_immediate(tmp_path: Path, interrupts: int) -> None:
    from tests.test_lifecycle import slow_repo

    repo = slow_repo(tmp_path / "models")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--model-repository", str(repo)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in proc.stdout:  # the server's own log, echoed
            if "slow_init" in line and "TRITONBACKEND_ModelInstanceInitialize" in line:
                break
            assert time.monotonic() < deadline, "slow_init never started initialising"
        family = psutil.Process(proc.pid).children(recursive=True)
        started = time.monotonic()
        for _ in range(interrupts):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.2)
        code = proc.wait(timeout=90)
        took = time.monotonic() - started
        assert took < 6, f"serve took {took:.1f} s to stop during start-up"
        assert code == 130
        _, alive = psutil.wait_procs(family, timeout=10)
        assert not alive
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-u", "not a url"], "-u 'not a url': expected HOST:PORT"),
        (["-u", "localhost:99999"], "-u 'localhost:99999': expected HOST:PORT"),
        (["-u", "localhost:8000", "--metrics-url", "x:0"], "--metrics-url 'x:0'"),
        (["--model-repository", "x", "--listen", "localhost"], "not an IP address"),
        (["bench", "-m", "add_sub", "-u", "not a url"], "expected HOST:PORT"),
        (["gpu", "--once", "-u", "not a url"], "expected HOST:PORT"),
        (["serve", "--model-repository", "x", "--listen", "nowhere"], "not an IP address"),
        (["deploy", "model.onnx", "--model-repository", "x", "--name", ""], "cannot be empty"),
    ],
)
def test_bad_addresses_and_names_exit_3_in_words(
    cli: Callable[..., CliRun], args: list[str], message: str
) -> None:
    out = cli(*args)
    assert out.code == 3, out.err
    assert message in out.err
    assert "Traceback" not in out.err + out.out


def _serve_until_ready(repo: Path, *flags: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--model-repository", str(repo), *flags],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    said: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        said.append(line)
        if "ready: " in line:
            return proc, line, said
    proc.kill()
    raise AssertionError("serve never became ready:\n" + "".join(said))


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_serve_listens_on_ipv6_loopback(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("identity_onnx",))
    proc, ready, _ = _serve_until_ready(repo, "--listen", "::1")
    try:
        url = re.search(r"ready: http://(\S+)", ready)
        assert url and url.group(1).startswith("[::1]:")
        assert TritonHTTP(url.group(1)).is_live()
        _stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_serve_on_every_interface_warns_and_says_where(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("identity_onnx",))
    proc, ready, said = _serve_until_ready(repo, "--listen", "0.0.0.0")
    try:
        warning = next((s for s in said if s.startswith("warning: LISTENING ON 0.0.0.0")), "")
        assert "model-control API" in warning
        assert "listening on 0.0.0.0" in ready
        _stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
