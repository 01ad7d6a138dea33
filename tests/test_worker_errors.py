"""One policy for worker errors: a worker that raises never ends the console (notify, record,
keep running). The console attaches to an HTTP server that answers every request with JSON Triton
never sends (a list where an object belongs), which the client now refuses in words (issue 25), so
the start-up worker's bug is injected: an exception no worker expects.
"""

from __future__ import annotations

import ast
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App

from tests.conftest import ROOT
from tests.helpers import toasts, until
from tui.app import TritonTUI
from tui.core.server.session import Session
from tui.panes import fleet
from tui.workers import work


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
    """The app's own start-up worker and a pane's worker (the Fleet pane's refresh, shown once the
    start-up has failed) both raise: each is shown, recorded, and the console stays."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def bug(*_args: object, **_kwargs: object) -> None:
        raise AttributeError("'NoneType' object has no attribute 'get'")

    def scan_bug(*_args: object, **_kwargs: object) -> None:
        raise KeyError("scan-bug")

    monkeypatch.setattr(Session, "wait_ready", bug)
    monkeypatch.setattr(fleet, "open_source", scan_bug)
    app = TritonTUI(Session.attach(not_triton))
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await until(pilot, lambda: "AttributeError" in " ".join(toasts(app)), what="start-up")
        await pilot.press("0")  # the Fleet pane refreshes when shown
        await until(
            pilot,
            lambda: "scan-bug" in " ".join(toasts(app)),
            what="both failures shown",
        )
        said = " ".join(toasts(app))
        # one toast per failure (the fleet pane may have failed again on its next tick)
        assert said.count("Background task failed; the console keeps running") >= 2, said
        assert said.count("AttributeError") == 1, said
        assert app.is_running and app.return_code is None
        assert app.server_state == "failed"  # the header no longer says STARTING
        await pilot.press("2")  # still answering keys
        await pilot.pause(0.2)
        assert app.is_running
    log = (tmp_path / "triton-tui" / "errors.log").read_text()
    assert "Traceback" in log and "AttributeError" in log
    assert "worker fleet-refresh" in log and "scan-bug" in log


class _Plain(App[None]):
    @work(thread=True)
    def chore(self) -> None:
        pass


async def test_a_node_without_the_failure_policy_cannot_start_a_worker() -> None:
    app = _Plain()
    async with app.run_test():
        with pytest.raises(TypeError, match="ReportsWorkerFailures"):
            app.chore()


def test_every_worker_goes_through_the_policy() -> None:
    """No module starts workers with Textual's own `work` (which ends the app on an error), and
    the one direct `run_worker` call passes exit_on_error=False."""
    for path in sorted((ROOT / "tui").rglob("*.py")):
        if path.name == "workers.py":  # the wrapper itself
            continue
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "textual":
                assert "work" not in {a.name for a in node.names}, f"{path}: textual's work"
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run_worker"
                and "core" not in path.parts
            ):
                flags = {k.arg: k.value for k in node.keywords}
                value = flags.get("exit_on_error")
                assert isinstance(value, ast.Constant) and value.value is False, (
                    f"{path}:{node.lineno}: run_worker without exit_on_error=False"
                )
