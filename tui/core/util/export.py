"""Files the user asked for: exports of tune results, logs and benchmarks.

One rule for them all: written through a temporary sibling and a rename (no half-written export),
with the permissions `open` would give a new file, 0666 less the user's umask (tune exports were
0600, logs and bench 0644 with the usual umask). Our own state (tune records, the cache) keeps the
private 0600 of `atomic_write`. A name built from a model's name goes through `safe_name`: a model
name comes from a server or a record, and may hold '/' or '..'.
"""

from __future__ import annotations

import re
from pathlib import Path

from tui.core.util.paths import current_umask, special_kind

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def export_mode() -> int:
    """The permission bits of a file the user asked for: as `open` would make it."""
    return 0o666 & ~current_umask()


def write_export(path: Path, data: bytes) -> Path:
    """Write `data` at `path` atomically with `export_mode`; returns `path`. A path that is a
    device or a FIFO (/dev/stdout) is written as it is: it has no folder to rename in."""
    if special_kind(path):
        with open(path, "wb") as out:
            out.write(data)
        return path
    # imported here: the package's other modules load onnx, which the logs store does not need
    from tui.core.modelconfig.store import atomic_write

    atomic_write(path, data, export_mode())
    return path


def safe_name(name: str) -> str:
    """`name` as one file-name part: only letters, digits, '_', '-' and '.' (others become '_'),
    never '.' or '..' alone, never empty."""
    safe = _UNSAFE.sub("_", name)
    return "_" if safe.strip(".") == "" else safe
