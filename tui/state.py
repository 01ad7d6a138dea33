"""What every pane shares, in one typed place: the session, the server's state, the model picked.

`ConsoleApp` is the app surface panes may rely on (`console(self)` returns it, typed). The model
picked in any pane is `selected_model`: panes announce a new pick with `ModelSelected`, and watch
the reactive to follow it. Anything that changed a model on the server or on disk (load, unload,
apply, restore, deploy) posts `ModelStateChanged`; the app hands a copy to every pane so each one
re-reads what it shows.

The models themselves live in one store (`ConsoleApp.store`, tui/core/store/models.py), refreshed
by one worker at a time (`refresh_models`); after each refresh that moved something the app hands
every pane a `ModelsChanged` (and `ReadyModelsListed` when the READY set changed, or was asked).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message import Message
from textual.reactive import reactive

from tui.core.fleet.sources import FleetSource
from tui.core.server.docker_server import DockerServer
from tui.core.server.session import Session
from tui.core.store.models import ModelStore, StoreSnapshot, StoreSource, StoreUpdate
from tui.core.store.truth import server_backends
from tui.core.util.collector import COLLECT_EVERY_S, IdleCollector
from tui.workers import ReportsWorkerFailures, work

# "lost": a server that was live stopped answering (the console reconnects when it answers)
ServerPhase = Literal["starting", "ready", "failed", "stopping", "lost"]
ModelAction = Literal["load", "unload", "reload", "apply", "restore", "deploy", "file"]


# What the benchmark and tune panes say when the server has no model to measure.
NO_READY_MODEL = (
    "No model is READY on the server: load one in the Repository pane (1, then l), "
    "or deploy one there (d)."
)


@dataclass
class ReadyModelsListed(Message, bubble=False):
    """The server's READY models, sorted (empty with `error` when they could not be listed)."""

    models: list[str]
    error: str = ""


def list_ready_models(pane: DOMNode) -> None:
    """Ask the store for a fresh listing: every pane then gets `ReadyModelsListed`. Call it from
    a worker thread (the name and the thread are those of the callers before the store)."""
    app = console(pane)
    app.call_from_thread(app.refresh_models, True)


@dataclass
class ModelsChanged(Message, bubble=False):
    """The store moved: `changed` names differ (a row, or what the server serves of it);
    `listing` when models came or went or the index error changed."""

    snapshot: StoreSnapshot
    changed: frozenset[str]
    listing: bool


def store_source(session: Session) -> StoreSource:
    """What the model store reads for `session` (swap it with `ModelStore.attach`)."""
    errors = session.errors
    return StoreSource(
        session.client,
        tuple(session.repositories),
        errors.reasons if errors is not None else None,
        server_backends(session.server),
    )


@dataclass
class ModelSelected(Message):
    """A pane's user picked `name` (the repository cursor, the benchmark's model list …)."""

    name: str


@dataclass
class ModelStateChanged(Message):
    """`name` was loaded, unloaded, re-configured or deployed (or a try to failed: `error`)."""

    name: str
    action: ModelAction
    error: str = ""
    handed_down: bool = False  # the app's copy for one pane (see ConsoleApp)


class ConsoleApp(ReportsWorkerFailures, App[int]):
    """The state the panes share, with the few services they call on the app."""

    server_state: reactive[str] = reactive("starting")  # a ServerPhase
    server_message: reactive[str] = reactive("")
    selected_model: reactive[str] = reactive("")
    fleet_source: FleetSource | None = None  # the Fleet pane's (None: this machine's servers)

    def __init__(
        self, session: Session, *, read_only: bool = False, log_file: Path | None = None
    ) -> None:
        super().__init__()
        self.session = session
        self.home_session = session  # the server the console started with (stopped on exit)
        self.read_only = read_only
        self.log_file = log_file
        self._store: ModelStore | None = None
        self._store_busy = False
        self._store_again = False
        self._store_announce = False
        self._last_ready: list[str] | None = None
        self.collector = IdleCollector()  # garbage collection, and work that can wait

    # Garbage, collected between keys (tui/core/util/collector.py) ----------------------------
    def on_mount(self) -> None:
        self.collector.start()
        self.set_interval(COLLECT_EVERY_S, self.collector.tick)

    def on_unmount(self) -> None:
        self.collector.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.collector.input_seen()
        await super().on_event(event)

    # The model store -------------------------------------------------------------------------
    @property
    def store(self) -> ModelStore:
        """The one model store, over this session's server (made on first use)."""
        if self._store is None:
            self._store = ModelStore(store_source(self.session))
        return self._store

    def refresh_models(self, announce: bool = False) -> None:
        """Refresh the store in its worker (one at a time: a call meanwhile runs once more
        after). `announce`: every pane gets `ReadyModelsListed` even if nothing moved."""
        if self.server_state == "starting":
            return
        self._store_announce |= announce
        if self._store_busy:
            self._store_again = True
            return
        self._store_busy = True
        self._refresh_store()

    @work(thread=True, group="model-store")
    def _refresh_store(self) -> None:
        update: StoreUpdate | None = None
        try:
            update = self.store.refresh(lambda rows: self.call_from_thread(self._store_told, rows))
        finally:  # a failure goes to the worker policy; the next refresh must still run
            self.call_from_thread(self._store_refreshed, update)

    def _store_refreshed(self, update: StoreUpdate | None) -> None:
        self._store_busy = False
        if update is not None:
            self._store_told(update)
        if self._store_again:
            self._store_again = False
            self.refresh_models()

    def _store_told(self, update: StoreUpdate) -> None:
        """Hand the panes what moved (the rows first, then what the server serves of them)."""
        announce, self._store_announce = self._store_announce, False
        if update.changed or update.listing:
            snapshot, changed, listing = update.snapshot, update.changed, update.listing
            self.tell_panes(lambda: ModelsChanged(snapshot, changed, listing))
        ready = update.snapshot.ready
        moved = ready != self._last_ready and self.server_state == "ready"
        if announce or moved:  # unasked, only news of a live server (a failed one says why)
            self._last_ready = ready
            error = "" if ready else update.snapshot.error
            self.tell_panes(lambda: ReadyModelsListed(ready, error))

    def tell_panes(self, make: Callable[[], Message]) -> None:
        """Post a fresh message from `make` to every pane (messages bubble up, never down)."""
        for pane in self.query("TabPane > *"):
            pane.post_message(make())

    def attach(self, url: str, metrics_url: str | None, repositories: list[Path]) -> None:
        """Work with the server at `url` from now on (the Fleet pane's `Enter`): every pane acts
        on it; a server this console launched keeps running and is stopped on exit as before.
        (The app, tui/app.py, also waits for the new server and tells the panes.)"""
        session = Session.attach(url, metrics_url)
        session.repositories = list(repositories)
        self.session = session

    @property
    def launched(self) -> bool:
        """Whether this console started the server (so it may disrupt it without asking)."""
        server = self.session.server
        if isinstance(server, DockerServer):
            return server.owned  # False for --attach-container
        return server is not None

    def may_change_server(self, what: str) -> bool:
        """False (and say why) when the console is read-only."""
        if self.read_only:
            self.notify(f"read-only console: {what} is turned off", severity="warning")
            return False
        return True

    def edit_config(self, name: str, line: int = 0, col: int = 0) -> None:
        """Open `name`'s config in the config pane (the app, tui/actions.py, does it)."""
        self.selected_model = name

    def on_model_selected(self, message: ModelSelected) -> None:
        if message.name and message.name != self.selected_model:
            self.selected_model = message.name

    def on_model_state_changed(self, message: ModelStateChanged) -> None:
        """Hand the news to every pane (messages bubble up only), each re-reads its view."""
        if message.handed_down:
            return
        self.store.forget(message.name)
        self.refresh_models(announce=True)
        name, action, error = message.name, message.action, message.error
        self.tell_panes(lambda: ModelStateChanged(name, action, error, True))


def console(node: DOMNode) -> ConsoleApp:
    """The app a pane runs in, typed (panes run only inside a `ConsoleApp`)."""
    app = node.app
    if not isinstance(app, ConsoleApp):
        raise TypeError(f"{type(node).__name__} needs a ConsoleApp, not {type(app).__name__}")
    return app
