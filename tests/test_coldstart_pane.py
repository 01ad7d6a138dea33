"""The cold-start section of the Logs pane, probing slow_init on its own server (it unloads)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import copy_demo, launch

from tui.app import TritonTUI
from tui.core.server.session import Session
from tui.panes.coldstart import ColdStartView
from tui.panes.logs import LogsPane


@pytest.mark.timeout(120)
async def test_probe_from_the_pane_shows_the_configured_delay(tmp_path: Path) -> None:
    server = launch(copy_demo(tmp_path / "models", ("slow_init",)), "--log-verbose=1")
    session = Session.of_server(server)
    try:
        app = TritonTUI(session, stop_server_on_exit=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("3")
            await pilot.press("c")
            view = app.query_one(ColdStartView)
            pane = app.query_one(LogsPane)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not view.models:
                await pilot.pause(0.1)
            # The start-up load is in the timeline already.
            startup = pane.timeline.for_model("slow_init")
            assert startup and startup[0].state == "READY" and startup[0].duration >= 3.0
            view.start_probe("slow_init", 3)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and (view.probing or view.result is None):
                await pilot.pause(0.2)
            result = view.result
            assert result is not None, view.query_one("#coldstart-result").render()
            assert result.load_s is not None and result.load_s >= 3.0
            assert result.log is not None and result.log.duration >= 3.0
            assert len(result.steady_s) == 3
            # The table refreshes every second from the log's timeline (slower on a busy machine).
            table = view.query_one("#coldstart-table")
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and table.row_count < 2:
                await pilot.pause(0.2)
            assert table.row_count == 2  # start-up load and the probe's load
            text = str(view.query_one("#coldstart-result").render())
            assert "load (API)" in text and "first inference" in text
    finally:
        server.stop()
