"""The Repository pane's words for a model: its row in the list (state coloured) and the detail
beside it (what is on disk, and for a READY model what the server serves), sanitised: a folder
or file name may hold escape codes (the server's answers are cleaned by the client)."""

from __future__ import annotations

from rich.text import Text

from tui.core.store.models import ServedModel
from tui.core.store.repository import ModelView
from tui.core.util.sanitize import clean, clean_line
from tui.core.util.units import size

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
TENSORS_SHOWN = 30  # per direction: a model with thousands of inputs must not freeze the pane


def row_cells(view: ModelView, state: str, busy: bool) -> tuple[Text | str, ...]:
    """Name, version and `state` (an action in flight, when `busy`, else the model's own)."""
    shown = Text(state, STATE_STYLE.get(state, ""))
    if view.gone_from_disk and not busy:
        shown.append(f" · {GONE}", "bold magenta")
    name = clean_line(view.name)  # a folder name is a file name: it may hold escape codes
    versions = ",".join(v for v, _ in view.versions) or view.version
    return (name, clean_line(versions) or "-", shown)


def render_detail(view: ModelView, detail: ServedModel | None, state: str = "") -> Text:
    text = Text()
    text.append(clean_line(view.name), "bold")
    state = state or view.state
    text.append(f"  {state}", STATE_STYLE.get(state, ""))
    if len(view.versions) > 1:
        text.append("\n")
        for version, served in view.versions:  # every version the server lists, with its state
            text.append(f"  version {clean_line(version)} ")
            text.append(served, STATE_STYLE.get(served, ""))
            text.append("\n")
    elif view.version:
        text.append(f"  version {clean_line(view.version)}\n")
    else:
        text.append("\n")
    if view.gone_from_disk:
        text.append(
            "\nServed, but its folder is no longer in the model repository (deleted or renamed): "
            "the server keeps serving what it loaded until it is unloaded; a reload will fail.\n",
            "bold magenta",
        )
    if state == "NOT LOADED":
        text.append("\nNot loaded on the server: l loads it.\n", "italic")
    elif view.reason:
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
    if state != "READY":
        return text
    if detail is None:
        text.append("\nasking the server for its inputs, outputs and effective config…\n", "dim")
        return text
    if detail.metadata:
        text.append("\nInputs and outputs as served\n", "bold")
        for kind in ("inputs", "outputs"):
            tensors = detail.metadata.get(kind, [])
            for t in tensors[:TENSORS_SHOWN]:
                arrow = "→" if kind == "inputs" else "←"
                text.append(f"  {arrow} {t['name']}  {t['datatype']}  {t['shape']}\n")
            if len(tensors) > TENSORS_SHOWN:
                text.append(f"  … {len(tensors) - TENSORS_SHOWN:,} more {kind}\n", "dim")
    if detail.summary:
        text.append("\nEffective config (from the server)\n", "bold")
        text.append(detail.summary, "cyan")
        if detail.summary_cut:
            text.append(f"… {detail.summary_cut:,} more lines (e opens the config)\n", "dim")
    elif detail.error:
        text.append(f"\nThe server's config and metadata: {clean(detail.error)}\n", "yellow")
    return text
