"""The repository pane, driven headless with Textual's pilot against a real server."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey

from tests.conftest import copy_demo, launch
from tests.helpers import until
from tui.app import TritonTUI
from tui.core.server.client import TritonHTTP
from tui.core.server.session import Session
from tui.panes.config_dialogs import ChoiceScreen


def _states(app: TritonTUI) -> dict[str, str]:
    table = app.query_one("#model-table", DataTable)
    return {str(key.value): str(table.get_cell(key, "state")) for key in table.rows}


def _session(server) -> Session:  # noqa: ANN001
    return Session.of_server(server)


async def test_demo_models_shown_ready(demo_session: Session) -> None:
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(_states(app)) == 4)
        assert set(_states(app).values()) == {"READY"}
        # Names are never cut to the header's width, even before the table had an idle moment.
        table = app.query_one("#model-table", DataTable)
        name_width = table.columns[ColumnKey("name")].get_render_width(table)
        assert name_width >= len("identity_onnx") + 2 * table.cell_padding
        await until(
            pilot,
            lambda: (
                "Inputs and outputs as served"
                in str(app.query_one("#model-detail-text", Static).render())
            ),
        )
        detail = str(app.query_one("#model-detail-text", Static).render())
        assert "INPUT0" in detail and "max_batch_size: 8" in detail


async def test_unload_and_load_change_server_index(tmp_path: Path) -> None:
    server = launch(copy_demo(tmp_path / "models", ("add_sub", "identity_onnx")))
    try:
        client = TritonHTTP(server.http_url)
        app = TritonTUI(_session(server), stop_server_on_exit=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: _states(app).get("add_sub") == "READY")
            await pilot.press("u")  # first row: add_sub; unloading asks first
            await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
            await pilot.press("escape")  # no
            await until(pilot, lambda: not isinstance(app.screen, ChoiceScreen))
            await pilot.pause(0.5)
            assert client.model_ready("add_sub")
            await pilot.press("u", "u")  # asks again; u answers "Unload"
            await until(pilot, lambda: _states(app).get("add_sub") == "NOT LOADED")
            index = {m["name"]: m for m in client.repository_index()}
            assert index["add_sub"]["state"] == "UNAVAILABLE"
            await pilot.press("l")
            await until(pilot, lambda: _states(app).get("add_sub") == "READY")
            assert client.model_ready("add_sub")
    finally:
        server.stop()


async def test_broken_model_shows_reason_without_logs(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("add_sub",))
    (repo / "aaa_broken" / "1").mkdir(parents=True)
    (repo / "aaa_broken" / "config.pbtxt").write_text('name: "aaa_broken"\nbackend: "nope"\n')
    server = launch(repo)
    try:
        app = TritonTUI(_session(server), stop_server_on_exit=False)
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: _states(app).get("aaa_broken") in ("UNAVAILABLE", "FAILED"))
            detail = app.query_one("#model-detail-text", Static)
            await until(pilot, lambda: "Reason" in str(detail.render()))
            assert "nope" in str(detail.render())
    finally:
        server.stop()


async def test_attached_without_server_says_so(tmp_path: Path) -> None:
    session = Session.attach("127.0.0.1:9")  # nothing listens on the discard port
    app = TritonTUI(session, startup_timeout=2)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.server_state == "failed")
        assert "cannot reach Triton" in app.server_message


async def test_number_keys_switch_panes_from_a_focused_table(demo_session: Session) -> None:
    from textual.widgets import TabbedContent

    from tui.panes import PANES

    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(_states(app)) == 4)
        tabs = app.query_one("#panes", TabbedContent)
        for spec in [*PANES[1:], PANES[0]]:
            await pilot.press(spec.key)
            await pilot.pause(0.3)
            assert tabs.active == spec.pane_id, f"key {spec.key} left {tabs.active} shown"
            focused = app.focused
            assert focused is None or spec.pane_id in [a.id for a in focused.ancestors]


async def test_help_and_command_palette_from_the_keyboard(demo_session: Session) -> None:
    from textual.command import CommandPalette

    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(_states(app)) == 4)
        await pilot.press("question_mark")
        await until(pilot, lambda: bool(app.screen.query("HelpPanel")))
        await pilot.press("question_mark")
        await until(pilot, lambda: not app.screen.query("HelpPanel"))
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, CommandPalette))


async def test_server_dying_later_is_said(tmp_path: Path) -> None:
    import os
    import signal

    server = launch(copy_demo(tmp_path / "models", ("add_sub",)))
    try:
        app = TritonTUI(_session(server), stop_server_on_exit=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: app.server_state == "ready")
            os.kill(server.pid, signal.SIGKILL)  # type: ignore[arg-type]
            await until(pilot, lambda: app.server_state == "failed", timeout=15)
            message = app.server_message
            assert "the server stopped: tritonserver was killed by SIGKILL" in message
            assert "CudaDriverHelper" not in message  # a harmless start-up line is not the cause
    finally:
        server.stop()
