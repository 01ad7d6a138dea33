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
from tui.core.fleet import registry

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


# q: test_quit_returns_the_terminal_at_once_and_still_stops_the_server; SIGKILL (under load):
# test_reaper.py's test_kill_9_of_console_under_load_leaves_nothing. Both check the registry too.
@pytest.mark.parametrize("how", ["ctrl+c", "SIGTERM", "SIGHUP"])
def test_nothing_outlives_the_console(console: Terminal, how: str) -> None:
    console.wait_for("READY", timeout=60)
    proc = console.console_process()
    family = _server_family(proc)
    server_pid = family[0].pid  # registered for `triton-tui fleet` and `-u`
    assert any(e.pid == server_pid for e in registry.registered())
    if how == "q":
        console.tmux("send-keys", "q")
    elif how == "ctrl+c":
        console.tmux("send-keys", "C-c")
    else:
        os.kill(proc.pid, getattr(signal, how))
    _, alive = psutil.wait_procs([proc, *family], timeout=30)
    assert not alive, f"still running after {how}: {[p.cmdline()[:2] for p in alive]}"
    _unregistered(server_pid)


def _unregistered(server_pid: int) -> None:
    """Unregistered on the way out (`registered()` would also drop a stale entry)."""
    assert not (registry.registry_dir() / f"{server_pid}.json").exists()
    assert all(e.pid != server_pid for e in registry.registered())


def _console_with_log(tmp_path: Path, *models: str) -> tuple[Terminal, Path]:
    """A console whose server also writes its log to a file we can read after the end."""
    repo = copy_demo(tmp_path / "models", models)
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "tui", "--model-repository", str(repo)]
    return Terminal(tmp_path.name, [*command, "--", f"--log-file={log}"]), log


def _stopped_gracefully(log: Path, timeout: float = 30) -> bool:
    """The server unloaded its model itself: it was asked to stop, not killed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and "successfully unloaded 'add_sub'" in log.read_text(errors="replace"):
            return True
        time.sleep(0.3)
    return False


@pytest.mark.slow
def test_hang_up_stops_the_server_gracefully(tmp_path: Path) -> None:
    """A dropped SSH link: the terminal disappears (SIGHUP, then EIO on every write)."""
    term, log = _console_with_log(tmp_path, "add_sub")
    try:
        term.wait_for("READY", timeout=90)
        proc = term.console_process()
        family = _server_family(proc)
    finally:
        term.close()  # kills the tmux server: the pane's terminal is gone
    _, alive = psutil.wait_procs([proc, *family], timeout=40)
    assert not alive, f"still running: {[p.cmdline()[:2] for p in alive]}"
    assert _stopped_gracefully(log), log.read_text()[-2000:]


@pytest.mark.slow
def test_quit_returns_the_terminal_at_once_and_still_stops_the_server(tmp_path: Path) -> None:
    term, log = _console_with_log(tmp_path, "add_sub")
    try:
        term.wait_for("READY", timeout=90)
        proc = term.console_process()
        family = _server_family(proc)
        server_pid = family[0].pid  # registered for `triton-tui fleet` and `-u`
        assert any(e.pid == server_pid for e in registry.registered())
        started = time.monotonic()
        term.tmux("send-keys", "q")
        psutil.wait_procs([proc], timeout=30)
        took = time.monotonic() - started
        assert not proc.is_running()
        assert took < 3, f"the console took {took:.1f} s to give the terminal back"
        _, alive = psutil.wait_procs(family, timeout=40)
        assert not alive, f"still running: {[p.cmdline()[:2] for p in alive]}"
        assert _stopped_gracefully(log), log.read_text()[-2000:]
        _unregistered(server_pid)
    finally:
        term.close()


def slow_repo(dest: Path, seconds: int = 90) -> Path:
    """add_sub plus slow_init taking `seconds` to initialise: a server stuck in start-up."""
    repo = copy_demo(dest, ("add_sub", "slow_init"))
    config = repo / "slow_init" / "config.pbtxt"
    text = config.read_text()
    assert 'string_value: "3"' in text
    config.write_text(text.replace('string_value: "3"', f'string_value: "{seconds}"'))
    return repo


@pytest.mark.slow
@pytest.mark.parametrize("keys", [["q"], ["C-c"], ["C-c", "C-c"]])
def test_quit_during_start_up_is_immediate(tmp_path: Path, keys: list[str]) -> None:
    repo = slow_repo(tmp_path / "models")
    term = Terminal(tmp_path.name, [sys.executable, "-m", "tui", "--model-repository", str(repo)])
    try:
        term.wait_for("STARTING", timeout=60)
        proc = term.console_process()
        deadline = time.monotonic() + 60
        while not [p for p in proc.children() if p.name() == "tritonserver"]:
            assert time.monotonic() < deadline, "no tritonserver"
            time.sleep(0.2)
        server = next(p for p in proc.children() if p.name() == "tritonserver")
        time.sleep(3)  # slow_init is initialising now
        family = [server, *server.children(recursive=True)]
        started = time.monotonic()
        for key in keys:
            term.tmux("send-keys", key)
            time.sleep(0.2)
        psutil.wait_procs([proc], timeout=60)
        took = time.monotonic() - started
        assert took < 5, f"the console took {took:.1f} s to quit during start-up"
        _, alive = psutil.wait_procs(family, timeout=20)
        assert not alive, f"still running: {[p.cmdline()[:2] for p in alive]}"
    finally:
        term.close()


@pytest.mark.slow
def test_quit_is_not_held_by_a_blocked_file_read(tmp_path: Path) -> None:
    """A FIFO named config.pbtxt blocks whoever opens it (the server itself, here, for ever);
    quitting must still be immediate and leave nothing behind."""
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    (repo / "fifo" / "1").mkdir(parents=True)
    os.mkfifo(repo / "fifo" / "config.pbtxt")
    term = Terminal(tmp_path.name, [sys.executable, "-m", "tui", "--model-repository", str(repo)])
    try:
        term.wait_for("STARTING", timeout=60)
        proc = term.console_process()
        deadline = time.monotonic() + 60
        while not (servers := [p for p in proc.children() if p.name() == "tritonserver"]):
            assert time.monotonic() < deadline, "no tritonserver"
            time.sleep(0.2)
        time.sleep(5)  # the server is stuck on the FIFO by now
        family = [servers[0], *servers[0].children(recursive=True)]
        started = time.monotonic()
        term.tmux("send-keys", "q")
        _, alive = psutil.wait_procs([proc], timeout=30)
        assert not alive, "the console did not quit"
        took = time.monotonic() - started
        assert took < 5, f"the console took {took:.1f} s to quit"
        _, alive = psutil.wait_procs(family, timeout=40)
        assert not alive, f"still running: {[p.cmdline()[:2] for p in alive]}"
    finally:
        term.close()
