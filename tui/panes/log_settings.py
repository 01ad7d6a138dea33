"""A small dialog that changes the server's log settings live (POST /v2/logging)."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, Switch


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
