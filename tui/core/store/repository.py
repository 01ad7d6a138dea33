"""The model repository as it is on disk, merged with what the server says about it.

`poll` never hides what the server serves: a READY model whose folder left the disk stays listed
(served, folder gone), and when the server's repository index fails as a whole (one dangling
symlink does it) each model's state comes from its own ready check and the failure is reported.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.server.client import TritonError, TritonHTTP
from tui.core.server.modelname import model_problem, name_problem, path_problem, shown
from tui.core.util.paths import read_regular
from tui.core.util.sanitize import clean
from tui.core.workflows.diagnosis import first_line

# config.pbtxt's tokens that matter to find its top-level fields: comments, strings, brackets.
# (strings as runs between escapes: one regex frame per character would take 1 GB for 5 MB)
_CONFIG_TOKEN = re.compile(
    r"""#[^\n]*|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'|[{}\[\]<>]|\w+"""
)
NOTE_FILE = "README.md"
HIDDEN = "hidden folder"  # worded against the server's view by tui/core/store/truth.py
NO_VERSION = "no numeric version folder (e.g. 1/): the server ignores this model"


@dataclass(frozen=True)
class FileOnDisk:
    path: str  # relative to the model folder
    size: int


@dataclass
class ModelOnDisk:
    name: str
    path: Path
    has_config: bool
    versions: list[str] = field(default_factory=list)
    files: list[FileOnDisk] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    backend: str = ""
    note: str = ""  # the model folder's README.md, when it has one
    refused: str = ""  # why triton-tui never hands this model to the server (tui/core/modelname)


def _note(folder: Path, limit: int = 600) -> str:
    """The start of a model folder's README.md, cleaned of terminal control sequences; a link or
    anything but a regular file is not read."""
    path = folder / NOTE_FILE
    if path.is_symlink():
        return ""
    try:
        data = read_regular(path, limit=64 * 1024)
    except OSError:
        return ""
    return clean(data[:limit].decode("utf-8", errors="replace")).strip()


def _files(folder: Path, limit: int = 200) -> list[FileOnDisk]:
    out: list[FileOnDisk] = []
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        out.append(FileOnDisk(str(path.relative_to(folder)), path.stat().st_size))
        if len(out) >= limit:
            break
    return out


def top_level_strings(text: str, fields: set[str]) -> dict[str, str]:
    """The first value of each of `fields` written at the top level of config.pbtxt `text` (an
    input's or a step's `name` is nested, and not the model's)."""
    found: dict[str, str] = {}
    depth, key = 0, ""
    for match in _CONFIG_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == "#":
            continue
        if first in "{[<":
            depth += 1
        elif first in "}]>":
            depth = max(depth - 1, 0)
        elif first in "\"'" and depth == 0 and key in fields:
            found.setdefault(key, token[1:-1])
        key = token if depth == 0 and first not in "{[<}]>\"'" else ""
    return found


def _dangling(link: Path) -> str:
    """What a symlink that leads to no folder is, in words: a loop, or a link to nothing."""
    target = os.readlink(link) if link.is_symlink() else "?"
    try:
        os.stat(link)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return f"a symlink loop: {link.name} → {target} → … never reaches a folder"
    return f"a symlink to {target}, which does not exist"


def scan_model(folder: Path, root: Path | None = None) -> ModelOnDisk:
    """One model folder; `root` (the repository) lets a symlink leaving it be named."""
    if not folder.exists():  # a symlink to nothing (the server's whole index fails on it)
        model = ModelOnDisk(folder.name, folder, False)
        model.problems.append(
            f"{_dangling(folder)}: the server's repository index fails on it (remove it or fix "
            "its target)"
        )
        return model
    config = folder / "config.pbtxt"
    model = ModelOnDisk(folder.name, folder, config.exists())
    children = [p for p in folder.iterdir() if p.is_dir() and p.name != "__pycache__"]
    model.versions = sorted((p.name for p in children if p.name.isdigit()), key=int)
    model.files = _files(folder)
    model.note = _note(folder)
    if root is not None and folder.is_symlink():
        real, inside = folder.resolve(), root.resolve()
        if inside not in real.parents:
            model.problems.append(
                f"a symlink to {real}, outside the repository: the server reads (and its python "
                "stubs may write __pycache__) there"
            )
    if folder.name.startswith("."):
        model.problems.append(HIDDEN)
    if not model.versions:
        model.problems.append(NO_VERSION)
    for p in children:
        if not p.name.isdigit() and p.name != "__pycache__" and not model.versions:
            model.problems.append(f"folder '{p.name}' is not a version number")
    if model.has_config:
        try:
            model.refused, fields = _config_facts(folder, config)
        except OSError as exc:  # a FIFO or a device is refused at once, never waited on
            model.problems.append(f"config.pbtxt unreadable: {exc.strerror}")
            model.refused, fields = model_problem(folder, "") or "", {}
        name = fields.get("name")
        if name is not None and name != folder.name:
            model.problems.append(
                f"config name '{shown(name)}' differs from folder name '{shown(folder.name)}'"
            )
        model.backend = fields.get("backend", fields.get("platform", ""))
    if model.backend != "ensemble":  # an ensemble's version folder is empty by design
        for version in model.versions:
            if not any((folder / version).iterdir()):
                model.problems.append(f"version {version} is empty")
    if not model.has_config:
        model.refused = name_problem(folder.name) or ""
        if not any(f.path.endswith(".onnx") for f in model.files):
            model.problems.append(
                "no config.pbtxt, and no model file the server can autocomplete from"
            )
    return model


_FACTS: dict[tuple[str, int, int, int], tuple[str, dict[str, str]]] = {}


def _config_facts(folder: Path, config: Path) -> tuple[str, dict[str, str]]:
    """Why the model is refused ("" if not) and its top-level name, backend and platform; kept
    per file version (path, inode, size, mtime): a 1.2 MiB config is read once, not every poll
    (an ensemble's is read each time: its refusal depends on its steps' folders)."""
    st = config.stat()
    key = (str(config), st.st_ino, st.st_size, st.st_mtime_ns)
    found = _FACTS.get(key)
    if found is None:
        text = read_regular(config).decode(errors="replace")
        fields = top_level_strings(text, {"name", "backend", "platform"})
        found = (model_problem(folder, text) or "", fields)
        if fields.get("platform") == "ensemble":  # its refusal depends on its steps' folders
            return found[0], dict(fields)
        if len(_FACTS) > 4096:
            _FACTS.clear()
        _FACTS[key] = found
    return found[0], dict(found[1])


def scan_repository(root: Path) -> list[ModelOnDisk]:
    """Every model folder; one that cannot be read (removed mid-scan, no permission) is listed
    with the reason instead of failing the others. A model whose name (or repository path) must
    not reach the server says why in `refused`."""
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []
    models = []
    unsafe_root = path_problem(root.resolve())
    for path in entries:
        if not (path.is_dir() or (path.is_symlink() and not path.exists())):
            continue
        try:
            model = scan_model(path, root)
        except OSError as exc:
            model = ModelOnDisk(path.name, path, False)
            model.problems.append(f"could not be read: {exc.strerror or exc}")
        model.refused = unsafe_root or model.refused or name_problem(path.name) or ""
        models.append(model)
    return models


@dataclass
class ModelView:
    """One row of the repository pane."""

    name: str
    state: str  # READY, UNAVAILABLE, LOADING, UNLOADING, NOT LOADED, FAILED, NOT ON SERVER,
    # NOT READY (the index failed: only the ready check answered), REFUSED (never handed to the
    # server: its name is unsafe, see tui/core/server/modelname.py)
    version: str = ""
    reason: str = ""
    disk: ModelOnDisk | None = None
    versions: tuple[tuple[str, str], ...] = ()  # every version the index lists, with its state
    gone_from_disk: bool = False  # served (READY), but its folder is no longer in the repository

    @property
    def summary(self) -> str:
        return first_line(self.reason) if self.reason else ""


def merge(
    disk: list[ModelOnDisk],
    index: list[dict[str, Any]] | None,
    log_reasons: dict[str, str] | None = None,
) -> list[ModelView]:
    """Combine disk, server index and reasons only the log holds into one row per model."""
    log_reasons = log_reasons or {}
    by_name: dict[str, ModelView] = {}
    # The client cleans the server's answers of control characters; a folder's name is raw. Key
    # on the folder's name, so a name holding an escape sequence is one row, not two.
    raw = {clean(m.name): m.name for m in disk if clean(m.name) != m.name}
    folders = {m.name for m in disk}
    for entry in index or []:
        name = str(entry.get("name", ""))
        if name not in folders:
            name = raw.get(name, name)
        state = str(entry.get("state", ""))
        reason = str(entry.get("reason", ""))
        if not state:
            # The index lists a model it could not even read with no state and no reason.
            state, reason = "FAILED", reason or log_reasons.get(name, "")
        elif state == "UNAVAILABLE" and reason == "unloaded":
            state, reason = "NOT LOADED", ""
        current = by_name.get(name)
        version = str(entry.get("version", ""))
        listed = (current.versions if current else ()) + ((version, state),) * bool(version)
        if current is None or (current.state != "READY" and state == "READY"):
            by_name[name] = current = ModelView(name, state, version, reason)
        current.versions = tuple(sorted(listed, key=lambda v: (len(v[0]), v[0])))
    for model in disk:
        view = by_name.get(model.name)
        if view is None:
            reason = log_reasons.get(model.name, "")
            if not reason and model.problems:
                reason = model.problems[0]
            state = "NOT ON SERVER" if index is not None else "UNKNOWN"
            view = by_name[model.name] = ModelView(model.name, state, reason=reason)
        elif view.state in ("UNAVAILABLE", "FAILED") and not view.reason:
            view.reason = log_reasons.get(model.name, "")
        if model.refused and view.state != "READY":
            view.state, view.reason = "REFUSED", model.refused
        view.disk = model
    return sorted(by_name.values(), key=lambda v: v.name)


@dataclass
class RepositoryPoll:
    views: list[ModelView]
    error: str = ""  # the repository index failed: why (states then come from ready checks)


def poll(
    client: TritonHTTP,
    repositories: list[Path],
    log_reasons: dict[str, str] | None = None,
    known: Iterable[str] = (),
) -> RepositoryPoll:
    """Disk and server merged. `known`: names shown before, so a served model whose folder was
    deleted or renamed is still listed (checked with its own ready endpoint)."""
    disk = [m for repo in repositories for m in scan_repository(repo)]
    error = ""
    index: list[dict[str, Any]] | None
    try:
        index = client.repository_index()
    except TritonError as exc:
        index, error = None, str(exc)
    views = merge(disk, index, log_reasons)
    if index is None:  # one bad entry must not blank every state: ask each model
        for view in views:
            if view.state == "UNKNOWN":
                ready = client.model_ready(view.name)
                view.state = "READY" if ready else "NOT READY"
    listed = {v.name for v in views}
    for name in sorted(set(known) - listed):
        if client.model_ready(name):
            views.append(ModelView(name, "READY", gone_from_disk=True))
    for view in views:
        if view.state == "READY" and view.disk is None and repositories:
            view.gone_from_disk = True
    return RepositoryPoll(sorted(views, key=lambda v: v.name), error)
