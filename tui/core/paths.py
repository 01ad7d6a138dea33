"""Where triton-tui keeps its own files (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "")
    base = Path(value) if value and Path(value).is_absolute() else Path.home() / fallback
    return base / "triton-tui"


def cache_dir() -> Path:
    """Our cache (assembled backend directories, exports); created on demand."""
    path = _xdg("XDG_CACHE_HOME", ".cache")
    path.mkdir(parents=True, exist_ok=True)
    return path
