"""Figures as people read them: a byte count in B/KiB/MiB/GiB, seconds as a clock (no Textual)."""

from __future__ import annotations

import math


def size(n: float) -> str:
    """Bytes in B, KiB, MiB or GiB, the first that keeps the figure under 1024 (GiB past it)."""
    for unit in ("B", "KiB", "MiB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def clock(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`), e.g. for an ETA; a negative time reads 0:00."""
    minutes, secs = divmod(max(int(seconds + 0.5), 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def positive(text: str | None, default: str, what: str, unit: str = "") -> float:
    """A form field's number (`default` when empty), which must be more than 0 and finite;
    otherwise a ValueError in words, e.g. "the window must be more than 0 ms"."""
    raw = (text or "").strip() or default
    suffix = f" {unit}" if unit else ""
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{what} must be a number, not {raw!r}") from None
    if not 0 < value < math.inf:  # NaN too
        raise ValueError(f"{what} must be more than 0{suffix}")
    return value
