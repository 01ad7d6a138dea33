"""End to end in a real terminal (tmux, 80×24, the real server): the keyboard journeys of issue 12.

Each test types keys into `python -m tui` running in its own tmux server and reads the screen.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_lifecycle import Terminal

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.models("add_sub", "identity_onnx"),
]


class Keys(Terminal):
    def press(self, *keys: str, pause: float = 0.4) -> None:
        for key in keys:
            self.tmux("send-keys", key)
            time.sleep(pause)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-l", text)
        time.sleep(0.5)

    def wait_gone(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text not in screen:
                return screen
            time.sleep(0.3)
        raise AssertionError(f"{text!r} stayed; screen was:\n{self.screen()}")


@pytest.fixture
def term(tmp_path: Path, repo: Path) -> Iterator[Keys]:
    command = [sys.executable, "-m", "tui", "--model-repository", str(repo)]
    console = Keys(f"keys-{tmp_path.name}", command, size=(80, 24))
    try:
        console.wait_for("LIVE", timeout=90)
        screen = console.wait_for("identity_onnx", timeout=60)
        deadline = time.monotonic() + 60
        while screen.count("READY") < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
            screen = console.screen()
        yield console
    finally:
        console.close()


def test_one_key_benchmark_infer_and_palette_commands(term: Keys) -> None:
    term.press("j")  # identity_onnx
    term.press("b")
    screen = term.wait_for("identity_onnx level 1", timeout=60)
    assert "ETA" in screen
    term.press("Escape")
    term.wait_for("cancelled", timeout=60)
    term.press("1")
    term.press("C-p")  # the palette, by ctrl+p
    term.type("load add")
    term.wait_for("load add_sub")
    term.press("Enter")
    term.wait_for("add_sub loaded", timeout=60)
    term.press(":")  # and by `:`
    term.type("bench iden")
    term.wait_for("bench identity_onnx")
    term.press("Enter")
    term.wait_for("identity_onnx level 1", timeout=60)
    term.press("Escape")
    term.wait_for("cancelled", timeout=60)
    # Infer with `i` on the selected model, verify from the palette (issue 20), at 80x24.
    term.press("1")
    term.press("k", "j")  # identity_onnx, the second row, wherever the palette left the cursor
    term.wait_for("identity_onnx  READY  version", timeout=30)  # the selection has followed
    term.press("i")
    # (OUTPUT0 FP32 is in the repository's detail too: wait for the infer screen's own line.)
    screen = term.wait_for("over HTTP: client", timeout=60)
    assert (
        "OUTPUT0  FP32" in screen
        and "Infer identity_onnx" in screen
        and "identity_onnx over HTTP: client" in screen
    )
    term.press("Escape")
    term.press(":")
    term.type("verify iden")
    term.wait_for("verify identity_onnx")
    term.press("Enter")
    screen = term.wait_for("agree: every output within", timeout=60)
    assert "OUTPUT0: ok" in screen


def test_unload_asks_state_fits_and_detail_follows_apply(term: Keys, repo: Path) -> None:
    term.press("u")
    term.wait_for("Unload add_sub?")
    term.press("Escape")
    term.wait_gone("Unload add_sub?")
    term.press("u")
    term.wait_for("Unload add_sub?")
    term.press("u")
    screen = term.wait_for("NOT LOADED", timeout=60)  # the whole word, at 80 columns
    assert "add_sub" in screen
    term.press("l")
    term.wait_for("add_sub loaded", timeout=60)
    # A changed config applied from the config pane: the repository detail shows it.
    config = repo / "add_sub" / "config.pbtxt"
    config.write_text(config.read_text().replace("max_batch_size: 8", "max_batch_size: 16"))
    term.press("e")  # the selected model's config
    term.wait_for("max_batch_size: 16", timeout=30)
    term.press("F5")
    term.wait_for("add_sub is READY", timeout=90)
    term.press("1")
    # The served config's first line in the detail (its heading may sit under a toast).
    term.wait_for('name: "add_sub"', timeout=30)
    term.press("Tab", "PageDown")  # the detail, one page down: the config in effect
    term.wait_for("max_batch_size: 16", timeout=30)


def test_logs_open_at_the_tail_search_counts_and_escape_closes_help(term: Keys) -> None:
    term.press("3", pause=1.5)  # the logs view takes the focus once shown
    screen = term.wait_for("FOLLOW")
    assert "Started Metrics Service" in screen  # the last line so far: the tail, not line 1
    term.press("/")
    term.type("loaded")
    term.press("Enter")
    term.wait_for("match 1/")
    term.press("1")
    term.press("?")
    term.wait_for("The model under the cursor")
    term.press("Escape")
    term.wait_gone("The model under the cursor")
