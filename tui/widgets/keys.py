"""Lists and tables that also move with the keys of vim, k9s and lazydocker (j k g G)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable, OptionList

VIM_TABLE_KEYS: list[BindingType] = [
    Binding("j", "cursor_down", "Down", show=False),
    Binding("k", "cursor_up", "Up", show=False),
    Binding("g", "scroll_top", "First", show=False),
    Binding("G", "scroll_bottom", "Last", show=False),
]


class VimDataTable(DataTable[Any]):
    """A DataTable with j/k/g/G besides the arrows, Home and End."""

    BINDINGS: ClassVar[list[BindingType]] = VIM_TABLE_KEYS


class VimOptionList(OptionList):
    """An OptionList with j/k/g/G besides the arrows, Home and End."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "first", "First", show=False),
        Binding("G", "last", "Last", show=False),
    ]
