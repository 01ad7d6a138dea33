"""End to end in a real terminal (tmux, 80×24, the real server): the console never traps the
keyboard and never shows a stale state (issue 24).

One console on a server it launched serves the journeys in file order (focus rules and clipping,
an unstable benchmark, the cold-start keys, then a restart after SIGKILL); one console attached
with -u sees its server stop and come back. Assertions read the screen; no bound on time is
asserted (the machine is shared), only what the screen says once it says it.
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from tests.conftest import copy_demo
from tests.test_e2e_keys import Keys
from tui.core.server.launcher import LaunchSpec, ServerProcess

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def footer(screen: str) -> str:
    return screen.rstrip("\n").splitlines()[-1]


def wait_footer(term: Keys, text: str, present: bool = True, timeout: float = 10) -> str:
    """The footer once it does (or no longer does) show `text`: it follows the focus a frame
    or more after the key that moved it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = footer(term.screen())
        if (text in line) == present:
            return line
        time.sleep(0.2)
    raise AssertionError(f"footer never {'showed' if present else 'lost'} {text!r}: {line!r}")


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keys]:
    repo = copy_demo(tmp_path_factory.mktemp("trust") / "models", ("add_sub",))
    command = [sys.executable, "-m", "tui", "--model-repository", str(repo)]
    console = Keys(f"trust-{repo.parent.name}", command, size=(80, 24))
    try:
        console.wait_for("LIVE", timeout=90)
        console.wait_for("READY", timeout=60)
        yield console
    finally:
        console.close()


def test_focus_leaves_fields_and_runs_take_it(launched: Keys) -> None:
    term = launched
    term.press("5")
    term.wait_for("Enter in any field", timeout=30)
    term.wait_for("^s Start", timeout=10)  # the focus is in the pane (on its model list)
    term.press("Tab")  # from the model list into the concurrency field
    # In a field the footer says how to get out, and how to switch panes anyway.
    assert "alt+1…6 Panes" in wait_footer(term, "esc Leave field")
    term.type("1")  # the field's text is selected on focus: typing replaces it
    term.press("Tab")
    term.type("100")
    term.press("Tab", "Tab")
    term.type("0.01")  # stab%: no three windows agree that closely, the level stays unstable
    term.press("Enter")  # starts; the results take the focus
    term.wait_for("run 1 · add_sub", timeout=30)
    wait_footer(term, "esc Cancel run")  # the results have the focus
    screen = term.screen()
    assert re.search(r"Runni(?!ng…)", screen) is None  # the button's label is not cut
    term.press("6")  # a pane key, not a digit typed into stab%
    term.wait_for("p99≤ms", timeout=10)
    term.press("5")
    screen = term.wait_for("never held still", timeout=90)
    assert "stab% 0.01 " in screen and "0.016" not in screen
    # The unstable level is kept: its last windows in the table, the spread in the pane's words.
    screen = term.wait_for("✗w", timeout=10)
    assert "Raise ms (now 100)" in screen
    assert "--measurement-interval" not in screen
    assert " cache" in screen and "export to: a path, or the cache" in screen
    # Esc leaves a field (the footer is whole again); alt+digit leaves a field for a pane.
    term.press("Tab")
    wait_footer(term, "esc Leave field")
    term.press("Escape")
    assert "q Quit" in wait_footer(term, "Leave field", present=False)
    for _ in range(3):  # from the results back over the Start button into stab%
        term.press("BTab")
        if "Leave field" in footer(term.screen()):
            break
    wait_footer(term, "esc Leave field")
    term.press("M-3")
    term.wait_for("FOLLOW", timeout=10)
    # Every pane's footer fits at 80 columns: its own keys, then Help and the palette.
    for key, own in (
        ("1", "d Deploy"),
        ("2", "f5 Apply"),
        ("6", "a Apply"),
        ("3", "f Follow"),
    ):
        term.press(key)
        line = wait_footer(term, own)
        assert "? Help" in line and "^p Commands" in line, line


def test_cold_start_keys_navigate_and_never_probe(launched: Keys) -> None:
    term = launched
    term.press("3")
    term.press("c")
    term.wait_for("Loads seen in the server log", timeout=10)
    assert "/ Search" not in wait_footer(term, "esc Back to log")
    term.press("c")  # c navigates back; it never probes (that unloads the model)
    screen = term.wait_gone("Loads seen in the server log", timeout=10)
    assert "probing" not in screen and "unloading" not in screen
    term.press("c")
    term.wait_for("Loads seen in the server log", timeout=10)
    term.press("Tab", "Tab")  # into the probe's N field
    wait_footer(term, "esc Leave field")
    term.press("Escape")  # leaves the field
    wait_footer(term, "esc Back to log")
    term.press("Escape")  # and a second Esc goes back to the log
    screen = term.wait_gone("Loads seen in the server log", timeout=10)
    assert "FOLLOW" in screen


def test_restart_after_sigkill_keeps_the_panes(launched: Keys) -> None:
    term = launched
    console = term.console_process()
    server = next(p for p in console.children() if p.name() == "tritonserver")
    port = next(c.laddr.port for c in server.net_connections("tcp") if c.status == "LISTEN")
    server.kill()
    psutil.wait_procs([server], timeout=30)
    screen = term.wait_for("killed by SIGKILL", timeout=30)
    said = " ".join(screen.split())  # the hint may wrap onto the header's next line
    assert "FAILED" in screen and "R restarts it" in said  # the header says how
    term.press("1")
    wait_footer(term, "R Restart server")  # the repository's server keys made room for it
    term.press("R")
    term.wait_for("LIVE", timeout=90)
    restarted = next(p for p in console.children() if p.name() == "tritonserver")
    assert restarted.pid != server.pid
    ports = {c.laddr.port for c in restarted.net_connections("tcp") if c.status == "LISTEN"}
    assert port in ports  # the same flags and ports
    term.press("5")
    term.wait_for("run 1 · add_sub", timeout=10)  # the benchmark pane kept its run


@pytest.fixture(scope="module")
def attached(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Keys, ServerProcess]]:
    repo = copy_demo(tmp_path_factory.mktemp("attach") / "models", ("add_sub",))
    server = ServerProcess(LaunchSpec([repo]))
    server.start()
    try:
        server.wait_ready(90)
        command = [sys.executable, "-m", "tui", "-u", server.http_url]
        command += ["--metrics-url", server.metrics_url]
        console = Keys(f"attach-{repo.parent.name}", command, size=(80, 24))
        try:
            console.wait_for("LIVE", timeout=60)
            yield console, server
        finally:
            console.close()
    finally:
        server.stop()


def test_attached_server_stopping_and_coming_back(attached: tuple[Keys, ServerProcess]) -> None:
    term, server = attached
    term.wait_for("add_sub", timeout=30)
    server.stop()
    screen = term.wait_for("DOWN", timeout=15)
    assert "LIVE" not in screen
    term.wait_for("Connection refused", timeout=15)
    term.wait_for("not current", timeout=15)  # the list it last had, labelled
    server.restart()  # the same ports: the console finds it by itself
    server.wait_ready(90)
    screen = term.wait_for("reconnected", timeout=30)
    assert "LIVE" in screen and "DOWN" not in screen
