"""The config editor's TextArea: lint findings marked on their lines, fast on huge files.

Textual's TextArea (8.2) does work that grows with the file for every row it paints, so every key
in a 20 000-line file cost 0.5–0.9 s: `WrappedDocument.height` adds up every line's wrap offsets
(`CountedWrappedDocument` keeps that count up to date per edit instead), `Document.get_size`
measures every line after each edit (`MeasuredDocument` re-measures the edited lines only), and
`render_line` joins the whole text to learn whether the document is empty, for its placeholder
(answered from the first line while a row is painted). TextArea has no public hook for its
documents: what this relies on of its internals is kept in one adapter (text_area_hooks.py).
Lint marks are painted in `render_line` (the Line API) on the rows on screen only, not through
the highlight map. After a big file is (re)wrapped, its per-line lists are frozen out of
Python's full garbage collections (`freeze_heap`).

Opening a file measures and wraps every line (0.5-4 s for 20 000 lines: `load_text` wraps three
times): `prepare` does it once in a worker thread, and `load_prepared` hands the result to the
widget through the adapter's own extension points (`make_document`, `make_wrapped_document`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Offset, Size
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets.text_area import (
    Document,
    DocumentBase,
    EditResult,
    Location,
    WrappedDocument,
)

from tui.widgets.text_area_hooks import FastDocumentsTextArea

MARK_STYLES = {
    "lint.error": Style(underline=True, bgcolor="#5f0000"),
    "lint.warning": Style(underline=True, bgcolor="#5f5f00"),
}


FREEZE_FROM_LINES = 5000  # a file this long has its (re)wrapped lines frozen (see freeze_heap)
FREEZE_SETTLE_S = 0.2  # one freeze for the few rewraps that follow an open or a resize


def freeze_heap() -> None:
    """Freeze the heap, so Python's full collections during typing scan only what was made since
    (call after opening a big file).

    A full (generation 2) collection scans every tracked object, and Textual's TextArea keeps three
    lists per line: with a 20 000-line file open, one collection in the middle of typing held a
    key for 100–250 ms. Only the young generations are collected first: a full collection here
    held the UI thread 0.15–0.4 s right after the file opened (the keys pressed meanwhile waited).
    The price: garbage with reference cycles that was already old stays frozen, uncollected, until
    the process ends (Textual's documents are freed by reference counts, not by the collector)."""
    gc.unfreeze()
    gc.collect(1)
    gc.freeze()


class MeasuredDocument(Document):
    """A Document keeping each line's width, so its size costs O(edit), not O(file)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._tab_width = -1
        self._widths: list[int] = []

    def _measure(self, first: int, last: int) -> list[int]:
        tab = self._tab_width
        return [cell_len(self.get_line(i).expandtabs(tab)) for i in range(first, last + 1)]

    def replace_range(self, start: Location, end: Location, text: str) -> EditResult:
        top, bottom = sorted((start, end))
        result = super().replace_range(start, end, text)
        if self._tab_width >= 0:
            new = self._measure(top[0], result.end_location[0])
            self._widths[top[0] : bottom[0] + 1] = new
        return result

    def get_size(self, tab_width: int) -> Size:
        if tab_width != self._tab_width:
            self._tab_width = tab_width
            self._widths = self._measure(0, self.line_count - 1)
        return Size(max(self._widths, default=0), self.line_count)


class CountedWrappedDocument(WrappedDocument):
    """A WrappedDocument whose `height` is a running count, updated by each (re)wrap."""

    def __init__(
        self,
        document: DocumentBase | Document,
        width: int = 0,
        tab_width: int = 4,
        on_wrap: Callable[[], None] | None = None,
    ) -> None:
        self._rows = 0
        self._on_wrap = on_wrap  # told after each whole-document wrap
        self.prewrapped = False  # wrapped in a worker: the next wrap at the same width is done
        super().__init__(document, width, tab_width)

    def _rows_of(self, first: int, last: int) -> int:
        return sum(len(self.get_offsets(i)) + 1 for i in range(first, last + 1))

    def wrap(self, width: int, tab_width: int | None = None) -> None:
        same = width == self._width and tab_width in (None, self._tab_width)
        if not (self.prewrapped and same):
            super().wrap(width, tab_width)
            self._rows = self._rows_of(0, self.document.line_count - 1)
        self.prewrapped = False
        if self._on_wrap is not None:
            self._on_wrap()

    def wrap_range(self, start: Location, old_end: Location, new_end: Location) -> None:
        before = self._rows_of(start[0], old_end[0])  # still the old wrapping here
        super().wrap_range(start, old_end, new_end)
        self._rows += self._rows_of(start[0], new_end[0]) - before

    @property
    def height(self) -> int:
        return self._rows


@dataclass(frozen=True)
class PreparedText:
    """A document measured and wrapped (unwrapped width) off the UI thread, by `prepare`."""

    document: MeasuredDocument
    wrapped: CountedWrappedDocument
    tab_width: int


def prepare(text: str, tab_width: int = 4) -> PreparedText:
    """Measure and wrap `text` for `ConfigTextArea.load_prepared`: blocking, call it in a worker
    (the objects are the widget's only once loaded)."""
    document = MeasuredDocument(text)
    document.get_size(tab_width)
    wrapped = CountedWrappedDocument(document, tab_width=tab_width)
    wrapped.prewrapped = True
    return PreparedText(document, wrapped, tab_width)


class ConfigTextArea(FastDocumentsTextArea):
    """A TextArea whose lines carrying a lint finding are marked (underlined, tinted)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.marks: dict[int, str] = {}  # 0-based line -> "lint.error" / "lint.warning"
        self._freeze_timer: Timer | None = None
        self._prepared: PreparedText | None = None  # handed to the next document made
        super().__init__(*args, **kwargs)

    def make_document(self, document: DocumentBase) -> DocumentBase:
        if self._prepared is not None:
            return self._prepared.document
        return MeasuredDocument(document.text) if type(document) is Document else document

    def make_wrapped_document(self, document: DocumentBase) -> WrappedDocument:
        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared.document is document:
            prepared.wrapped._on_wrap = self._wrapped  # noqa: SLF001 - its owner, from now on
            return prepared.wrapped
        return CountedWrappedDocument(document, tab_width=self.indent_width, on_wrap=self._wrapped)

    def load_prepared(self, prepared: PreparedText) -> None:
        """As `load_text(prepared.document.text)`, without measuring or wrapping it again: the
        load goes through `load_text` with an empty text, whose documents are replaced by the
        prepared ones (`make_document`, `make_wrapped_document`)."""
        if self.language or prepared.tab_width != self.indent_width or self.soft_wrap:
            self.load_text(prepared.document.text)
            return
        self._prepared = prepared
        self.load_text("")

    def _wrapped(self) -> None:
        """A whole-file wrap made two lists per line: freeze them once the rewraps settle."""
        if self.document.line_count < FREEZE_FROM_LINES or not self.is_attached:
            return
        if self._freeze_timer is not None:
            self._freeze_timer.stop()
        self._freeze_timer = self.set_timer(FREEZE_SETTLE_S, freeze_heap)

    def mark_lines(self, marks: dict[int, str]) -> None:
        self.marks = marks
        self.refresh()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if not self.marks:
            return strip
        row = y + self.scroll_offset.y
        if row >= self.wrapped_document.height:
            return strip
        line, _ = self.wrapped_document.offset_to_location(Offset(0, row))
        mark = self.marks.get(line)
        if mark is None:
            return strip
        gutter, text = strip.divide([self.gutter_width, strip.cell_length])[:2]
        marked = Segment.apply_style(text, post_style=MARK_STYLES[mark])
        return Strip.join([gutter, Strip(marked)])
