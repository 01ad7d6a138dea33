"""The server's log settings: a line that shows them (read when the server is ready) and a small
dialog that changes them live (POST /v2/logging)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, Switch

from tui.core.server.client import TritonError
from tui.state import console
from tui.workers import ReportsWorkerFailures, work


@dataclass
class LogSettingsFetched(Message):
    settings: dict[str, Any] | None
    error: str = ""


class LogSettingsLine(ReportsWorkerFailures, Static):
    """The settings in one line; `change` opens the dialog and applies what it returns."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.settings: dict[str, Any] | None = None
        self.error = ""

    def on_mount(self) -> None:
        self.watch(self.app, "server_state", self._server_state_changed)
        self._show()

    def _server_state_changed(self, state: str) -> None:
        if state == "ready":
            self.fetch()

    @work(thread=True, exclusive=True, group="log-settings")
    def fetch(self, changes: dict[str, Any] | None = None) -> None:
        client = console(self).session.client
        try:
            settings = client.update_log_settings(**changes) if changes else client.log_settings()
        except TritonError as exc:
            self.post_message(LogSettingsFetched(None, f"cannot read or change: {exc}"))
            return
        self.post_message(LogSettingsFetched(settings))

    def on_log_settings_fetched(self, message: LogSettingsFetched) -> None:
        if message.settings is not None:
            self.settings, self.error = message.settings, ""
        else:
            self.error = message.error
            self.app.notify(message.error, title="Log settings", severity="error")
        self._show()

    def change(self) -> None:
        if not console(self).may_change_server("changing the server's log settings"):
            return
        if self.settings is None:
            self.app.notify("the server's log settings are not known yet", severity="warning")
            return

        def apply(changes: dict[str, Any] | None) -> None:
            if changes:
                self.fetch(changes)

        self.app.push_screen(LogSettingsScreen(self.settings), apply)

    def _show(self) -> None:
        self.update(settings_text(self.settings, self.error, console(self).read_only))


class LogSettingsScreen(ModalScreen[dict[str, Any] | None]):
    """Dismisses with the changed settings only (None when cancelled or nothing changed)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__(id="log-settings-screen")
        self.settings = settings

    def compose(self) -> ComposeResult:
        s = self.settings
        with Vertical(id="log-settings-dialog"):
            yield Static("Server log settings (applied live through /v2/logging)", classes="title")
            with Grid(id="log-settings-grid"):
                yield Label("verbose level")
                yield Input(str(s.get("log_verbose_level", 0)), id="ls-verbose", type="integer")
                for key in ("info", "warning", "error"):
                    yield Label(f"{key} lines")
                    yield Switch(bool(s.get(f"log_{key}", True)), id=f"ls-{key}")
            yield Static("", id="ls-problem")
            with Horizontal(id="log-settings-buttons"):
                yield Button("Apply", id="ls-apply", variant="primary")
                yield Button("Cancel", id="ls-cancel")

    def changes(self) -> dict[str, Any]:
        raw = self.query_one("#ls-verbose", Input).value.strip() or "0"
        verbose = int(raw)
        if verbose < 0:
            raise ValueError("the verbose level is 0 or more")
        wanted: dict[str, Any] = {"log_verbose_level": verbose}
        for key in ("info", "warning", "error"):
            wanted[f"log_{key}"] = self.query_one(f"#ls-{key}", Switch).value
        return {k: v for k, v in wanted.items() if self.settings.get(k) != v}

    @on(Button.Pressed, "#ls-apply")
    @on(Input.Submitted, "#ls-verbose")
    def apply(self) -> None:
        try:
            changes = self.changes()
        except ValueError as exc:
            self.query_one("#ls-problem", Static).update(f"not applied: {exc}")
            return
        self.dismiss(changes or None)

    @on(Button.Pressed, "#ls-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def settings_text(settings: dict[str, Any] | None, error: str, read_only: bool) -> Text:
    """The server's log settings in one line (`error` when they could not be read)."""
    text = Text("server logging: ", "bold")
    if settings is None:
        text.append(error or "not read yet (waits for the server)", "dim")
        return text
    s = settings
    text.append(f"verbose {s.get('log_verbose_level', '?')}")
    for key in ("info", "warning", "error"):
        on = bool(s.get(f"log_{key}"))
        text.append(f" · {key} ")
        text.append("on" if on else "off", "green" if on else "red")
    text.append(f" · format {s.get('log_format', '?')}")
    if s.get("log_file"):
        text.append(f" · file {s['log_file']}")
    hint = "read-only: not changed here" if read_only else "s changes these"
    text.append(f"   ({hint})", "dim")
    return text
