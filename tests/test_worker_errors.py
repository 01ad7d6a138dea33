"""One policy for worker errors: a worker that raises never ends the console (notify, record,
keep running). The console attaches to an HTTP server that answers every request with JSON Triton
never sends (a list where an object belongs), which the client now refuses in words (issue 25), so
the start-up worker's bug is injected: an exception no worker expects.
"""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui.app import TritonTUI
from tui.core.server.session import Session


class _NotTriton(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802
        body = b"[0]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def not_triton() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotTriton)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_a_failing_worker_is_reported_and_the_console_keeps_running(
    not_triton: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def bug(*_args: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'get'")

    monkeypatch.setattr(Session, "wait_ready", bug)
    app = TritonTUI(Session.attach(not_triton))
    async with app.run_test(size=(100, 30)) as pilot:
        deadline = asyncio.get_running_loop().time() + 30
        while not app._notifications:  # what notify() queued (Toasts are not public)
            assert asyncio.get_running_loop().time() < deadline, "no notification"
            await pilot.pause(0.1)
        await pilot.pause(0.5)
        assert app.is_running and app.return_code is None
        said = " ".join(n.message for n in app._notifications)
        assert "AttributeError" in said
        assert app.server_state == "failed"  # the header no longer says STARTING
        await pilot.press("2")  # still answering keys
        await pilot.pause(0.2)
        assert app.is_running
    log = (tmp_path / "triton-tui" / "errors.log").read_text()
    assert "Traceback" in log and "AttributeError" in log
