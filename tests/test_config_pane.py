"""The config pane driven with the pilot, keyboard only, at 80×24.

The server is the shared demo server (only read: configs, metadata); the files edited are in a
copy of the demo repository per test, so saves and backups never touch the shared one.
"""

from __future__ import annotations

import contextlib
import gc
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, OptionList

from tests.bench_config import big_config
from tests.helpers import until
from tui.app import TritonTUI
from tui.core.server.client import TritonHTTP
from tui.core.server.launcher import ServerProcess
from tui.core.server.session import Session
from tui.panes.config_dialogs import ChoiceScreen, DiffScreen, PickScreen
from tui.panes.config_editor import ConfigPane

SIZE = (80, 24)


@pytest.fixture
def session(demo_server: ServerProcess, repo: Path) -> Session:
    """The shared server's client, with this test's copy of the repository as the files."""
    return Session(client=TritonHTTP(demo_server.http_url), server=demo_server, repositories=[repo])


def pane_of(app: TritonTUI) -> ConfigPane:
    return app.query_one(ConfigPane)


async def open_model(pilot: Pilot, model: str) -> ConfigPane:
    """Highlight `model` in the repository pane (arrow keys), then switch to the config pane."""
    app: TritonTUI = pilot.app  # type: ignore[assignment]
    table = app.query_one("#model-table", DataTable)
    await until(pilot, lambda: table.row_count >= 3)
    await pilot.press("1")
    assert app.focused is table
    names = [str(key.value) for key in table.rows]
    delta = names.index(model) - table.cursor_row
    await pilot.press(*["down" if delta > 0 else "up"] * abs(delta))
    assert app.selected_model == model
    await pilot.press("2")
    pane = pane_of(app)
    await until(pilot, lambda: pane.doc is not None and pane.doc.name == model)
    await until(pilot, lambda: pane.completed is not None)  # first lint done
    return pane


async def type_at(pilot: Pilot, row: int, text: str, erase: int = 0) -> None:
    """Start editing, go to the end of line `row` (0-based), erase characters, type `text`."""
    editor = pane_of(pilot.app).editor  # type: ignore[arg-type]
    if pilot.app.focused is not editor:
        await pilot.press("enter")
    assert pilot.app.focused is editor
    editor.move_cursor((row, len(editor.document.get_line(row))))
    await pilot.press(*["backspace"] * erase, *text)


async def type_at_end(pilot: Pilot, text: str) -> None:
    await pilot.press("enter")  # the pane has focus: enter starts editing
    editor = pane_of(pilot.app).editor  # type: ignore[arg-type]
    assert pilot.app.focused is editor
    editor.move_cursor(editor.document.end)
    await pilot.press(*[("enter" if c == "\n" else c) for c in text])


async def test_opens_selection_lints_while_typing_and_jumps_to_a_finding(
    session: Session, repo: Path
) -> None:
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "densenet_onnx")
        assert pane.editor.text == (repo / "densenet_onnx" / "config.pbtxt").read_text()
        assert pane.diagnostics == [] and not pane.modified
        assert pane.editor.show_line_numbers
        await type_at(pilot, 2, "-3", erase=1)  # line 3: max_batch_size: 0
        assert pane.modified
        await until(pilot, lambda: any(d.is_error for d in pane.diagnostics))
        error = next(d for d in pane.diagnostics if d.is_error)
        assert error.message == "'max_batch_size' must be non-negative value for densenet_onnx"
        assert error.line == 3 and pane.editor.marks.get(2) == "lint.error"
        print(f"\nlint of the buffer in the worker: {pane.lint_ms:.2f} ms")
        # The finding is listed; enter on it puts the cursor on its line.
        pane.editor.move_cursor((0, 0))
        listing = app.query_one("#config-diagnostics", OptionList)
        assert listing.display and listing.option_count == len(pane.diagnostics)
        listing.focus()
        listing.highlighted = pane.diagnostics.index(error)
        await pilot.press("enter")
        assert pane.editor.cursor_location == (error.line - 1, error.col - 1)
        assert app.focused is pane.editor
        # Fixing the text clears the finding and the mark.
        await pilot.press("end", "backspace", "backspace", "0")
        await until(pilot, lambda: not pane.diagnostics)
        assert pane.editor.marks == {} and not listing.display


async def test_save_writes_atomically_keeps_backup_and_asks_on_lint_errors(
    session: Session, repo: Path
) -> None:
    config = repo / "densenet_onnx" / "config.pbtxt"
    original = config.read_text()
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "densenet_onnx")
        await type_at(pilot, 2, "-3", erase=1)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "lint" in app.screen.title_text and "max_batch_size" in app.screen.message
        await pilot.press("k")  # keep editing
        await until(pilot, lambda: not pane.busy)
        assert config.read_text() == original and pane.modified
        # A valid edit saves without asking; the previous file becomes the backup.
        await pilot.press("backspace", "backspace", "0", "enter", *"# edited")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not pane.modified and not pane.busy)
        assert config.read_text() == pane.editor.text
        assert config.read_text() == original.replace("size: 0\n", "size: 0\n# edited\n")
        assert (config.parent / "config.pbtxt.bak").read_text() == original
        assert not list(config.parent.glob(".config.pbtxt.*"))  # no temp file left
        assert "config.pbtxt.bak" in pane.message


async def test_external_change_asks_before_overwriting(session: Session, repo: Path) -> None:
    config = repo / "densenet_onnx" / "config.pbtxt"
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "densenet_onnx")
        await type_at_end(pilot, "\n# mine")
        external = config.read_text() + "# theirs\n"
        config.write_text(external)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "changed on disk" in app.screen.message
        await pilot.press("c")  # cancel: nothing written, the edits stay
        await until(pilot, lambda: not pane.busy)
        assert config.read_text() == external and pane.modified
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("o")  # overwrite: theirs is kept as the backup
        await until(pilot, lambda: not pane.modified and not pane.busy)
        assert config.read_text().endswith("# mine")
        assert (config.parent / "config.pbtxt.bak").read_text() == external


async def test_save_refuses_a_symlink_out_of_the_repository(
    session: Session, repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere.pbtxt"
    outside.write_text((repo / "densenet_onnx" / "config.pbtxt").read_text())
    before = outside.read_text()
    (repo / "densenet_onnx" / "config.pbtxt").unlink()
    (repo / "densenet_onnx" / "config.pbtxt").symlink_to(outside)
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "densenet_onnx")
        await type_at_end(pilot, "\n# edit")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Save failed" in pane.message)
        assert "outside the model repository" in pane.message and pane.modified
    assert outside.read_text() == before
    assert not (tmp_path / "elsewhere.pbtxt.bak").exists()


async def test_quit_with_unsaved_edits_asks(session: Session, repo: Path) -> None:
    config = repo / "densenet_onnx" / "config.pbtxt"
    original = config.read_text()
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_model(pilot, "densenet_onnx")
        await type_at_end(pilot, "\n# unsaved")
        await pilot.press("escape", "q")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "unsaved edits" in app.screen.message
        await pilot.press("c")  # cancel: the app keeps running
        await pilot.pause(0.2)
        assert app.is_running and not isinstance(app.screen, ChoiceScreen)
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("d")  # discard and quit
        await until(pilot, lambda: not app.is_running)
    assert app.return_value == 0
    assert config.read_text() == original


async def test_quit_without_edits_does_not_ask(session: Session) -> None:
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_model(pilot, "densenet_onnx")
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)


async def test_switching_models_with_unsaved_edits_asks(session: Session) -> None:
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "densenet_onnx")
        await type_at_end(pilot, "\n# unsaved")
        await pilot.press("escape", "1", "down")  # identity_onnx follows densenet_onnx
        assert app.selected_model == "identity_onnx"
        await pilot.press("2")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("k")  # keep editing
        await until(pilot, lambda: not pane.busy)
        assert pane.doc is not None and pane.doc.name == "densenet_onnx" and pane.modified
        await pilot.press("1", "2")  # same selection declined: not asked again
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ChoiceScreen)
        await pilot.press("1", "up", "down", "2")
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        await pilot.press("d")  # discard
        await until(pilot, lambda: pane.doc is not None and pane.doc.name == "identity_onnx")
        assert not pane.modified


async def test_missing_config_is_generated_from_onnx_and_saved(
    session: Session, repo: Path
) -> None:
    config = repo / "identity_onnx" / "config.pbtxt"
    assert not config.exists()
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "identity_onnx")
        assert pane.editor.text == "" and "F8 generates" in pane.editor.placeholder
        await pilot.press("f8")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        offered = [item for item, _ in app.screen.items]
        assert offered == ["onnx", "server"]  # the model has an ONNX file and is loaded
        await pilot.press("enter")  # the first: from model.onnx
        await until(pilot, lambda: "INPUT0" in pane.editor.text)
        assert "max_batch_size: 4" in pane.editor.text and pane.modified
        await pilot.press("ctrl+s")
        await until(pilot, lambda: not pane.modified and not pane.busy)
        assert config.read_text() == pane.editor.text
        assert not (config.parent / "config.pbtxt.bak").exists()  # there was nothing to keep


async def test_diff_shows_what_the_server_filled_in(session: Session) -> None:
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_model(pilot, "identity_onnx")  # no file: the server autocompleted it all
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen))
        added = [line for line in app.screen.diff.splitlines() if line.startswith("+")]
        assert '+name: "identity_onnx"' in added and "+max_batch_size: 4" in added
        assert any("INPUT0" in line for line in added)
        await pilot.press("escape")
        assert not isinstance(app.screen, DiffScreen)


async def test_warmup_snippet_is_filled_from_the_model_inputs(session: Session) -> None:
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "densenet_onnx")
        before = pane.editor.text
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        titles = [item for item, _ in app.screen.items]
        for _ in range(titles.index("model_warmup (zero data)")):
            await pilot.press("down")
        await pilot.press("enter")
        await until(pilot, lambda: "model_warmup" in pane.editor.text)
        inserted = pane.editor.text
        assert inserted.startswith("model_warmup") and inserted.endswith(before)
        assert (
            'key: "data_0"' in inserted
            and "dims: [ 1, 3, 224, 224 ]\n        zero_data" in inserted
        )
        await until(pilot, lambda: pane.completed is not None and pane.completed.model_warmup)
        assert pane.diagnostics == []
        await pilot.press("enter", "ctrl+z")  # undo puts the buffer back
        assert pane.editor.text == before


async def test_external_editor_round_trip(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$EDITOR is a real process (a script appending a line). The headless test driver cannot
    hand the terminal over, so `App.suspend` is replaced by a no-op context here."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\nwith open(sys.argv[1], 'a') as f:\n    f.write('# from the editor\\n')\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    app = TritonTUI(session, stop_server_on_exit=False)
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "densenet_onnx")
        before = pane.editor.text
        await pilot.press("e")
        await until(pilot, lambda: pane.editor.text.endswith("# from the editor\n"))
        assert pane.editor.text.startswith(before) and pane.modified
        assert not list((tmp_path / "cache" / "triton-tui" / "edit").iterdir())  # temp removed


async def test_second_dynamic_batching_is_refused_and_diff_shows_edits_first(
    session: Session,
) -> None:
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await open_model(pilot, "add_sub")  # it has `dynamic_batching { }` already
        before = pane.editor.text
        line = before.splitlines().index("dynamic_batching { }")
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, PickScreen))
        await pilot.press("enter")  # the first snippet: dynamic_batching
        await until(pilot, lambda: isinstance(app.screen, ChoiceScreen))
        assert "already set" in app.screen.title_text
        await pilot.press("enter")  # "Go to it" is the default
        await until(pilot, lambda: not isinstance(app.screen, ChoiceScreen))
        assert pane.editor.text == before and pane.editor.cursor_location[0] == line
        # The user's own edit comes first in the diff, before the server's defaults.
        await type_at(pilot, 2, "6", erase=1)  # max_batch_size: 8 -> 6
        await pilot.press("escape", "f3")
        await until(pilot, lambda: isinstance(app.screen, DiffScreen), timeout=30)
        changed = [
            ln for ln in app.screen.diff.splitlines() if ln[:1] in "+-" and ln[1:2] != ln[:1]
        ]
        assert changed[:2] == ["-max_batch_size: 8", "+max_batch_size: 6"], changed[:4]


async def test_a_big_file_is_linted_and_collected_between_keys(
    session: Session, repo: Path
) -> None:
    """A 20 000-line file's lint (a third of a second of a thread holding the GIL) and Python's
    full garbage collections (100-250 ms with it open) wait for a pause in the keys: while keys
    arrive the automatic collector is off and the lint has not started; once they pause, the
    file is linted. After the console, the collector is as it was."""
    (repo / "big" / "1").mkdir(parents=True)
    (repo / "big" / "config.pbtxt").write_text(big_config())
    app = TritonTUI(session, stop_server_on_exit=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert not gc.isenabled()
        await pilot.press("2")
        app.selected_model = "big"
        pane = pane_of(app)
        await until(pilot, lambda: pane.doc is not None and pane.doc.name == "big", 60)
        assert pane.editor.document.line_count > 19_000
        pane.editor.focus()
        for _ in range(12):  # keys every 0.1 s: the lint waits
            await pilot.press("down")
            await pilot.pause(0.1)
            assert pane.linting and pane.completed is None
        await until(pilot, lambda: pane.completed is not None, 60)
        assert not pane.linting
    assert gc.isenabled()
