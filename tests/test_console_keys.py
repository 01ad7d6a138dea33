"""One selected model for the whole console, acted on by one key or a palette command (pilot).

Runs against the real embedded server: the shared one for what changes nothing, a server of the
test's own for unloads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual.command import CommandPalette
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TabbedContent
from textual.widgets.data_table import ColumnKey

from tests.conftest import copy_demo, launch
from tui.app import TritonTUI
from tui.cli import console_parser
from tui.commands.flags import server_options
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import LaunchSpec, ServerProcess, free_port
from tui.core.server.session import Session
from tui.panes.bench import BenchPane
from tui.panes.config_dialogs import ChoiceScreen
from tui.panes.config_editor import ConfigPane
from tui.panes.log_settings import LogSettingsScreen
from tui.panes.logs import LogsPane
from tui.panes.repository_list import STATE_WIDTH
from tui.state import ModelStateChanged


async def until(pilot: Pilot, ok: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not ok():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await pilot.pause(0.1)


def rows(app: TritonTUI) -> list[str]:
    return [str(key.value) for key in app.query_one("#model-table", DataTable).rows]


def cursor_model(app: TritonTUI) -> str:
    table = app.query_one("#model-table", DataTable)
    return rows(app)[table.cursor_row]


async def test_one_key_benchmarks_the_selected_model(demo_session: Session) -> None:
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(rows(app)) == 4 and app.server_state == "ready")
        bench = app.query_one(BenchPane)
        bench.query_one("#bench-range", Input).value = "1:2"
        bench.query_one("#bench-window", Input).value = "300"
        target = "identity_onnx"
        while cursor_model(app) != target:
            await pilot.press("j")
        assert app.selected_model == target
        await pilot.press("b")
        await until(pilot, lambda: app.query_one("#panes", TabbedContent).active == "bench")
        await until(pilot, lambda: bench.current is not None or bench.runs)
        run = bench.current or bench.runs[-1]
        assert run.config.model == target and run.config.window_ms == 300
        status = str(bench.query_one("#bench-status", Static).render())
        assert target in status or "ETA" in status or run.result is not None
        await pilot.press("escape")  # cancels the run
        await until(pilot, lambda: bench.current is None, timeout=60)
        # The benchmark's model list is one more place to pick from: the selection follows.
        await pilot.press("1")
        await pilot.press("g")
        assert cursor_model(app) == rows(app)[0] == app.selected_model


async def test_palette_commands_take_fuzzy_model_names(demo_session: Session) -> None:
    seen: list[Message] = []
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24), message_hook=seen.append) as pilot:
        await until(pilot, lambda: len(rows(app)) == 4 and app.server_state == "ready")
        await pilot.press("ctrl+p")  # Textual's own ctrl+p, kept beside `:`
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"load add_s", "enter")
        await until(
            pilot,
            lambda: any(
                isinstance(m, ModelStateChanged) and m.name == "add_sub" and m.action == "load"
                for m in seen
            ),
        )
        assert app.selected_model == "add_sub"
        bench = app.query_one(BenchPane)
        bench.query_one("#bench-range", Input).value = "1"
        bench.query_one("#bench-window", Input).value = "300"
        await pilot.press("colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"bench dense", "enter")
        await until(pilot, lambda: bench.current is not None or bench.runs, timeout=60)
        run = bench.current or bench.runs[-1]
        assert run.config.model == "densenet_onnx" == app.selected_model
        await pilot.press("escape")
        await until(pilot, lambda: bench.current is None, timeout=60)


async def test_unload_asks_read_only_refuses_and_states_fit(tmp_path: Path) -> None:
    server = launch(copy_demo(tmp_path / "models", ("add_sub", "identity_onnx")))
    try:
        client = TritonHTTP(server.http_url)
        watch_only = TritonTUI(Session.of_server(server), stop_server_on_exit=False, read_only=True)
        async with watch_only.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: len(rows(watch_only)) == 2)
            await pilot.press("u")
            await pilot.press("r")
            await pilot.pause(0.5)
            assert not isinstance(watch_only.screen, ChoiceScreen)
            assert not watch_only.query_one("RepositoryPane").busy  # type: ignore[attr-defined]
            # The live log-setting change is a change to the server: refused, and said so.
            logs = watch_only.query_one(LogsPane)
            await pilot.press("3")
            await until(pilot, lambda: logs.settings is not None)
            assert "read-only" in str(logs.query_one("#logs-settings", Static).render())
            await pilot.press("s")
            await pilot.pause(0.5)
            assert not isinstance(watch_only.screen, LogSettingsScreen)
            assert any(
                "read-only" in n.message and "log settings" in n.message
                for n in watch_only._notifications
            )
        assert client.model_ready("add_sub")

        app = TritonTUI(Session.of_server(server), stop_server_on_exit=False)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: rows(app) == ["add_sub", "identity_onnx"])
            await pilot.press("u")
            await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, ChoiceScreen))
            assert client.model_ready("add_sub")
            await pilot.press("u")
            await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
            await pilot.press("u")  # the dialog's key for "Unload"
            table = app.query_one("#model-table", DataTable)
            await until(pilot, lambda: str(table.get_cell("add_sub", "state")) == "NOT LOADED")
            # The State column is as wide as its longest word at 80 columns: nothing clipped.
            assert table.columns[ColumnKey("state")].width == STATE_WIDTH
            assert table.region.right < 80
            detail = str(app.query_one("#model-detail-text", Static).render())
            assert "NOT LOADED" in detail.splitlines()[0]  # the list and the detail agree
    finally:
        server.stop()


async def test_vim_keys_filter_and_escape_closes_help(demo_session: Session) -> None:
    app = TritonTUI(demo_session, stop_server_on_exit=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(rows(app)) == 4)
        names = rows(app)
        await pilot.press("G")
        assert cursor_model(app) == names[-1]
        await pilot.press("k")
        assert cursor_model(app) == names[-2]
        await pilot.press("g")
        assert cursor_model(app) == names[0]
        await pilot.press("slash", *"dense")
        await until(pilot, lambda: rows(app) == ["densenet_onnx"])
        await pilot.press("enter")
        assert (
            app.focused is app.query_one("#model-table") and app.selected_model == "densenet_onnx"
        )
        await pilot.press("slash", "escape")
        await until(pilot, lambda: rows(app) == names)
        await pilot.press("question_mark")
        await until(pilot, lambda: bool(app.screen.query("HelpPanel")))
        assert "every pane acts on" in str(app.screen.query_one("HelpPanel Markdown").source)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(pilot, lambda: not app.screen.query("HelpPanel"))


def _port_block() -> int:
    """A port p with p+1 and p+2 free too (tritonserver's 8000/8001/8002 layout)."""
    for _ in range(50):
        p = free_port()
        if p < 65000 and all(_free(p + k) for k in (1, 2)):
            return p
    raise AssertionError("no three free ports in a row")


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def test_attach_with_the_local_repository_edits_its_config(tmp_path: Path) -> None:
    repo = copy_demo(tmp_path / "models", ("identity_onnx", "add_sub"))
    p = _port_block()
    server = ServerProcess(LaunchSpec([repo], http_port=p, grpc_port=p + 1, metrics_port=p + 2))
    server.start()
    try:
        server.wait_ready(90)
        argv = ["-u", f"127.0.0.1:{p}", "--model-repository", str(repo), "--read-only"]
        args = console_parser().parse_args(argv)
        args.server_args = []
        session = Session.open(server_options(args, local_repository=True))  # as main()
        assert session.server is None and session.repositories == [repo]
        assert session.metrics_url == f"127.0.0.1:{p + 2}"  # found, not the default 8002
        session.wait_ready()
        app = TritonTUI(session, stop_server_on_exit=False, read_only=True)
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: rows(app) == ["add_sub", "identity_onnx"])
            await pilot.press("e")
            pane = app.query_one(ConfigPane)
            await until(pilot, lambda: pane.doc is not None and pane.doc.name == "add_sub")
            assert "max_batch_size: 8" in pane.editor.text
            await pilot.press("f5")  # applying changes the server: refused when read-only
            await pilot.pause(0.5)
            assert not pane.busy
    finally:
        server.stop()
