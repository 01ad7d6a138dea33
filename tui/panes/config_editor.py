"""Config pane: edit the selected model's config.pbtxt, linted as you type; save, diff, apply.

The model is the one highlighted in the repository pane (`app.selected_model`); it is opened when
this pane becomes active. Blocking work (files, linting, HTTP) runs off the event loop: thread
workers post `ConfigOpened` / `ConfigLinted`; the multi-step flows that ask questions (save,
apply, generate, diff, snippets, $EDITOR) are async workers that await modal screens and run
their I/O with `asyncio.to_thread`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import OptionList, Static, TabbedContent, TabPane, TextArea
from textual.widgets.option_list import Option

from tui.core.modelconfig import (
    Diagnostic,
    FileStamp,
    ModelConfig,
    RepositoryLinter,
    read_config_any,
)
from tui.core.modelconfig.foreign import ForeignBytes, foreign_diagnostics
from tui.core.modelconfig.target import server_target
from tui.core.util.collector import IDLE_S
from tui.intents import ConfigJumpRequested
from tui.panes import config_flows
from tui.state import ModelStateChanged, console
from tui.widgets.config_text import ConfigTextArea, PreparedText, prepare
from tui.widgets.keys import VimOptionList
from tui.workers import ReportsWorkerFailures, work

CONFIG_NAME = "config.pbtxt"
LINT_DELAY_S = 0.3
LINT_WHEN_IDLE_LINES = 5000  # a file this long is linted once the keys pause (IDLE_S)
SELECTION_SETTLE_S = 0.15

NO_MODEL = "Select a model in the Repository pane (key 1); its config.pbtxt opens here."
NO_REPOSITORY = (
    "No local repository: the server's config files are not on this machine.\n"
    "Attached with -u URL, add --model-repository DIR (the server's repository\n"
    "on this machine) to edit them here."
)
NO_CONFIG = (
    "No config.pbtxt: the server auto-completes this model's config.\n"
    "F8 generates one (from its model.onnx, or from the server's effective config)."
)


@dataclass
class OpenConfig:
    """The file being edited, as it was last read from or written to disk."""

    name: str
    model_dir: Path
    root: Path  # the model repository holding model_dir
    saved_text: str
    stamp: FileStamp
    foreign: ForeignBytes | None = None  # not UTF-8: what saving puts back (foreign.py)

    @property
    def path(self) -> Path:
        return self.model_dir / CONFIG_NAME


@dataclass
class ConfigOpened(Message):
    name: str
    doc: OpenConfig | None
    error: str = ""
    reread: bool = False  # the open file, changed on disk while the buffer was clean
    prepared: PreparedText | None = None  # the text measured and wrapped in the worker


@dataclass
class ConfigLinted(Message):
    generation: int
    diagnostics: list[Diagnostic]
    config: ModelConfig | None  # the config as Triton would complete it
    elapsed_ms: float


def diagnostic_label(d: Diagnostic) -> Text:
    where = f"{d.line}:{d.col}" if d.line else "file"
    text = Text(f"{where:>7} ", "dim")
    text.append("✗ " if d.is_error else "⚠ ", "bold red" if d.is_error else "yellow")
    text.append(d.message)
    return text


class ConfigPane(ReportsWorkerFailures, config_flows.ConfigFlows, Vertical, can_focus=True):
    HELP = """\
**Config**: the picked model's config.pbtxt, linted as you type. Enter (or `i`) edits, Esc leaves
the editor; ctrl+s saves (with a backup), F5 saves and applies it on the server (a refused config
offers the backup back), F3 shows your changes, F2 inserts a snippet, F8 generates a config.
"""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        # f2 and f8 are named in the help (?): at 80 columns the footer keeps the rest.
        Binding("f2", "snippet", "Snippet", show=False),
        Binding("f3", "diff", "Diff"),
        Binding("f4,e", "external_editor", "$EDITOR"),
        Binding("f5", "apply", "Apply"),
        Binding("f8", "generate", "Generate", show=False),
        Binding("enter,i", "edit", "Edit"),
        Binding("escape", "leave_editor", "Leave editor", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="config-pane")
        self.doc: OpenConfig | None = None
        self.modified = False
        self.diagnostics: list[Diagnostic] = []
        self.completed: ModelConfig | None = None
        self.lint_ms = 0.0
        self.linting = False  # a lint of the current text is on its way
        self.message = ""
        self._generation = 0
        self._lint_timer: Timer | None = None
        self._sync_timer: Timer | None = None
        self._declined = ""  # a selection the user chose not to switch to (unsaved edits)
        self._tabs: TabbedContent | None = None
        self._tab_id = ""
        self._pending_jump: tuple[str, int, int] | None = None  # (model, line, col) once it is open

    def compose(self) -> ComposeResult:
        yield Static(id="config-title")
        yield ConfigTextArea(
            id="config-editor",
            show_line_numbers=True,
            soft_wrap=False,
            read_only=True,
            placeholder=NO_MODEL,
        )
        yield VimOptionList(id="config-diagnostics")
        yield Static(id="config-status")

    @property
    def editor(self) -> ConfigTextArea:
        return self.query_one("#config-editor", ConfigTextArea)

    def on_mount(self) -> None:
        self.query_one("#config-diagnostics").display = False
        if not console(self).session.repositories:
            self.editor.placeholder = NO_REPOSITORY
        tab = next((a for a in self.ancestors if isinstance(a, TabPane)), None)
        self._tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        if self._tabs is not None and tab is not None:
            self._tab_id = tab.id or ""
            self.watch(self._tabs, "active", self._tab_changed, init=False)
        self.watch(self.app, "selected_model", self._selection_changed, init=False)
        self._render_title()
        self._sync()

    # Following the repository pane's selection ---------------------------------------------
    @property
    def is_shown(self) -> bool:
        return self._tabs is None or self._tabs.active == self._tab_id

    def _tab_changed(self, active: str) -> None:
        if active == self._tab_id:
            self.call_after_refresh(self.focus)
            # The pane is drawn first, then the selected model's file is read: the key that
            # showed the pane is answered before a thread competes with it for the GIL.
            self.call_after_refresh(self._sync)

    def _selection_changed(self, _name: str) -> None:
        # Coalesced: a repository table being rebuilt highlights rows on its way back.
        self._declined = ""
        if self._sync_timer is not None:
            self._sync_timer.stop()
        self._sync_timer = self.set_timer(SELECTION_SETTLE_S, self._sync)

    def _sync(self) -> None:
        wanted = console(self).selected_model
        if not wanted or not self.is_shown:
            return
        if self.doc is not None and self.doc.name == wanted:
            if not self.modified:
                self.open_model(wanted, self.doc.stamp)  # re-read only if it changed on disk
            return
        if self.doc is None or not self.modified:
            self.say(f"opening {wanted}/{CONFIG_NAME} …", "dim")
            self.open_model(wanted)
        elif self._declined != wanted and not self.busy:
            self.start_flow(self.switch_flow(wanted))

    # Opening and linting ---------------------------------------------------------------------
    def find_model_dir(self, name: str) -> tuple[Path, Path] | None:
        for root in console(self).session.repositories:
            if (Path(root) / name).is_dir():
                return Path(root) / name, Path(root)
        return None

    @work(thread=True, exclusive=True, group="config-open")
    def open_model(self, name: str, unless_stamp: FileStamp | None = None) -> None:
        found = self.find_model_dir(name)
        if found is None:
            error = (
                f"'{name}' has no folder in the local model repository: nothing to edit here."
                if console(self).session.repositories
                else NO_REPOSITORY
            )
            self.post_message(ConfigOpened(name, None, error))
            return
        model_dir, root = found
        foreign = None
        try:
            text, stamp, foreign = read_config_any(model_dir / CONFIG_NAME)
        except FileNotFoundError:
            text, stamp = "", FileStamp.missing()
        except OSError as exc:
            self.post_message(ConfigOpened(name, None, f"cannot read {CONFIG_NAME}: {exc}"))
            return
        if unless_stamp is not None and unless_stamp.same_content(stamp):
            return
        doc = OpenConfig(name, model_dir, root, text, stamp, foreign)
        reread = unless_stamp is not None
        self.post_message(ConfigOpened(name, doc, reread=reread, prepared=prepare(text)))

    @on(ConfigOpened)
    def _opened(self, message: ConfigOpened) -> None:
        if message.reread and self.modified:
            return  # typing began meanwhile: saving will ask about the change on disk
        editor = self.editor
        previous, self.doc = self.doc, message.doc
        self.diagnostics, self.completed = [], None
        self._declined = ""
        if message.doc is None:
            editor.read_only = True
            editor.placeholder = message.error
            editor.load_text("")
            self.say(message.error, "yellow")
        else:
            # The same text again (two opens racing): the cursor stays where it is.
            again = (
                previous is not None
                and previous.name == message.doc.name
                and editor.text == message.doc.saved_text
            )
            cursor = editor.cursor_location
            editor.read_only = False
            editor.placeholder = NO_CONFIG if not message.doc.stamp.exists else ""
            if message.prepared is not None:
                editor.load_prepared(message.prepared)
            else:
                editor.load_text(message.doc.saved_text)
            if again:
                editor.move_cursor(cursor)
            foreign = message.doc.foreign
            self.say(foreign.describe() if foreign else "", "yellow")
            self.diagnostics = foreign_diagnostics(foreign, str(message.doc.path))
        self.modified = False
        self._show_diagnostics()
        self.lint_now()
        jump = self._pending_jump
        if message.doc is not None and jump and jump[0] == message.doc.name:
            self._pending_jump = None
            editor.move_cursor((max(jump[1] - 1, 0), max(jump[2] - 1, 0)))
            editor.focus()

    @on(ConfigJumpRequested)
    def _jump_requested(self, message: ConfigJumpRequested) -> None:
        self.jump_when_open(message.name, message.line, message.col)

    def jump_when_open(self, name: str, line: int, col: int) -> None:
        """Put the cursor at line:col (1-based) of `name`'s config once it is open."""
        self._pending_jump = (name, line, col)
        if self.doc is not None and self.doc.name == name and not self.modified:
            self.open_model(name)

    def on_model_state_changed(self, message: ModelStateChanged) -> None:
        """A deploy or a refresh may have rewritten the file: re-read it unless edited here."""
        doc = self.doc
        if (
            message.handed_down
            and doc is not None
            and not self.modified
            and message.name in ("", doc.name)
            and message.action in ("deploy", "file")
        ):
            self.open_model(doc.name, doc.stamp)

    def load_saved(self, text: str, stamp: FileStamp) -> None:
        """The file on disk now holds `text` (after save or restore)."""
        if self.doc is None:
            return
        self.doc.saved_text, self.doc.stamp = text, stamp
        if self.editor.text != text:
            self.editor.load_text(text)
            self.lint_now()
        self.editor.placeholder = ""
        self.modified = False
        self._render_title()

    @on(TextArea.Changed, "#config-editor")
    def _changed(self, _event: TextArea.Changed) -> None:
        # Comparing the whole text costs O(file) per key: done on the first change only; once
        # modified, the debounced lint compares again (typing back to the saved text).
        was = self.modified
        if self.doc is None:
            self.modified = False
        elif not was:
            self.modified = self.editor.text != self.doc.saved_text
        if self.modified != was:
            self._render_title()
        self._generation += 1
        if self._lint_timer is not None:
            self._lint_timer.stop()
        self._lint_timer = self.set_timer(LINT_DELAY_S, self.lint_now)

    def lint_now(self) -> None:
        if self.doc is None:
            return
        idle = console(self).collector.idle_for()
        if self.editor.document.line_count >= LINT_WHEN_IDLE_LINES and idle < IDLE_S:
            # A big file's lint keeps a thread (and the GIL) busy for a third of a second:
            # it waits for a pause in the keys, as a full garbage collection does.
            if self._lint_timer is not None:
                self._lint_timer.stop()
            self._lint_timer = self.set_timer(IDLE_S - idle, self.lint_now)
            self.linting = True
            self._render_title()
            return
        self._generation += 1
        text = self.editor.text
        if self.modified and text == self.doc.saved_text:
            self.modified = False
            self._render_title()
        self.linting = True
        self._render_title()
        self.lint(self._generation, self.doc.name, self.doc.model_dir, text)

    @work(thread=True, exclusive=True, group="config-lint")
    def lint(self, generation: int, name: str, model_dir: Path, text: str) -> None:
        start = time.perf_counter()
        session = console(self).session
        target = server_target(session.server, session.client.url)
        report = RepositoryLinter(model_dir.parent, {name: text}, target).lint(name)
        elapsed = (time.perf_counter() - start) * 1000
        self.post_message(ConfigLinted(generation, report.diagnostics, report.config, elapsed))

    @on(ConfigLinted)
    def _linted(self, message: ConfigLinted) -> None:
        if message.generation != self._generation:
            return  # the buffer changed since: a newer lint is on its way
        doc = self.doc
        foreign = foreign_diagnostics(doc.foreign, str(doc.path)) if doc is not None else []
        self.diagnostics, self.completed = message.diagnostics + foreign, message.config
        self.linting = False
        self.lint_ms = message.elapsed_ms
        self._show_diagnostics()

    def _show_diagnostics(self) -> None:
        listing = self.query_one("#config-diagnostics", OptionList)
        listing.clear_options()
        listing.add_options(
            Option(diagnostic_label(d), id=str(i)) for i, d in enumerate(self.diagnostics)
        )
        listing.display = bool(self.diagnostics)
        marks: dict[int, str] = {}
        for d in sorted(self.diagnostics, key=lambda d: not d.is_error):
            if d.line > 0:
                marks.setdefault(d.line - 1, "lint.error" if d.is_error else "lint.warning")
        self.editor.mark_lines(marks)
        self._render_title()

    @on(OptionList.OptionSelected, "#config-diagnostics")
    def _jump(self, event: OptionList.OptionSelected) -> None:
        d = self.diagnostics[int(event.option.id or 0)]
        editor = self.editor
        row = min(max(d.line - 1, 0), editor.document.line_count - 1)
        col = max(d.col - 1, 0)
        editor.move_cursor((row, col), center=True)
        editor.focus()

    # Rendering ----------------------------------------------------------------------------
    def _render_title(self) -> None:
        title = Text()
        doc = self.doc
        if doc is None:
            title.append("Config", "bold")
        else:
            title.append(doc.name, "bold")
            shown = f"{doc.name}/{CONFIG_NAME}"
            title.append(f"  {shown}{'' if doc.stamp.exists else ' (new)'}", "dim")
            if self.modified:
                title.append("  ● modified", "bold yellow")
            errors = sum(d.is_error for d in self.diagnostics)
            warnings = len(self.diagnostics) - errors
            if errors:
                title.append(f"  ✗ {errors} error{'s' * (errors != 1)}", "bold red")
            if warnings:
                title.append(f"  ⚠ {warnings} warning{'s' * (warnings != 1)}", "yellow")
            if self.linting:
                title.append("  linting…", "dim")
            elif not self.diagnostics:
                title.append("  ✓ lint clean", "green")
        self.query_one("#config-title", Static).update(title)

    def say(self, message: str, style: str = "") -> None:
        """The status line under the editor: the outcome of the last save or apply."""
        self.message = message
        self.query_one("#config-status", Static).update(Text(message, style))

    # Small actions ------------------------------------------------------------------------
    def action_edit(self) -> None:
        self.editor.focus()

    def action_leave_editor(self) -> None:
        self.focus()
