"""Words for models nobody prepared for the console, checked against what the server says.

`explain` rewrites one merged row (`ModelView`) so that it tells one truth: a folder the server
lists but never loaded is NOT LOADED (with the key that loads it), not FAILED; a hidden folder is
described once, by what the server did with it; a backend the server lacks is named with the ones
it has, instead of Triton's raw words.
"""

from __future__ import annotations

import re
from pathlib import Path

from tui.core.server.docker_server import DockerServer
from tui.core.server.launcher import ServerProcess
from tui.core.store.repository import HIDDEN, NO_VERSION, ModelView

DEFAULT_BACKENDS = Path("/opt/tritonserver/backends")
LOAD_HINT = "never loaded: l loads it"
_BACKEND_PATTERNS = (
    re.compile(r"unable to find backend library for backend '([^']+)'"),
    re.compile(r"unexpected 'platform' and 'backend' pair, got:\s*([^,]*),\s*(\S+)"),
)


def backends_in(folder: Path) -> tuple[str, ...]:
    """The backends a tritonserver finds in its backend directory (a folder each)."""
    try:
        names = [p.name for p in folder.iterdir() if p.is_dir() and p.name != "env"]
    except OSError:
        return ()
    return tuple(sorted(names))


def server_backends(server: ServerProcess | DockerServer | None) -> tuple[str, ...] | None:
    """The backends of a server this console launched as a process (None when not known: a
    server attached to, or one inside a container)."""
    if not isinstance(server, ServerProcess) or server.binary is None:
        return None
    args = [*server.binary.args, *server.spec.extra_args]
    folder = DEFAULT_BACKENDS
    for arg in args:
        if arg.startswith("--backend-directory="):
            folder = Path(arg.split("=", 1)[1])
    return backends_in(folder)


def missing_backend(reason: str) -> str | None:
    """The backend Triton's error says it could not find, if that is what it says."""
    for pattern in _BACKEND_PATTERNS:
        match = pattern.search(reason)
        if match:
            return (match.group(match.lastindex or 1) or "").strip() or None
    return None


def backend_words(backend: str, backends: tuple[str, ...] | None) -> str:
    said = f"this server has no {backend} backend"
    if backends is None:
        return f"{said} (its backend directory is not on this machine: see its log)"
    have = ", ".join(backends) if backends else "none"
    return f"{said}; it has: {have}"


def explain(view: ModelView, backends: tuple[str, ...] | None) -> None:
    """Rewrite `view`'s state, reason and disk problems into one truth (in place)."""
    disk = view.disk
    listed = view.state not in ("NOT ON SERVER", "UNKNOWN")
    if view.state == "FAILED" and not view.reason:
        # In the index with no state and no reason, and the log never named it: a folder that
        # appeared after the server started (explicit model control) and was never loaded.
        view.state, view.reason = "NOT LOADED", LOAD_HINT
    backend = missing_backend(view.reason)
    if backend:
        view.reason = backend_words(backend, backends) + f"\n(the server said: {view.reason})"
    if disk is None:
        return
    problems = []
    for problem in disk.problems:
        if problem == HIDDEN:
            problem = _hidden_words(view.state, listed)
        elif problem == NO_VERSION and listed:
            continue  # the server lists it all the same: its state says the rest
        problems.append(problem)
    disk.problems = problems
    if view.state == "NOT ON SERVER" and view.reason == HIDDEN:
        view.reason = problems[0] if problems else ""


def _hidden_words(state: str, listed: bool) -> str:
    if not listed:
        return "hidden folder: the server does not list it"
    if state == "READY":
        return "hidden folder: the server serves it as a model all the same"
    return f"hidden folder: the server treats it as a model all the same ({state})"
