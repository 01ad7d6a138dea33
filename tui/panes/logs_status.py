"""The Logs pane's status line, as Rich text: what the view shows (follow, filters, search,
counts, source)."""

from __future__ import annotations

from rich.text import Text

from tui.core.logs.store import LEVELS, LogStore
from tui.panes.logs_view import LogView


def status_text(
    store: LogStore, view: LogView, source: str, match: tuple[int, int] | None, dropped: int
) -> Text:
    """Most telling first (an 80-column line cuts the end): follow, filters, counts, source.
    `match` is (k, n), the search match shown; `dropped` counts lines the history lost."""
    text = Text()
    text.append("FOLLOW" if view.follow else "PAUSED", "green" if view.follow else "yellow")
    # Wrapped by default; cut lines (sideways scrolling) say how to fold them again.
    text.append(" WRAP" if view.wrap else " CUT (w wraps)", "" if view.wrap else "yellow")
    if store.model:
        text.append(f"  model={store.model}", "cyan")
    if view.search:
        text.append(f"  /{view.search}", "cyan")
        if match is not None:
            k, n = match
            text.append(f" match {k}/{n}" if n else " no match", "cyan")
    seen = store.seen
    matters = seen["E!"]
    harmless = seen["E"] - matters
    text.append(f"  errors {matters}", "bold red" if matters else "green")
    if harmless:
        text.append(f" +{harmless} harmless", "dim")
    text.append(f"  warn {seen['W']}  ")
    for lv in LEVELS:
        text.append(lv if lv in store.levels else "·", "bold" if lv in store.levels else "dim")
    text.append(f"  {len(store)} lines")
    if dropped:
        text.append(f" ({dropped} dropped: the history is full)", "yellow")
    text.append(f"  {source}", "dim")
    return text
