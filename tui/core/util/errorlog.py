"""Where the console records what went wrong in its background work (one place, one policy).

A worker that raises never ends the console: the app notifies the user in one line and the full
traceback goes to `<cache>/errors.log` (kept under ~1 MB, one older file beside it).
"""

from __future__ import annotations

import re
import time
import traceback
from pathlib import Path

from tui.core.util.paths import cache_dir

_LIMIT = 1_000_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def one_line(error: BaseException, limit: int = 300) -> str:
    """`Type: message` on one line, without terminal control characters."""
    text = _CONTROL.sub("?", f"{type(error).__name__}: {error}".replace("\n", " "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record(error: BaseException, where: str) -> Path | None:
    """Append the traceback to errors.log; the path, or None when it cannot be written."""
    try:
        path = cache_dir() / "errors.log"
        if path.exists() and path.stat().st_size > _LIMIT:
            path.replace(path.with_name("errors.log.1"))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        trace = "".join(traceback.format_exception(error))
        with path.open("a", encoding="utf-8") as out:
            out.write(f"--- {stamp} {where}\n{trace}\n")
        return path
    except OSError:
        return None
