"""The key footer: the keys the focused widget and its ancestors offer, as one line.

Textual's own Footer composes a widget per key and recomposes them all whenever the bindings
change, which is on every focus change: switching panes moves the focus twice, and those
recomposes (mounting, styling and laying out some twenty widgets each time) were the largest
part of a pane switch's 220 ms (`just bench-keys`). This footer is one widget that renders one
line, and repaints only when the keys it shows have changed. A click on a key presses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

SEPARATOR = "▏"


@dataclass(frozen=True)
class FooterItem:
    key: str  # what a click presses
    shown: str  # how the key is written (e.g. ^p)
    description: str
    enabled: bool


class KeyFooter(Widget, can_focus=False):
    """One line at the bottom: the keys on the left, the command palette's on the right."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"footer-key--key", "footer-key--description"}

    def __init__(self) -> None:
        super().__init__()
        self._items: tuple[FooterItem, ...] = ()
        self._palette: FooterItem | None = None
        self._spans: list[tuple[int, int, FooterItem]] = []
        self._pending = False

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._update)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen and not self._pending:  # several changes in a frame: one look
            self._pending = True
            self.call_after_refresh(self._update)

    def _update(self) -> None:
        self._pending = False
        if not self.is_attached:
            return
        items: dict[str, FooterItem] = {}  # one entry per action: its first key
        palette: FooterItem | None = None
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else ""
        for key, (_node, binding, enabled, _tooltip) in self.screen.active_bindings.items():
            item = FooterItem(
                binding.key, self.app.get_key_display(binding), binding.description, enabled
            )
            if key == palette_key:
                palette = item
            elif binding.show and binding.action not in items:
                items[binding.action] = item
        shown = tuple(items.values())
        if shown != self._items or palette != self._palette:
            self._items, self._palette = shown, palette
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        width = self.size.width
        right = Text()
        if self._palette is not None:
            right.append(SEPARATOR)
            right.append(self._palette.shown, key_style)
            right.append(f" {self._palette.description}", description_style)
        room = max(0, width - right.cell_len)
        line = Text()
        self._spans = []
        for item in self._items:
            start = line.cell_len
            line.append(f" {item.shown} ", key_style)
            line.append(f"{item.description} ", description_style)
            if not item.enabled:
                line.stylize("dim", start)
            self._spans.append((start, line.cell_len, item))
        if line.cell_len > room:
            line.truncate(room, overflow="ellipsis")
            self._spans = [span for span in self._spans if span[1] < room]
        line.pad_right(room - line.cell_len)
        if self._palette is not None:
            self._spans.append((room, width, self._palette))
        line.append_text(right)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, item in self._spans:
            if start <= event.x < end:
                if item.enabled:
                    self.app.simulate_key(item.key)
                else:
                    self.app.bell()
                return
