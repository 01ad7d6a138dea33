"""A pane's one status line: plain text (never markup: it often quotes a server's answer), bold,
in the error or warning colour when it says something went wrong."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class StatusLine(Static):
    DEFAULT_CLASSES = "status-line"

    def say(self, text: str, severity: str = "") -> None:
        """Show `text`; `severity` is "", "warning" or "error"."""
        self.update(Text(text))
        self.set_class(severity == "error", "-error")
        self.set_class(severity == "warning", "-warning")
