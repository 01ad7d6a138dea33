"""The Repository pane's words for a model: its row in the list (state coloured) and the detail
beside it (what is on disk, and for a READY model what the server serves), sanitised: a folder
or file name may hold escape codes (the server's answers are cleaned by the client)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.message import Message

from tui.core.modelconfig import NormalizeError, normalize_json
from tui.core.store.repository import ModelView
from tui.core.util.sanitize import clean, clean_line
from tui.core.util.units import size

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig


STATE_STYLE = {
    "READY": "green",
    "LOADING": "yellow",
    "UNLOADING": "yellow",
    "UNAVAILABLE": "bold red",
    "FAILED": "bold red",
    "NOT LOADED": "dim",
    "NOT ON SERVER": "magenta",
    "NOT READY": "yellow",
    "REFUSED": "bold red",
}
GONE = "folder gone"  # shown beside READY for a model served without its folder


@dataclass
class ModelDetailFetched(Message):
    name: str
    metadata: dict[str, Any] | None
    config: ServedConfig | None
    error: str = ""


def row_cells(view: ModelView, state: str, busy: bool) -> tuple[Text | str, ...]:
    """Name, version and `state` (an action in flight, when `busy`, else the model's own)."""
    shown = Text(state, STATE_STYLE.get(state, ""))
    if view.gone_from_disk and not busy:
        shown.append(f" · {GONE}", "bold magenta")
    name = clean_line(view.name)  # a folder name is a file name: it may hold escape codes
    return (name, clean_line(view.version) or "-", shown)


def render_detail(view: ModelView, detail: ModelDetailFetched | None, state: str = "") -> Text:
    text = Text()
    text.append(clean_line(view.name), "bold")
    state = state or view.state
    text.append(f"  {state}", STATE_STYLE.get(state, ""))
    if view.version:
        text.append(f"  version {clean_line(view.version)}")
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
        if disk.refused and disk.refused != view.reason:  # served all the same (attached)
            text.append(f"⚠ {clean_line(disk.refused)}\n", "bold red")
        for problem in disk.problems:
            text.append(f"⚠ {clean_line(problem)}\n", "yellow")
        if disk.note:
            text.append(f"\n{disk.note}\n", "italic")
        text.append(f"\n{clean_line(str(disk.path))}\n", "dim")
        if not disk.has_config:
            text.append("no config.pbtxt (the server autocompletes it)\n", "italic")
        for f in disk.files[:30]:
            text.append(f"  {clean_line(f.path):<24} {size(f.size):>9}\n")
        if len(disk.files) > 30:
            text.append(f"  … {len(disk.files) - 30} more files\n", "dim")
    if detail is None or state != "READY":
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


def _config_summary(config: ServedConfig) -> str:
    """The server's effective config (JSON) in config.pbtxt syntax, defaults left out."""
    try:
        return normalize_json(config)
    except NormalizeError:
        return json.dumps(config, indent=2) + "\n"
