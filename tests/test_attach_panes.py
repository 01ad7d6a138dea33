"""Attached with -u (no log stream, no local repository), every pane that has nothing to show
says why and what to do (pilot, real embedded server)."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static, TabbedContent

from tests.conftest import launch
from tests.test_console_keys import rows, until
from tui.app import TritonTUI
from tui.cli import console_parser
from tui.commands.flags import server_options
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.panes.config_editor import ConfigPane
from tui.panes.logs import LogsPane
from tui.state import NO_READY_MODEL


def attached(url: str) -> Session:
    """The session `triton-tui -u URL` builds (as main() does)."""
    args = console_parser().parse_args(["-u", url])
    args.server_args = []
    session = Session.open(server_options(args, local_repository=True))
    assert session.server is None and session.lines is None and not session.repositories
    session.wait_ready()
    return session


def text(app: TritonTUI, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def log_view_text(app: TritonTUI) -> str:
    view = app.query_one(LogsPane).view
    return " ".join(view.render_line(y).text.strip() for y in range(view.size.height))


async def walk(app: TritonTUI, pilot: Pilot[int], key: str, pane: str) -> None:
    await pilot.press(key)
    await until(pilot, lambda: app.query_one("#panes", TabbedContent).active == pane)


async def test_an_attached_console_with_no_model_says_why_in_every_pane(tmp_path: Path) -> None:
    empty = tmp_path / "models"
    empty.mkdir()
    server = launch(empty)
    try:
        app = TritonTUI(attached(server.http_url), stop_server_on_exit=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.server_state == "ready")
            detail = "#model-detail-text"
            await until(pilot, lambda: "lists no model" in text(app, detail))
            assert "--model-repository" in text(app, detail)

            await walk(app, pilot, "2", "config")
            assert "--model-repository" in app.query_one(ConfigPane).editor.placeholder

            await walk(app, pilot, "3", "logs")
            shown = log_view_text(app)
            assert "not streamed" in shown and "--attach-container" in shown
            assert "--log-file" in shown

            await walk(app, pilot, "4", "gpu")
            await until(pilot, lambda: "metrics" in text(app, "#gpu-metrics-title"))
            assert text(app, "#gpu-nvml").strip()

            for key, pane, status in (
                ("5", "bench", "#bench-status"),
                ("6", "tune", "#tune-status"),
            ):
                await walk(app, pilot, key, pane)
                await until(pilot, lambda s=status: text(app, s) == NO_READY_MODEL)  # type: ignore[misc]
    finally:
        server.stop()


async def test_an_attached_console_without_its_repository_says_how_to_edit(
    demo_server: ServerProcess,
) -> None:
    app = TritonTUI(attached(demo_server.http_url), stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(rows(app)) == 4 and bool(app.selected_model))
        await pilot.press("e")
        pane = app.query_one(ConfigPane)
        await until(pilot, lambda: "No local repository" in pane.editor.placeholder)
        assert "--model-repository" in pane.editor.placeholder
