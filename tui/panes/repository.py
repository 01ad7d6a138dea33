"""Repository pane: models on disk merged with the server's index; load, unload, reload.

It renders the app's model store (tui/core/store/models.py): `ModelsChanged` brings each new
snapshot, with the effective config already rendered off the UI thread; the pane only asks for a
refresh (every 2 s while it is shown) and never reads the server's listing itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from tui.core.server.client import TritonError
from tui.core.store.models import ServedModel
from tui.core.store.repository import ModelView
from tui.intents import DeployRequested, ModelActionRequested
from tui.panes.repository_detail import render_detail, row_cells
from tui.panes.repository_list import ModelTable
from tui.state import ModelAction, ModelsChanged, ModelSelected, ModelStateChanged, console
from tui.workers import ReportsWorkerFailures, work

DETAIL_SETTLE_S = 0.05


@dataclass
class ModelActionFinished(Message):
    name: str
    action: str
    error: str = ""


class RepositoryPane(ReportsWorkerFailures, Horizontal):
    HELP = """\
**Repository**: the models on disk and on the server; ↑↓ or j/k move, g/G first/last, `/` filters.
The model under the cursor is the one every pane acts on: `l` `u` `r` load, unload, reload it;
`b` benchmarks it, `P` times its cold start, `e` edits its config, `L` shows its log lines;
`i` sends it one request (outputs, curl, Python), `V` verifies it against onnxruntime.
`d` deploys a new model file; ctrl+r re-reads the server and the disk.
"""

    BINDINGS = [
        Binding("l", "app.model('load')", "Load"),
        Binding("u", "app.model('unload')", "Unload"),
        Binding("r", "app.model('reload')", "Reload"),
        Binding("b", "app.bench_model", "Bench"),
        Binding("i", "app.infer_model", "Infer", show=False),  # the footer is full at 80
        Binding("V", "app.verify_model", "Verify", show=False),
        Binding("e", "app.edit_config", "Config", show=False),
        Binding("d", "deploy", "Deploy"),
        Binding("slash", "filter", "Filter", key_display="/", show=False),
        Binding("f5", "refresh", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="repository-pane")
        self.views: dict[str, ModelView] = {}
        self.details: dict[str, ServedModel] = {}
        self._store_error = ""  # the store's last error, read again when the server state moves
        self.busy: dict[str, str] = {}
        self.pattern = ""  # the `/` filter on model names
        self._announced: list[str] = []  # selections sent to the app, not yet echoed back
        self._detail_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="model-list"):
            yield ModelTable()
            yield Input(
                placeholder="filter models (Enter keeps, Esc clears)",
                id="model-filter",
                classes="own-escape",
            )
        with VerticalScroll(id="model-detail"):
            yield Static("", id="repository-banner")
            yield Static("Waiting for the server…", id="model-detail-text")

    def on_mount(self) -> None:
        self.query_one(ModelTable).focus()
        self.query_one("#model-filter").display = False
        self.watch(self.app, "server_state", self._server_state_changed)
        self.watch(self.app, "selected_model", self._follow_selection, init=False)
        self.set_interval(2.0, self.refresh_models)

    def _server_state_changed(self, state: str) -> None:
        self._show_banner()  # the same store error reads differently once the server is down
        if state in ("ready", "failed", "lost"):
            console(self).refresh_models()

    # Data ----------------------------------------------------------------------------------
    @property
    def selected(self) -> str | None:
        return self.query_one(ModelTable).selected

    def refresh_models(self) -> None:
        """Timer tick: refresh the store while the pane is shown (and as soon as it is shown
        again)."""
        if self.region.area:
            console(self).refresh_models()

    def on_show(self) -> None:
        console(self).refresh_models()

    def scan(self) -> None:
        """Read the disk and the server again now (through the store)."""
        console(self).refresh_models()

    @work(thread=True, group="repository-action")
    def run_model_action(self, name: str, action: str) -> None:
        client = console(self).session.client
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
    @on(ModelsChanged)
    def _store_changed(self, message: ModelsChanged) -> None:
        snapshot = message.snapshot
        self._store_error = snapshot.error
        if not (snapshot.error and not snapshot.views):  # else: what it said last, labelled
            self.views = {v.name: v for v in snapshot.views}
            self.details = dict(snapshot.served)
        changed = set(message.changed)
        self._fill(changed)
        self._show_banner()
        selected = self.selected
        if not selected or selected in changed:
            self._show_detail()

    def _show_banner(self) -> None:
        """What the store's last error means, given the server's state now."""
        error = self._store_error
        state = console(self).server_state
        down = bool(error) and state in ("lost", "failed")
        banner = ""
        if error and state == "ready":
            banner = (
                f"The server's repository index failed: {error}\n"
                "States below come from each model's own ready check.\n"
            )
        elif down:
            banner = (
                f"The server does not answer: {error}\n"
                "The states below are the last it gave, not current.\n"
            )
        self.query_one("#repository-banner", Static).update(Text(banner, "bold red"))

    def _fill(self, changed: set[str]) -> None:
        """Rows for the models the filter lets through; the cursor stays on its model."""
        table = self.query_one(ModelTable)
        shown = [v for v in self.views.values() if self.pattern.lower() in v.name.lower()]
        keep = table.selected or console(self).selected_model
        table.fill(shown, self._row, changed, keep)

    def state_of(self, view: ModelView) -> str:
        """The state shown in the list and in the detail alike (an action in flight first)."""
        return self.busy.get(view.name, view.state)

    def _row(self, view: ModelView) -> tuple[Text | str, ...]:
        return row_cells(view, self.state_of(view), view.name in self.busy)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = str(event.row_key.value)
        if name != self.selected:
            # Stale: the cursor moved on before this was handled (a rebuilt table first
            # highlights row 0). Passing it on would send the selection back and forth between
            # this list and the app's selected model, for ever.
            return
        self._announce(name)
        self._detail_soon()

    def _detail_soon(self) -> None:
        """The detail follows the cursor once it rests (DETAIL_SETTLE_S): the key's own repaint
        (the cursor) is not held back by laying out a new detail on every row passed."""
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_SETTLE_S, self._show_detail)

    def _announce(self, name: str) -> None:
        self._announced.append(name)
        self.post_message(ModelSelected(name))

    def _follow_selection(self, name: str) -> None:
        """Another pane picked `name`: put the cursor on it. The echo of an older pick of this
        list, with a newer one still on its way, is not followed: the cursor would go back."""
        if name in self._announced:
            del self._announced[: self._announced.index(name) + 1]
            if self._announced:
                return
        self.query_one(ModelTable).move_to(name)

    @on(ModelActionRequested)
    def _action_requested(self, message: ModelActionRequested) -> None:
        self.act(message.name, message.action)

    @on(DeployRequested)
    def _deploy_requested(self, message: DeployRequested) -> None:
        self.action_deploy(message.path)

    @on(ModelActionFinished)
    def _action_done(self, message: ModelActionFinished) -> None:
        self.busy.pop(message.name, None)
        verb = {"load": "loaded", "unload": "unloaded", "reload": "reloaded"}[message.action]
        action: ModelAction = "unload" if message.action == "unload" else "load"
        self.post_message(ModelStateChanged(message.name, action, message.error))
        if message.error:
            self.notify(
                f"{message.action} {message.name} failed: {message.error}",
                severity="error",
                timeout=15,
            )
        else:
            self.notify(f"{message.name} {verb}")

    # Rendering -----------------------------------------------------------------------------
    def _why_empty(self) -> str:
        session = console(self).session
        if session.repositories:
            where = ", ".join(str(r) for r in session.repositories)
            return f"No models in the repository ({where}). d deploys a model file into it."
        return (
            f"The server at {session.client.url} lists no model. To deploy one from here, "
            "attach with -u and --model-repository DIR (the server's repository on this "
            "machine), then press d."
        )

    def _show_detail(self) -> None:
        name = self.selected
        target = self.query_one("#model-detail-text", Static)
        view = self.views.get(name or "")
        if view is None:
            target.update(self._why_empty() if not self.views else "")
            return
        target.update(render_detail(view, self.details.get(view.name), self.state_of(view)))

    # Actions -------------------------------------------------------------------------------
    def act(self, name: str, action: str) -> None:
        """Load, unload or reload `name` (the app asks and checks read-only before)."""
        if name in self.busy or name not in self.views:
            return
        disk = self.views[name].disk
        if action != "unload" and disk is not None and disk.refused:
            self.notify(f"{action} refused: {disk.refused}", severity="error", timeout=15)
            return
        self.busy[name] = {"load": "LOADING", "reload": "LOADING", "unload": "UNLOADING"}[action]
        self.query_one(ModelTable).update_row(name, self._row(self.views[name]))
        self._show_detail()
        self.notify(f"{action} {name} …", timeout=3)
        self.run_model_action(name, action)

    def action_refresh(self) -> None:
        console(self).store.forget()
        console(self).refresh_models(announce=True)

    # The `/` filter ------------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#model-filter", Input)
        box.display = True
        box.value = self.pattern
        box.focus()

    @on(Input.Changed, "#model-filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self.pattern = event.value.strip()
        self._fill(set())

    @on(Input.Submitted, "#model-filter")
    def _filter_kept(self) -> None:
        self.query_one(ModelTable).focus()
        self.query_one("#model-filter").display = bool(self.pattern)

    def on_key(self, event: events.Key) -> None:
        box = self.query_one("#model-filter", Input)
        if event.key == "escape" and box.has_focus:
            event.stop()
            box.value = ""
            box.display = False
            self.query_one(ModelTable).focus()

    def action_deploy(self, path: str = "") -> None:
        app = console(self)
        if not app.may_change_server("deploying"):
            return
        session = app.session
        if not session.repositories:
            self.notify(
                "deploying needs the model repository on this machine: start with "
                "--model-repository DIR",
                severity="warning",
            )
            return
        from tui.panes.deploy import DeployScreen

        self.app.push_screen(DeployScreen(session.repositories[0], path), self._deployed)

    def _deployed(self, name: str | None) -> None:
        if name:
            self.post_message(ModelStateChanged(name, "deploy"))
            self._announce(name)
        self.scan()
