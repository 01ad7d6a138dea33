"""Repository pane: models on disk merged with the server's index; load, unload, reload."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.core.client import TritonError
from tui.core.modelconfig import NormalizeError, normalize_json
from tui.core.repository import ModelView, poll
from tui.core.sanitize import clean, clean_line

STATE_STYLE = {
    "READY": "green",
    "LOADING": "yellow",
    "UNLOADING": "yellow",
    "UNAVAILABLE": "bold red",
    "FAILED": "bold red",
    "NOT LOADED": "dim",
    "NOT ON SERVER": "magenta",
    "NOT READY": "yellow",
}
GONE = "folder gone"  # shown beside READY for a model served without its folder


def _fmt_size(size: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return str(size)


@dataclass
class RepositoryScanned(Message):
    views: list[ModelView]
    error: str = ""


@dataclass
class ModelDetailFetched(Message):
    name: str
    metadata: dict[str, Any] | None
    config: dict[str, Any] | None
    error: str = ""


@dataclass
class ModelActionFinished(Message):
    name: str
    action: str
    error: str = ""


class RepositoryPane(Horizontal):
    BINDINGS = [
        Binding("l", "load", "Load"),
        Binding("u", "unload", "Unload"),
        Binding("r", "reload", "Reload"),
        Binding("d", "deploy", "Deploy"),
        Binding("ctrl+r,f5", "refresh", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="repository-pane")
        self.views: dict[str, ModelView] = {}
        self.details: dict[str, ModelDetailFetched] = {}
        self.busy: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        table: DataTable[Text | str] = DataTable(id="model-table", cursor_type="row")
        table.add_column("Model", key="name")
        table.add_column("Ver", key="version")
        table.add_column("State", key="state")
        yield table
        with VerticalScroll(id="model-detail"):
            yield Static("", id="repository-banner")
            yield Static("Waiting for the server…", id="model-detail-text")

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.watch(self.app, "server_state", self._server_state_changed)
        self.set_interval(2.0, self.refresh_models)

    def _server_state_changed(self, state: str) -> None:
        if state in ("ready", "failed"):
            self.refresh_models()

    # Data ----------------------------------------------------------------------------------
    @property
    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(row_key.value)

    def refresh_models(self) -> None:
        """Timer tick: rescan while the pane is shown (it rescans as soon as it is shown again)."""
        if self.app.server_state != "starting" and self.region.area:  # type: ignore[attr-defined]
            self.scan()

    def on_show(self) -> None:
        if self.app.server_state != "starting":  # type: ignore[attr-defined]
            self.scan()

    @work(thread=True, exclusive=True, group="repository-scan")
    def scan(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        reasons = session.errors.reasons() if session.errors else {}
        result = poll(session.client, session.repositories, reasons, known=list(self.views))
        self.post_message(RepositoryScanned(result.views, result.error))

    @work(thread=True, group="repository-detail")
    def fetch_detail(self, name: str) -> None:
        client = self.app.session.client  # type: ignore[attr-defined]
        metadata = config = None
        error = ""
        try:
            config = client.model_config(name)
            metadata = client.model_metadata(name)
        except TritonError as exc:
            error = str(exc)
        self.post_message(ModelDetailFetched(name, metadata, config, error))

    @work(thread=True, group="repository-action")
    def run_action(self, name: str, action: str) -> None:
        client = self.app.session.client  # type: ignore[attr-defined]
        error = ""
        try:
            if action == "unload":
                client.unload(name)
            else:
                client.load(name)
        except TritonError as exc:
            error = str(exc)
        self.post_message(ModelActionFinished(name, action, error))

    # Messages ------------------------------------------------------------------------------
    @on(RepositoryScanned)
    def _scanned(self, message: RepositoryScanned) -> None:
        table = self.query_one(DataTable)
        new = {v.name: v for v in message.views}
        changed = {n for n, v in new.items() if self._row(self.views.get(n)) != self._row(v)}
        self.views = new
        names = list(new)
        if [str(k.value) for k in table.rows] != names:
            keep = self.selected
            table.clear()
            for view in message.views:
                table.add_row(*self._row(view), key=view.name)
            if keep in self.views:
                table.move_cursor(row=names.index(keep))
        else:
            for name in changed:
                for col, value in zip(
                    ("name", "version", "state"), self._row(self.views[name]), strict=True
                ):
                    table.update_cell(name, col, value)
        banner = ""
        if message.error and self.app.server_state == "ready":  # type: ignore[attr-defined]
            banner = (
                f"The server's repository index failed: {message.error}\n"
                "States below come from each model's own ready check.\n"
            )
        self.query_one("#repository-banner", Static).update(Text(banner, "bold red"))
        selected = self.selected
        if selected and (selected in changed or selected not in self.details):
            self.fetch_detail(selected)
        if changed or not selected:
            self._show_detail()

    def _row(self, view: ModelView | None) -> tuple[Text | str, ...]:
        if view is None:
            return ()
        state = self.busy.get(view.name, view.state)
        name = clean_line(view.name)  # a folder name is a file name: it may hold escape codes
        shown = Text(state, STATE_STYLE.get(state, ""))
        if view.gone_from_disk and view.name not in self.busy:
            shown.append(f" · {GONE}", "bold magenta")
        return (name, clean_line(view.version) or "-", shown)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = str(event.row_key.value)
        self.app.selected_model = name  # type: ignore[attr-defined]
        self._show_detail()
        if name in self.views:
            self.fetch_detail(name)

    @on(ModelDetailFetched)
    def _detail(self, message: ModelDetailFetched) -> None:
        self.details[message.name] = message
        self._show_detail()

    @on(ModelActionFinished)
    def _action_done(self, message: ModelActionFinished) -> None:
        self.busy.pop(message.name, None)
        verb = {"load": "loaded", "unload": "unloaded", "reload": "reloaded"}[message.action]
        if message.error:
            self.notify(
                f"{message.action} {message.name} failed: {message.error}",
                severity="error",
                timeout=15,
            )
        else:
            self.notify(f"{message.name} {verb}")
        self.details.pop(message.name, None)
        self.scan()

    # Rendering -----------------------------------------------------------------------------
    def _show_detail(self) -> None:
        name = self.selected
        target = self.query_one("#model-detail-text", Static)
        view = self.views.get(name or "")
        if view is None:
            target.update("No models in the repository." if not self.views else "")
            return
        target.update(render_detail(view, self.details.get(view.name)))

    # Actions -------------------------------------------------------------------------------
    def _act(self, action: str) -> None:
        name = self.selected
        if not name or name in self.busy:
            return
        self.busy[name] = {"load": "LOADING", "reload": "LOADING", "unload": "UNLOADING"}[action]
        self.query_one(DataTable).update_cell(name, "state", self._row(self.views[name])[2])
        self.notify(f"{action} {name} …", timeout=3)
        self.run_action(name, action)

    def action_load(self) -> None:
        self._act("load")

    def action_unload(self) -> None:
        self._act("unload")

    def action_reload(self) -> None:
        self._act("reload")

    def action_refresh(self) -> None:
        self.scan()

    def action_deploy(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        if not session.repositories:
            self.notify(
                "deploying needs the model repository on this machine: start with "
                "--model-repository DIR",
                severity="warning",
            )
            return
        from tui.panes.deploy import DeployScreen

        self.app.push_screen(DeployScreen(session.repositories[0]), self._deployed)

    def _deployed(self, name: str | None) -> None:
        self.scan()
        if name and getattr(self.app, "config_jump", None):
            self.app.selected_model = name  # type: ignore[attr-defined]
            self.app.action_show_pane("config")  # type: ignore[attr-defined]


def render_detail(view: ModelView, detail: ModelDetailFetched | None) -> Text:
    text = Text()
    text.append(clean_line(view.name), "bold")
    state = view.state
    text.append(f"  {state}", STATE_STYLE.get(state, ""))
    if view.version:
        text.append(f"  version {view.version}")
    text.append("\n")
    if view.gone_from_disk:
        text.append(
            "\nServed, but its folder is no longer in the model repository (deleted or renamed): "
            "the server keeps serving what it loaded until it is unloaded; a reload will fail.\n",
            "bold magenta",
        )
    if view.reason:
        text.append("\nReason: ", "bold red")
        text.append(clean(view.reason).strip() + "\n", "red")
    disk = view.disk
    if disk is not None:
        for problem in disk.problems:
            text.append(f"⚠ {clean_line(problem)}\n", "yellow")
        if disk.note:
            text.append(f"\n{disk.note}\n", "italic")
        text.append(f"\n{clean_line(str(disk.path))}\n", "dim")
        if not disk.has_config:
            text.append("no config.pbtxt (the server autocompletes it)\n", "italic")
        for f in disk.files[:30]:
            text.append(f"  {clean_line(f.path):<24} {_fmt_size(f.size):>9}\n")
        if len(disk.files) > 30:
            text.append(f"  … {len(disk.files) - 30} more files\n", "dim")
    if detail is None or view.state != "READY":
        return text
    if detail.metadata:
        text.append("\nInputs and outputs as served\n", "bold")
        for kind in ("inputs", "outputs"):
            for t in detail.metadata.get(kind, []):
                arrow = "→" if kind == "inputs" else "←"
                text.append(f"  {arrow} {t['name']}  {t['datatype']}  {t['shape']}\n")
    if detail.config:
        text.append("\nEffective config (from the server)\n", "bold")
        text.append(_config_summary(detail.config), "cyan")
    return text


def _config_summary(config: dict[str, Any]) -> str:
    """The server's effective config (JSON) in config.pbtxt syntax, defaults left out."""
    try:
        return normalize_json(config)
    except NormalizeError:
        return json.dumps(config, indent=2) + "\n"
