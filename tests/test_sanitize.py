"""Nothing a server, a log or a file says reaches the terminal as a control sequence (issue 13).

A real HTTP server that is not Triton (the standard library's, on 127.0.0.1) answers every request
with escape codes, in a JSON error and as raw bytes; the headless CLI and the console attach to it.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import DataTable, TextArea

from tests.conftest import ROOT, copy_demo
from tests.helpers import screen_text, toasts, until
from tui.app import TritonTUI
from tui.core.logs.store import LogStore
from tui.core.modelconfig import read_config
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.core.util.linebuffer import LineBuffer
from tui.core.util.sanitize import clean, clean_line

EVIL = (
    "\x1b]0;PWNED\x07"  # OSC: set the window title
    "\x1b[2J\x1b[31mred"  # CSI: clear the screen, colour
    "\x9b31m"  # 8-bit CSI
    "\x1bP1;2|payload\x1b\\"  # DCS ... ST
    "\r\x08done"  # carriage return and backspace overwrite what came before
)
CONTROL = ("\x1b", "\x07", "\x9b", "\r", "\x08")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (EVIL, "reddone"),
        ("\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
        ("tab\tand\nnewline kept", "tab\tand\nnewline kept"),
        ("日本語 ünïcode ✓ 🚀", "日本語 ünïcode ✓ 🚀"),
        ("nul\x00 del\x7f c1\x85 lone esc\x1b", "nul del c1 lone esc"),
        ("bidi \u202eevil\u202c", "bidi evil"),
        ("unterminated \x1b]0;title", "unterminated "),
    ],
)
def test_clean(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_clean_line_is_one_line() -> None:
    assert clean_line("a\n\tb\x1b[1mc") == "a bc"


class _NotTriton(http.server.BaseHTTPRequestHandler):
    mode = "json"

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/v2/health"):
            status, body = 200, b""
        elif self.path == "/v2":
            status, body = 200, json.dumps({"name": EVIL, "version": EVIL}).encode()
        elif self.mode == "json":
            status, body = 400, json.dumps({"error": EVIL}).encode()
        else:
            status, body = 500, EVIL.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(params=["json", "raw"])
def not_triton(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (_NotTriton,), {"mode": request.param})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_cli_attached_to_not_triton_prints_no_control(not_triton: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tui", "coldstart", "-u", not_triton, "-m", "x"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = out.stdout + out.stderr
    assert out.returncode != 0 and said.strip()
    assert not any(c in said for c in CONTROL), repr(said)


def _screen_text(app: TritonTUI) -> str:
    """What the console draws, its notifications included (drawn as toasts), and their text in
    full (a toast shows it wrapped)."""
    return screen_text(app) + "\n" + "\n".join(toasts(app))


def test_console_attached_to_not_triton_draws_no_control(not_triton: str) -> None:
    async def run() -> str:
        app = TritonTUI(Session.attach(not_triton), stop_server_on_exit=False, startup_timeout=5)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await until(pilot, lambda: app.server_state != "starting" and toasts(app))
            await pilot.pause(0.5)
            return _screen_text(app)

    drawn = asyncio.run(run())
    assert "done" in drawn  # what the server said is shown, without its control sequences
    assert not any(c in drawn for c in CONTROL), repr(drawn)


def test_log_lines_are_cleaned_on_arrival(tmp_path: Path) -> None:
    line = "I1127 10:00:00.000 1 server.cc:1] \x1b]0;PWNED\x07started\x1b[2K"
    buffer = LineBuffer()
    buffer.append(line)
    assert buffer.snapshot() == [(1, "I1127 10:00:00.000 1 server.cc:1] started")]
    store = LogStore()
    store.extend([line])
    assert store.visible_lines() == ["I1127 10:00:00.000 1 server.cc:1] started"]


def test_console_follows_a_log_file_with_a_title_sequence(tmp_path: Path, not_triton: str) -> None:
    log = tmp_path / "server.log"
    log.write_text("I1127 10:00:00.000 1 server.cc:1] \x1b]0;PWNED\x07hello\x1b[31m red\n")

    async def run() -> str:
        app = TritonTUI(
            Session.attach(not_triton), stop_server_on_exit=False, startup_timeout=5, log_file=log
        )
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.press("3")
            await until(pilot, lambda: "hello" in _screen_text(app))
            return _screen_text(app)

    drawn = asyncio.run(run())
    assert "hello red" in drawn
    assert not any(c in drawn for c in CONTROL), repr(drawn)


async def test_config_with_escape_codes_is_not_shown_raw(
    demo_server: ServerProcess, tmp_path: Path
) -> None:
    """The editor cannot clean what it edits (saving would change the file unseen): it refuses
    the file and says where the control character is."""
    repo = copy_demo(tmp_path / "models", ("add_sub", "densenet_onnx", "identity_onnx"))
    config = repo / "densenet_onnx" / "config.pbtxt"
    config.write_text(config.read_text() + "# \x1b]0;PWNED\x07 \x1b[2J\n")
    with pytest.raises(OSError, match="U\\+001B at line"):
        read_config(config)
    session = Session(
        client=TritonHTTP(demo_server.http_url), server=demo_server, repositories=[repo]
    )
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=(100, 30)) as pilot:
        table = app.query_one("#model-table", DataTable)
        await until(pilot, lambda: table.row_count >= 3)
        names = [str(k.value) for k in table.rows]
        await pilot.press("1", *["down"] * names.index("densenet_onnx"), "2")
        editor = app.query_one("#config-editor", TextArea)
        await until(pilot, lambda: "control character" in editor.placeholder)
        await pilot.pause(0.3)
        drawn = _screen_text(app)
    assert not any(c in drawn for c in CONTROL), repr(drawn)
