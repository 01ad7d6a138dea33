"""The repository and config panes on a repository nobody prepared for the console (issue 24),
built here (tests/foreign_repo.py) and served by one real embedded server for the module.

What each pane says is read from the screen's widgets: the model table's cells and the detail
text; the config pane's status, title and findings. The freeze test holds the two parses of the
1.2 MiB config (the store's rendering of its effective config, the config pane's lint) on a gate
and presses keys meanwhile: they must be handled while the parse is held. Were the parse on the
UI thread, the keys would wait behind it and the test would fail (no time bound is involved).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Static, TabbedContent

from tests.conftest import launch
from tests.foreign_repo import NOT_UTF8_COMMENT, add_late, build_foreign_repo
from tests.helpers import until
from tui.app import TritonTUI
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.core.store import models as store_models
from tui.panes import config_editor
from tui.panes.config_editor import ConfigPane

SIZE = (100, 40)
GATE_S = 30.0  # a gate opens by itself after this: a test never hangs


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, ServerProcess]]:
    repo = build_foreign_repo(tmp_path_factory.mktemp("foreign") / "models")
    server = launch(repo)
    add_late(repo)  # after the start: the server lists it, never loaded
    yield repo, server
    server.stop()


def cell(app: TritonTUI, name: str, column: str) -> str:
    table = app.query_one("#model-table", DataTable)
    if name not in [str(k.value) for k in table.rows]:
        return ""
    value = table.get_cell(name, column)
    return value.plain if isinstance(value, Text) else str(value)


def detail(app: TritonTUI) -> str:
    return str(app.query_one("#model-detail-text", Static).render())


async def pick(pilot: Pilot, name: str) -> None:
    """The repository cursor onto `name`, with the arrow keys."""
    app: TritonTUI = pilot.app  # type: ignore[assignment]
    table = app.query_one("#model-table", DataTable)
    await until(pilot, lambda: name in [str(k.value) for k in table.rows], timeout=30)
    names = [str(k.value) for k in table.rows]
    delta = names.index(name) - table.cursor_row
    await pilot.press(*["down" if delta > 0 else "up"] * abs(delta))
    await until(pilot, lambda: app.selected_model == name)


async def test_repository_and_config_panes_tell_the_truth(
    foreign: tuple[Path, ServerProcess],
) -> None:
    repo, server = foreign
    app = TritonTUI(Session.of_server(server), stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: cell(app, "late", "state") != "", timeout=30)
        # Every served version, with its state.
        assert cell(app, "versions23", "version") == "2,3"
        await pick(pilot, "versions23")
        await until(pilot, lambda: "version 3 READY" in detail(app))
        assert "version 2 READY" in detail(app)
        # A hidden folder: one truth, the server's (it serves it).
        await pick(pilot, ".hidden")
        await until(pilot, lambda: "hidden folder" in detail(app))
        shown = detail(app)
        assert "the server serves it as a model all the same" in shown
        assert shown.count("hidden folder") == 1 and "ignores" not in shown
        # An ensemble's empty version folder is normal.
        await pick(pilot, "pipeline")
        await until(pilot, lambda: "Effective config" in detail(app))
        assert cell(app, "pipeline", "state") == "READY" and "empty" not in detail(app)
        # A backend this server lacks: named, with the ones it has.
        await pick(pilot, "tf_model")
        await until(pilot, lambda: "no tensorflow backend" in detail(app))
        assert "this server has no tensorflow backend; it has: " in detail(app)
        assert "python" in detail(app).split("it has: ")[1].splitlines()[0]
        # Added after the start, never loaded: NOT LOADED with the key to load it.
        assert cell(app, "late", "state") == "NOT LOADED"
        await pick(pilot, "late")
        await until(pilot, lambda: "l loads it" in detail(app))
        assert "FAILED" not in detail(app) and "Reason" not in detail(app)
        # The non-UTF-8 config's model is READY, and said to be; then its config is opened.
        assert cell(app, "latin1", "state") == "READY"
        await config_not_utf8(pilot, repo)


async def config_not_utf8(pilot: Pilot, repo: Path) -> None:
    """The config pane shows a config that is not UTF-8, and saves it without corrupting it."""
    app: TritonTUI = pilot.app  # type: ignore[assignment]
    path = repo / "latin1" / "config.pbtxt"
    before = path.read_bytes()
    await pick(pilot, "latin1")
    await pilot.press("2")
    pane = app.query_one(ConfigPane)
    await until(pilot, lambda: pane.doc is not None and pane.doc.name == "latin1")
    status = str(app.query_one("#config-status", Static).render())
    assert "not UTF-8: line 1 has byte 0xe9 at column 6" in status
    assert pane.editor.document.get_line(0).startswith("# caf\ufffd cr\ufffdme")
    await until(pilot, lambda: not pane.linting)
    assert any(d.line == 1 and "0xe9, 0xe8" in d.message for d in pane.diagnostics)
    assert pane.editor.marks.get(0) == "lint.warning"
    # Edit another line, save: the line not touched keeps its Latin-1 bytes.
    row = next(
        i
        for i in range(pane.editor.document.line_count)
        if pane.editor.document.get_line(i).startswith("max_batch_size")
    )
    await pilot.press("enter")
    pane.editor.move_cursor((row, len(pane.editor.document.get_line(row))))
    await pilot.press("backspace", "4", "ctrl+s")
    await until(pilot, lambda: not pane.modified and "Saved" in pane.message)
    after = path.read_bytes()
    assert after.startswith(NOT_UTF8_COMMENT)
    assert after == before.replace(b"max_batch_size: 8", b"max_batch_size: 4")


class Gate:
    """Holds a parse of the big config until the test opens it."""

    def __init__(self) -> None:
        self.held = threading.Event()  # the parse reached the gate
        self.open = threading.Event()  # the test let it through
        self.passed = threading.Event()  # the parse went on (let through, or timed out)

    def wait(self) -> None:
        self.held.set()
        self.open.wait(GATE_S)
        self.passed.set()


async def test_keys_are_handled_while_the_big_config_is_parsed(
    foreign: tuple[Path, ServerProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, server = foreign
    summary_gate, lint_gate = Gate(), Gate()
    summarise = store_models.summarise

    def gated_summarise(config: dict[str, Any], *args: Any) -> tuple[str, int]:
        if config.get("name") == "big":
            summary_gate.wait()
        return summarise(config, *args)

    class GatedLinter(config_editor.RepositoryLinter):  # type: ignore[misc]
        def lint(self, name: str) -> Any:
            if name == "big":
                lint_gate.wait()
            return super().lint(name)

    monkeypatch.setattr(store_models, "summarise", gated_summarise)
    monkeypatch.setattr(config_editor, "RepositoryLinter", GatedLinter)
    app = TritonTUI(Session.of_server(server), stop_server_on_exit=False)
    try:
        await held_keys(app, summary_gate, lint_gate)
    finally:  # a failed check must not leave a worker waiting on its gate
        summary_gate.open.set()
        lint_gate.open.set()


async def held_keys(app: TritonTUI, summary_gate: Gate, lint_gate: Gate) -> None:
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#model-table", DataTable)
        tabs = app.query_one("#panes", TabbedContent)
        # 1. The store renders big's effective config (held): the list moves meanwhile.
        await until(pilot, summary_gate.held.is_set, timeout=30)
        await until(pilot, lambda: table.row_count > 0)  # the rows come before the detail
        row = table.cursor_row
        await pilot.press("down")
        await until(pilot, lambda: table.cursor_row == row + 1)
        await pilot.press("2")
        await until(pilot, lambda: tabs.active == "config")
        await pilot.press("1")
        await until(pilot, lambda: tabs.active == "repository")
        assert not summary_gate.passed.is_set()  # all of that while the parse was held
        summary_gate.open.set()
        await pick(pilot, "big")
        await until(pilot, lambda: "more lines (e opens the config)" in detail(app), timeout=30)
        # 2. Its config opens; its lint is held: the pane says so, keys still work.
        await pilot.press("e")
        pane = app.query_one(ConfigPane)
        await until(pilot, lambda: pane.doc is not None and pane.doc.name == "big", timeout=30)
        await until(pilot, lint_gate.held.is_set)
        assert "linting…" in str(app.query_one("#config-title", Static).render())
        await pilot.press("1")
        await until(pilot, lambda: tabs.active == "repository")
        await pilot.press("up")
        await until(pilot, lambda: app.selected_model != "big")
        assert not lint_gate.passed.is_set()
        lint_gate.open.set()
        await pick(pilot, "big")
        await pilot.press("2")
        await until(pilot, lambda: not pane.linting and pane.completed is not None, timeout=30)
        assert "linting…" not in str(app.query_one("#config-title", Static).render())
