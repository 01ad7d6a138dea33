"""Blocking work of the config pane's flows, run in threads (or with the app suspended, for
$EDITOR): load, generate, diff, edit in $EDITOR.

No Textual import: each function takes the Session and the open file and returns plain data.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.core.modelconfig import (
    GenerateError,
    ModelConfig,
    NormalizeError,
    config_diff,
    config_from_onnx,
    find_onnx_model,
    generate_config,
    normalize_json,
    parse_config,
)
from tui.core.server.client import TritonError
from tui.core.server.modelname import load_problem
from tui.core.server.session import Session
from tui.core.util.paths import cache_dir, read_regular_text
from tui.core.workflows.diagnosis import first_line

if TYPE_CHECKING:
    from tui.panes.config_editor import OpenConfig

LOG_REASON_WAIT_S = 1.0


# Blocking helpers (run in threads) ---------------------------------------------------------
def load_model(session: Session, name: str) -> tuple[bool, str]:
    """Load (or reload) through the load API: (READY?, the server's error and log reason)."""
    errors = session.errors
    before = errors.reason(name) if errors else None
    refused = load_problem(session.repositories, name)  # an ensemble loads its steps too
    if refused is not None:
        return False, refused
    try:
        session.client.load(name)
    except TritonError as exc:
        message = str(exc)
        if errors is not None:  # the log often says more than the HTTP answer; it may lag
            deadline = time.monotonic() + LOG_REASON_WAIT_S
            reason = errors.reason(name)
            while reason == before and time.monotonic() < deadline:
                time.sleep(0.05)
                reason = errors.reason(name)
            if reason and first_line(reason) not in message:
                message = f"{message}\nServer log: {first_line(reason)}"
        if session.client.model_ready(name):
            message += "\n(The server keeps serving the version loaded before.)"
        return False, message
    if session.client.model_ready(name):
        return True, ""
    return False, f"the server accepted the load but does not report '{name}' ready"


def generation_sources(session: Session, doc: OpenConfig) -> tuple[dict[str, str], list[str]]:
    """Config texts this model can be given ("onnx", "server") and why the others cannot."""
    texts: dict[str, str] = {}
    problems: list[str] = []
    try:
        texts["onnx"] = generate_config(doc.model_dir)
    except GenerateError as exc:
        problems.append(f"from ONNX: {exc}")
    try:
        texts["server"] = normalize_json(session.client.model_config(doc.name))
    except (TritonError, NormalizeError) as exc:
        problems.append(f"from the server: {exc}")
    return texts, problems


def snippet_model(session: Session, doc: OpenConfig, completed: ModelConfig | None) -> ModelConfig:
    """The model's inputs for snippets: the buffer's, else its ONNX file's, else the server's."""
    if completed is not None and len(completed.input):
        return completed
    try:
        return config_from_onnx(find_onnx_model(doc.model_dir), doc.name)
    except GenerateError:
        pass
    try:
        served = parse_config(normalize_json(session.client.model_config(doc.name))).config
    except (TritonError, NormalizeError):
        served = None
    return served or completed or ModelConfig()


def disk_diff(session: Session, doc: OpenConfig) -> str:
    try:
        disk = read_regular_text(doc.path)
    except FileNotFoundError:
        disk = ""
    server = session.client.model_config(doc.name)
    return config_diff(
        disk,
        server,
        fromfile=f"{doc.name}/config.pbtxt (on disk)",
        tofile=f"{doc.name} (server, effective)",
    )


def editor_command() -> list[str] | None:
    """$VISUAL or $EDITOR split like a shell would (never run through one), else vi."""
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            return shlex.split(value)
    return ["vi"] if shutil.which("vi") else None


def edit_in_editor(
    name: str, text: str, run: Callable[[Path], int | None]
) -> tuple[int | None, str]:
    """`text` in a temporary file under the cache, `run` (the editor) on it, the file read back:
    (its exit code, the text), or (None, "") when it could not run. The file is removed after."""
    folder = cache_dir() / "edit"
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{name}-", suffix=".pbtxt")
    path = Path(tmp)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        code = run(path)
        return code, ("" if code is None else path.read_text(encoding="utf-8"))
    finally:
        path.unlink(missing_ok=True)
