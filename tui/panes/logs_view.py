"""LogView: a Line-API scroll view over a `LogStore` (only the rows on screen are rendered).

Errors that matter are bold red, warnings yellow, harmless errors dim with the reason after them,
verbose lines dim; search matches are reversed; the cursor line (current match or error) has a
background. `wrap` folds long lines at the view's width; without it the view scrolls sideways.
"""

from __future__ import annotations

import textwrap
import time
from bisect import bisect_left, bisect_right
from itertools import accumulate

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.core.logs.parser import Entry
from tui.core.logs.store import LogStore

_STYLES = {
    "E": Style(color="red", bold=True),
    "W": Style(color="yellow"),
    "V": Style(dim=True),
    "I": Style(),
    "": Style(),
}
_HARMLESS = Style(color="yellow", dim=True)
_EMPTY = Style(dim=True, italic=True)
_NOTE = Style(color="green", italic=True, dim=True)
_MATCH = Style(reverse=True)
_CURSOR = Style(bgcolor="grey23")
_MAX_WIDTH = 4000  # widest line the sideways scroll reaches


def _clean(text: str) -> str:
    if "\t" in text:
        text = text.expandtabs(4)
    if not text.isprintable():
        text = "".join(c if c.isprintable() else "�" for c in text)
    return text


class LogView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LogView { height: 1fr; background: $surface; }
    """

    def __init__(self, store: LogStore, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.store = store
        self.follow = True
        self.wrap = True  # at 80 columns most lines are longer; w shows them whole or cut
        self.search = ""
        self.cursor: int | None = None  # absolute line number
        self.last_render = 0.0  # perf_counter of the last render_line (benchmarks read it)
        self._width = 0
        self._seen = -1  # the last visible line number laid out
        self.empty_text: list[str] = []  # shown while the store has no line at all: why, what to do
        # Wrap mode: visible line numbers and the cumulative row count at the end of each,
        # from index `_wk` on (the front is trimmed lazily); `_wbase` rows were trimmed.
        self._wn: list[int] = []
        self._we: list[int] = []
        self._wk = 0
        self._wbase = 0
        self._wrap_width = 0

    # Data changes --------------------------------------------------------------------------
    def lines_added(self) -> None:
        """Call after `store.extend`: keeps the view at the end (follow) or where it was."""
        store = self.store
        top = None
        if not self.follow and store.visible_count:
            top = self._row_number(round(self.scroll_y))
        new = store.visible_after(self._seen)
        if new:
            self._seen = new[-1]
        if self.wrap:
            self._extend_rows(new)
        elif new:
            widest = max(store.lengths(new[-5000:]))
            self._width = min(max(self._width, widest), _MAX_WIDTH)
        self._update_virtual_size()
        if self.follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif top is not None:
            self.scroll_to(y=self._row_of(top), animate=False, immediate=True)
        self.refresh()

    def filter_changed(self) -> None:
        """Call after the store's filter changed: everything is laid out again."""
        self._reset_layout()
        self.lines_added()
        if self.cursor is not None and not self.follow:
            self.show_number(self.cursor)

    def _reset_layout(self) -> None:
        self._seen = -1
        self._width = 0
        self._wn, self._we = [], []
        self._wk = self._wbase = 0
        self._wrap_width = 0

    @property
    def row_count(self) -> int:
        if self.wrap:
            return (self._we[-1] - self._wbase) if self._we else 0
        return self.store.visible_count

    def _update_virtual_size(self) -> None:
        width = 0 if self.wrap else self._width + 1
        self.virtual_size = Size(width, self.row_count)

    # Wrap ----------------------------------------------------------------------------------
    def _text_width(self) -> int:
        return max(10, self.scrollable_content_region.width or self.size.width or 80)

    def _extend_rows(self, new: list[int]) -> None:
        width = self._text_width()
        if width != self._wrap_width:
            self._wrap_width = width
            self._wn, self._we, self._wk, self._wbase = [], [], 0, 0
            new = self.store.visible_after(-1)
        # Forget lines the store no longer holds.
        first = self.store.first
        if self._wk < len(self._wn) and self._wn[self._wk] < first:
            k = bisect_left(self._wn, first, self._wk)
            self._wbase = self._we[k - 1]
            self._wk = k
            if k > 8192 and k * 2 > len(self._wn):
                del self._wn[:k], self._we[:k]
                self._wk = 0
        if new:
            total = self._we[-1] if self._we else 0
            self._wn.extend(new)
            rows = [((n or 1) - 1) // width + 1 for n in self.store.lengths(new)]
            ends = accumulate(rows, initial=total)
            next(ends)  # the seed itself
            self._we.extend(ends)

    def set_wrap(self, wrap: bool) -> None:
        """Fold long lines (or not), keeping the cursor line, or the top line, where it was."""
        if not self.store.visible_count or self.follow:
            self.wrap = wrap
            self.filter_changed()
            return
        anchor = self.cursor
        if anchor is None:
            anchor = self._row_number(round(self.scroll_y))
        assert anchor is not None
        offset = self._row_of(anchor) - round(self.scroll_y)  # its screen row
        self.wrap = wrap
        cursor, self.cursor = self.cursor, None  # filter_changed would centre the cursor
        self.filter_changed()
        self.cursor = cursor
        self.scroll_to(y=max(0, self._row_of(anchor) - offset), animate=False, immediate=True)
        self.refresh()

    def on_resize(self) -> None:
        if self.wrap and self._text_width() != self._wrap_width:
            self.lines_added()
        elif self.follow:  # shown for the first time, or resized: the tail stays in view
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    # Row <-> line number -------------------------------------------------------------------
    def _wrap_locate(self, row: int) -> tuple[int, int]:
        """(line number, first column) shown on wrapped row `row`."""
        target = row + self._wbase
        i = bisect_right(self._we, target, self._wk)
        i = min(i, len(self._we) - 1)
        start = self._we[i - 1] if i > 0 else 0
        return self._wn[i], (target - start) * self._wrap_width

    def _row_number(self, row: int) -> int | None:
        count = self.row_count
        if not count:
            return None
        row = max(0, min(row, count - 1))
        if self.wrap:
            return self._wrap_locate(row)[0]
        return self.store.visible_number(row)

    def _row_of(self, number: int) -> int:
        if self.wrap:
            if not self._wn:
                return 0
            i = min(bisect_left(self._wn, number, self._wk), len(self._wn) - 1)
            return max(0, (self._we[i - 1] if i > 0 else 0) - self._wbase)
        return self.store.index_of(number)

    def show_number(self, number: int, column: int | None = None) -> None:
        """Put the cursor on line `number` and scroll it to the middle of the view (and, without
        wrap, column `column` into view sideways)."""
        self.cursor = number
        row = self._row_of(number)
        x = None
        if column is not None and not self.wrap:
            width = self.scrollable_content_region.width or self.size.width
            if not self.scroll_x <= column < self.scroll_x + width - len(self.search):
                x = max(0, column - width // 3)
        self.scroll_to(x=x, y=max(0, row - self.size.height // 2), animate=False, immediate=True)
        self.refresh()

    @property
    def top_index(self) -> int:
        """Visible index of the cursor, or of the top row when there is no cursor."""
        number = self.cursor if self.cursor is not None else self._row_number(round(self.scroll_y))
        if number is None:
            return -1
        return self.store.index_of(number)

    # Rendering -----------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        self.last_render = time.perf_counter()
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if not len(self.store) and self.empty_text:  # why there is no line yet
            rows = self._empty_rows(width)
            if row >= len(rows):
                return Strip.blank(width, base)
            left = 0 if self.wrap else scroll_x
            return Strip([Segment(rows[row], base + _EMPTY)]).crop_extend(left, left + width, base)
        if self.wrap:
            if row >= self.row_count:
                return Strip.blank(width, base)
            number, col = self._wrap_locate(row)
            text, entry = self.store.line(number)
            strip = self._strip(number, text, entry, base, col, col + self._wrap_width)
            return strip.crop_extend(0, width, base)
        if row >= self.store.visible_count:
            return Strip.blank(width, base)
        number = self.store.visible_number(row)
        text, entry = self.store.line(number)
        strip = self._strip(number, text, entry, base, 0, None)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _empty_rows(self, width: int) -> list[str]:
        """The empty view's explanation, folded at `width` in wrap mode (by words)."""
        if not self.wrap:
            return self.empty_text
        return [part for line in self.empty_text for part in textwrap.wrap(line, max(width, 10))]

    def _strip(
        self, number: int, text: str, entry: Entry, base: Style, start: int, end: int | None
    ) -> Strip:
        text = _clean(text)
        style = base + _STYLES.get(entry.level, _STYLES[""])
        if entry.harmless:
            style = base + _HARMLESS
        if number != entry.seq:  # a continuation line: not bold
            style += Style(bold=False)
        if number == self.cursor:
            style += _CURSOR
        piece = text[start:end]
        segments = self._highlight(piece, style)
        if entry.harmless and number == entry.seq and (end is None or end >= len(text)):
            segments.append(Segment(f"   ⟵ {entry.harmless}", base + _NOTE))
        return Strip(segments)

    def _highlight(self, text: str, style: Style) -> list[Segment]:
        needle = self.search.lower()
        if not needle:
            return [Segment(text, style)]
        low = text.lower()
        out: list[Segment] = []
        pos = 0
        match_style = style + _MATCH
        while (hit := low.find(needle, pos)) >= 0:
            if hit > pos:
                out.append(Segment(text[pos:hit], style))
            out.append(Segment(text[hit : hit + len(needle)], match_style))
            pos = hit + len(needle)
        if pos < len(text):
            out.append(Segment(text[pos:], style))
        return out
