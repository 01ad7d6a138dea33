"""`triton-tui serve` and the console's flags, as a user runs them from a plain shell."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.conftest import ROOT, copy_demo
from tui.core.client import TritonHTTP


def _plain_env() -> dict[str, str]:
    """A shell where the venv is not activated: no VIRTUAL_ENV, no venv on PATH."""
    return {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}


def test_serve_runs_from_plain_shell_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("densenet_onnx", "add_sub"))
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
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            m = re.search(r"ready: http://(\S+)", line)
            url = m.group(1) if m else None
        assert url, "serve never printed its URL"
        index = {m["name"]: m["state"] for m in TritonHTTP(url).repository_index()}
        # densenet_onnx READY proves the stub imported onnxruntime without an activated venv.
        assert index == {"add_sub": "READY", "densenet_onnx": "READY"}
        family = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        _, alive = psutil.wait_procs(family, timeout=10)
        assert not alive
    finally:
        if proc.poll() is None:
            proc.kill()


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_bad_flag_exit_code_3() -> None:
    out = _run("--no-such-flag")
    assert out.returncode == 3
    assert "unrecognized arguments: --no-such-flag" in out.stderr


def test_attach_and_launch_together_refused() -> None:
    # (The console takes both: -u attaches, --model-repository names that server's local files.)
    out = _run("bench", "-m", "m", "-u", "localhost:8000", "--model-repository", "x")
    assert out.returncode == 3 and "either -u" in out.stderr


def test_console_missing_repository_clear_error(tmp_path: Path) -> None:
    out = _run("--model-repository", str(tmp_path / "missing"))
    assert out.returncode == 1
    assert f"model repository {tmp_path / 'missing'} does not exist" in out.stderr


def test_serve_without_repository() -> None:
    out = _run("serve")
    assert out.returncode == 3 and "--model-repository" in out.stderr
