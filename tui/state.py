"""What every pane shares, in one typed place: the session, the server's state, the model picked.

`ConsoleApp` is the app surface panes may rely on (`console(self)` returns it, typed). The model
picked in any pane is `selected_model`: panes announce a new pick with `ModelSelected`, and watch
the reactive to follow it. Anything that changed a model on the server or on disk (load, unload,
apply, restore, deploy) posts `ModelStateChanged`; the app hands a copy to every pane so each one
re-reads what it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from textual.app import App
from textual.dom import DOMNode
from textual.message import Message
from textual.reactive import reactive

from tui.core.fleet.sources import FleetSource
from tui.core.server.client import TritonError
from tui.core.server.docker_server import DockerServer
from tui.core.server.session import Session
from tui.workers import ReportsWorkerFailures

# "lost": a server that was live stopped answering (the console reconnects when it answers)
ServerPhase = Literal["starting", "ready", "failed", "stopping", "lost"]
ModelAction = Literal["load", "unload", "reload", "apply", "restore", "deploy", "file"]


# What the benchmark and tune panes say when the server has no model to measure.
NO_READY_MODEL = (
    "No model is READY on the server: load one in the Repository pane (1, then l), "
    "or deploy one there (d)."
)


@dataclass
class ReadyModelsListed(Message):
    """The server's READY models, sorted (empty with `error` when they could not be listed)."""

    models: list[str]
    error: str = ""


def list_ready_models(pane: DOMNode) -> None:
    """Post `ReadyModelsListed` to `pane`; blocking: call it from a worker thread."""
    try:
        pane.post_message(ReadyModelsListed(console(pane).session.client.ready_models()))
    except TritonError as exc:
        pane.post_message(ReadyModelsListed([], str(exc)))


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
        for pane in self.query("TabPane > *"):
            pane.post_message(ModelStateChanged(message.name, message.action, message.error, True))


def console(node: DOMNode) -> ConsoleApp:
    """The app a pane runs in, typed (panes run only inside a `ConsoleApp`)."""
    app = node.app
    if not isinstance(app, ConsoleApp):
        raise TypeError(f"{type(node).__name__} needs a ConsoleApp, not {type(app).__name__}")
    return app
