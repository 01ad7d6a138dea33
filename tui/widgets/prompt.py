"""A one-line prompt that a pane opens for one purpose at a time (search, a filter, a path).

Hidden until `open`; Enter submits (`Input.Submitted`, with `mode` telling what was asked) and the
pane closes it. What was typed in a prompt left without Enter (tab or a click away) is kept as
that purpose's draft and offered again the next time it opens.
"""

from __future__ import annotations

from textual import on
from textual.suggester import SuggestFromList
from textual.widgets import Input


class PromptLine(Input):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="hidden own-escape")  # Esc closes it (its pane)
        self.mode = ""
        self._drafts: dict[str, str] = {}

    def open(
        self, mode: str, placeholder: str, value: str = "", suggestions: list[str] | None = None
    ) -> None:
        """Show it for `mode`, holding that mode's draft, else `value`; focus it."""
        self.mode = mode
        self.placeholder = placeholder
        self.value = self._drafts.pop(mode, value)
        self.suggester = (
            SuggestFromList(suggestions, case_sensitive=False) if suggestions is not None else None
        )
        self.remove_class("hidden")
        self.focus()

    def close(self) -> bool:
        """Hide it; False when it was not open."""
        if self.has_class("hidden"):
            return False
        self.add_class("hidden")
        self.mode = ""
        return True

    @on(Input.Blurred)
    def _left(self) -> None:
        if self.mode and not self.has_class("hidden"):
            self._drafts[self.mode] = self.value
