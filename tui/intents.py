"""What the app asks of the panes, as messages: the keys and palette commands of tui/actions.py
post these to every pane (`ConsoleApp.tell_panes`) and the pane that does the work handles its
own, so the app never reaches into a pane. They do not bubble back up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.message import Message

ServerAction = Literal["load", "unload", "reload"]


class Intent(Message, bubble=False):
    """A request handed down from the app to the panes."""


@dataclass
class ModelActionRequested(Intent):
    """Load, unload or reload `name` (asked and checked for read-only before)."""

    name: str
    action: ServerAction


@dataclass
class BenchRequested(Intent):
    """Benchmark `name` at once with the benchmark pane's settings."""

    name: str


@dataclass
class ProbeRequested(Intent):
    """Time a cold start of `name` (asked before: it unloads the model)."""

    name: str


@dataclass
class ConfigJumpRequested(Intent):
    """Put the config editor's cursor at line:col of `name`'s config once it is open."""

    name: str
    line: int
    col: int


@dataclass
class ModelLogsRequested(Intent):
    """Show only the log lines that name `name`."""

    name: str


@dataclass
class DeployRequested(Intent):
    """Open the deploy screen (on `path` when given)."""

    path: str = ""


@dataclass
class BenchExportRequested(Intent):
    """Export the last benchmark's results (`kind`: csv, json …)."""

    kind: str = "csv"
