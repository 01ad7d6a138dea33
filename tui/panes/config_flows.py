"""The config pane's multi-step flows: save, apply, generate, diff, snippets, $EDITOR, discard.

Each flow is a coroutine run as an async worker: it asks its questions with modal screens
(`push_screen_wait`) and runs file and HTTP work with `asyncio.to_thread`, off the event loop.
`ConfigFlows` is mixed into `ConfigPane` (tui/panes/config_editor.py), which owns the state.
"""

from __future__ import annotations

import asyncio
import difflib
import shutil
import subprocess
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import SuspendNotSupported

from tui.core.modelconfig import (
    SNIPPETS,
    ExternalChangeError,
    ModelConfig,
    NormalizeError,
    RepositoryLinter,
    StoreError,
    backup_path,
    read_config_any,
    restore_backup,
    save_config,
)
from tui.core.modelconfig.snippets import single_field_line
from tui.core.modelconfig.target import server_target
from tui.core.server.client import TritonError
from tui.core.server.session import Session
from tui.panes.config_dialogs import (
    DiffScreen,
    PickScreen,
    confirm,
    external_change_question,
    unsaved_edits_question,
)
from tui.panes.config_tasks import (
    disk_diff,
    edit_in_editor,
    editor_command,
    generation_sources,
    load_model,
    snippet_model,
)
from tui.state import ModelStateChanged, console

if TYPE_CHECKING:
    from textual.widget import Widget as _Base

    from tui.panes.config_editor import OpenConfig
else:
    _Base = object


class ConfigFlows(_Base):
    """Flows for `ConfigPane`; the pane provides the state and widgets named below."""

    if TYPE_CHECKING:
        from tui.widgets.config_text import ConfigTextArea

        doc: OpenConfig | None
        modified: bool
        completed: ModelConfig | None

        @property
        def editor(self) -> ConfigTextArea: ...

        def say(self, message: str, style: str = "") -> None: ...
        def load_saved(self, text: str, stamp: Any) -> None: ...
        def open_model(self, name: str) -> Any: ...
        def _render_title(self) -> None: ...

    _flowing = False
    _declined = ""

    @property
    def session(self) -> Session:
        return console(self.app).session

    @property
    def busy(self) -> bool:
        return self._flowing

    def start_flow(self, flow: Coroutine[Any, Any, Any]) -> None:
        if self._flowing:
            flow.close()
            self.notify("Finish the current step first.", severity="warning")
            return
        if self.doc is None:
            flow.close()
            self.notify("No config open: select a model in the Repository pane (1).")
            return

        async def guarded() -> None:
            self._flowing = True
            try:
                await flow
            finally:
                self._flowing = False

        self.run_worker(guarded(), group="config-flow", exit_on_error=False)

    async def ask(self, screen: Any) -> str | None:
        answer: str | None = await self.app.push_screen_wait(screen)
        return answer

    # Save and apply -----------------------------------------------------------------------
    def action_save(self) -> None:
        self.start_flow(self.save_flow())

    def action_apply(self) -> None:
        if console(self.app).may_change_server("applying a config"):
            self.start_flow(self.apply_flow())

    async def save_flow(self) -> bool:
        doc = self.doc
        assert doc is not None
        text = self.editor.text
        target = server_target(self.session.server, self.session.client.url)
        report = await asyncio.to_thread(
            lambda: RepositoryLinter(doc.root, {doc.name: text}, target).lint(doc.name)
        )
        if report.errors:
            listing = "\n".join(f"{d.line}:{d.col} {d.message}" for d in report.errors[:8])
            n = len(report.errors)
            answer = await self.ask(
                confirm(
                    "Save despite lint errors?",
                    f"{doc.name}/config.pbtxt fails the lint with {n} error{'s' * (n != 1)}; "
                    f"Triton will likely refuse it.\n\n{listing}",
                    yes="Save anyway",
                    no="Keep editing",
                )
            )
            if answer != "yes":
                self.say("Not saved.", "yellow")
                return False
        expected = doc.stamp
        had_file = doc.stamp.exists
        while True:
            try:
                stamp = await asyncio.to_thread(
                    save_config,
                    doc.path,
                    text,
                    repository_root=doc.root,
                    expected=expected,
                    foreign=doc.foreign,
                )
                break
            except ExternalChangeError as exc:
                answer = await self.ask(external_change_question(doc.name, exc))
                if answer == "overwrite":
                    expected, had_file = None, exc.current.exists  # type: ignore[assignment]
                    continue
                if answer == "reload":
                    self.open_model(doc.name)
                    self.say("Reloaded from disk; the edits were dropped.", "yellow")
                else:
                    self.say("Not saved.", "yellow")
                return False
            except (StoreError, OSError) as exc:
                self.say(f"Save failed: {exc}", "bold red")
                return False
        if self.doc is doc:
            doc.saved_text, doc.stamp = text, stamp
            self.modified = self.editor.text != text
            self._render_title()
        kept = " (previous version kept as config.pbtxt.bak)" if had_file else ""
        self.say(f"Saved {time.strftime('%H:%M:%S')}{kept}", "green")
        return True

    async def apply_flow(self) -> None:
        doc = self.doc
        assert doc is not None
        if (self.modified or not doc.stamp.exists) and not await self.save_flow():
            return
        ok, error = await self.load_and_report(doc.name)
        if ok or not await asyncio.to_thread(backup_path(doc.path).exists):
            return
        answer = await self.ask(
            confirm(
                f"{doc.name} failed to load",
                f"The server refused the new config:\n\n{error}\n\n"
                "Restore the previous config.pbtxt (from config.pbtxt.bak) and load it again? "
                "The refused version becomes the backup.",
                yes="Restore and reload",
                no="Keep my edits",
                default="yes",
            )
        )
        if answer != "yes":
            return
        try:
            await asyncio.to_thread(restore_backup, doc.path, repository_root=doc.root)
            text, stamp, foreign = await asyncio.to_thread(read_config_any, doc.path)
        except (StoreError, OSError) as exc:
            self.say(f"Restore failed: {exc}", "bold red")
            return
        if self.doc is doc:
            doc.foreign = foreign
            self.load_saved(text, stamp)
        await self.load_and_report(doc.name, "restored the backup; ")

    async def load_and_report(self, name: str, prefix: str = "") -> tuple[bool, str]:
        self.say(f"{prefix}loading {name} …", "yellow")
        ok, error = await asyncio.to_thread(load_model, self.session, name)
        if ok:
            self.say(f"{prefix}{name} is READY (loaded {time.strftime('%H:%M:%S')})", "bold green")
            self.notify(f"{name} loaded: READY")
        else:
            self.say(f"{prefix}{name} failed to load: {error}", "bold red")
            self.notify(error, title=f"{name} failed to load", severity="error", timeout=15)
        self.post_message(ModelStateChanged(name, "restore" if prefix else "apply", error))
        return ok, error

    # Generate, diff, snippets ------------------------------------------------------------------
    def action_generate(self) -> None:
        self.start_flow(self.generate_flow())

    def action_diff(self) -> None:
        self.start_flow(self.diff_flow())

    def action_snippet(self) -> None:
        self.start_flow(self.snippet_flow())

    async def generate_flow(self) -> None:
        doc = self.doc
        assert doc is not None
        texts, problems = await asyncio.to_thread(generation_sources, self.session, doc)
        if not texts:
            self.notify("\n".join(problems), title="Cannot generate", severity="error")
            return
        labels = {
            "onnx": "From model.onnx (inputs, outputs, dims, max_batch_size)",
            "server": "From the server's effective (auto-completed) config",
        }
        source = await self.ask(
            PickScreen(f"Generate a config for {doc.name}", [(k, labels[k]) for k in texts])
        )
        if source is None or self.doc is not doc:
            return
        self.editor.replace(texts[source], (0, 0), self.editor.document.end)
        self.editor.placeholder = ""
        self.say(f"Generated {labels[source][5:]}: not saved yet (ctrl+s; ctrl+z undoes).")

    async def diff_flow(self) -> None:
        doc = self.doc
        assert doc is not None
        try:
            diff = await asyncio.to_thread(disk_diff, self.session, doc)
        except (TritonError, NormalizeError) as exc:
            self.notify(str(exc), title="No diff", severity="error")
            return
        if not diff:
            self.notify(f"{doc.name}: the file on disk and the server's config agree.")
            return
        title = f"{doc.name}: config.pbtxt on disk (-) vs the server's effective config (+)"
        if self.modified:  # the user's own changes first
            edits = "".join(
                difflib.unified_diff(
                    doc.saved_text.splitlines(keepends=True),
                    self.editor.text.splitlines(keepends=True),
                    f"{doc.name}/config.pbtxt (on disk)",
                    f"{doc.name}/config.pbtxt (your edits, not saved)",
                )
            )
            diff = f"{edits}\n{diff}"
            title = f"{doc.name}: your unsaved edits, then the file on disk vs the server's config"
        await self.ask(DiffScreen(title, diff))

    async def snippet_flow(self) -> None:
        doc = self.doc
        assert doc is not None
        title = await self.ask(
            PickScreen("Insert a snippet (at the cursor's line)", [(t, t) for t in SNIPPETS])
        )
        if title is None or self.doc is not doc:
            return
        model = await asyncio.to_thread(snippet_model, self.session, doc, self.completed)
        text = SNIPPETS[title](model)
        existing = single_field_line(self.editor.text, text)
        if existing is not None:
            field, line = existing
            answer = await self.ask(
                confirm(
                    f"{field} is already set (line {line + 1})",
                    f"config.pbtxt may hold one {field} only: a second block makes the server "
                    "refuse the config. Edit the one there instead?",
                    yes="Go to it",
                    default="yes",
                )
            )
            if answer == "yes" and self.doc is doc:
                self.editor.move_cursor((line, 0), center=True)
                self.editor.focus()
            return
        row = self.editor.cursor_location[0]
        self.editor.insert(text if text.endswith("\n") else text + "\n", (row, 0))
        self.editor.placeholder = ""
        self.say(f"Inserted {title} (ctrl+z undoes).")

    # $EDITOR --------------------------------------------------------------------------------
    def action_external_editor(self) -> None:
        self.start_flow(self.external_flow())

    async def external_flow(self) -> None:
        doc = self.doc
        assert doc is not None
        command = editor_command()
        if command is None or not shutil.which(command[0]):
            self.notify("Set $EDITOR to an editor on PATH.", severity="error")
            return

        def run(path: Path) -> int | None:
            try:
                with self.app.suspend():
                    return subprocess.run([*command, str(path)], check=False).returncode
            except SuspendNotSupported:
                return None

        try:
            code, text = edit_in_editor(doc.name, self.editor.text, run)  # the app is suspended
        except (OSError, UnicodeDecodeError) as exc:
            self.notify(f"$EDITOR: {exc}", severity="error")
            return
        if code is None:
            self.notify("This terminal cannot hand over to $EDITOR.", severity="error")
            return
        if code != 0:
            self.say(f"{command[0]} exited with {code}; buffer unchanged.", "yellow")
        elif text != self.editor.text and self.doc is doc:
            self.editor.replace(text, (0, 0), self.editor.document.end)
            self.say(f"Edited in {command[0]}: not saved yet (ctrl+s; ctrl+z undoes).")

    # Unsaved edits ---------------------------------------------------------------------------
    async def switch_flow(self, wanted: str) -> None:
        doc = self.doc
        assert doc is not None
        answer = await self.ask(unsaved_edits_question(doc.name, wanted))
        if answer == "discard" or (answer == "save" and await self.save_flow()):
            self.open_model(wanted)
        else:
            self._declined = wanted
            self.say(f"Still editing {doc.name}: {wanted} not opened.", "yellow")

    async def confirm_discard(self) -> bool:
        """Called before the app quits: True when nothing unsaved is lost (or the user agrees)."""
        doc = self.doc
        if doc is None or not self.modified:
            return True
        answer = await self.ask(unsaved_edits_question(doc.name))
        if answer == "save":
            return await self.save_flow()
        return answer == "discard"
