"""End to end in a real terminal (tmux): nothing the console starts outlives it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, copy_demo

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """A console running in its own tmux server, driven like a person would."""

    def __init__(self, name: str, command: list[str], size: tuple[int, int] = (100, 30)) -> None:
        self.socket = f"triton-tui-test-{name}-{os.getpid()}"
        env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "NO_COLOR")}
        self.tmux(
            "new-session",
            "-d",
            "-x",
            str(size[0]),
            "-y",
            str(size[1]),
            "-c",
            str(ROOT),
            *command,
            env=env,
        )

    def tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, env=env, timeout=10
        )
        return out.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p")

    def wait_for(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"{text!r} never appeared; screen was:\n{self.screen()}")

    def console_process(self) -> psutil.Process:
        pane_pid = int(self.tmux("list-panes", "-F", "#{pane_pid}").split()[0])
        pane = psutil.Process(pane_pid)
        for proc in [pane, *pane.children(recursive=True)]:
            if "tui" in proc.cmdline() and "python" in proc.name():
                return proc
        raise AssertionError("console process not found")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Terminal]:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    term = Terminal(tmp_path.name, [sys.executable, "-m", "tui", "--model-repository", str(repo)])
    yield term
    term.close()


def _server_family(console: psutil.Process) -> list[psutil.Process]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        servers = [p for p in console.children() if p.name() == "tritonserver"]
        if servers:
            family = [servers[0], *servers[0].children(recursive=True)]
            if len(family) > 1:  # wait for the python backend stub too
                return family
        time.sleep(0.2)
    raise AssertionError("tritonserver (with its python stub) never started")


@pytest.mark.parametrize("how", ["q", "ctrl+c", "SIGTERM", "SIGHUP", "SIGKILL"])
def test_nothing_outlives_the_console(console: Terminal, how: str) -> None:
    console.wait_for("READY", timeout=60)
    proc = console.console_process()
    family = _server_family(proc)
    if how == "q":
        console.tmux("send-keys", "q")
    elif how == "ctrl+c":
        console.tmux("send-keys", "C-c")
    else:
        os.kill(proc.pid, getattr(signal, how))
    _, alive = psutil.wait_procs([proc, *family], timeout=30)
    assert not alive, f"still running after {how}: {[p.cmdline()[:2] for p in alive]}"
