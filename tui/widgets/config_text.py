"""The config editor's TextArea: lint findings marked on their lines, fast on huge files.

Textual's TextArea (8.2) does work that grows with the file for every row it paints, so every key
in a 20 000-line file cost 0.5–0.9 s: `WrappedDocument.height` adds up every line's wrap offsets
(`CountedWrappedDocument` keeps that count up to date per edit instead), `Document.get_size`
measures every line after each edit (`MeasuredDocument` re-measures the edited lines only), and
`render_line` joins the whole text to learn whether the document is empty, for its placeholder
(answered from the first line while a row is painted). TextArea has no public hook for its
documents: what this relies on of its internals is kept in one adapter (text_area_hooks.py).
Lint marks are painted in `render_line` (the Line API) on the rows on screen only, not through
the highlight map. (Full garbage collections, which scan those per-line lists, wait for a pause
in typing: tui/core/util/collector.py.)

Opening a file measures and wraps every line (0.5-4 s for 20 000 lines: `load_text` wraps three
times): `prepare` does it once in a worker thread, and `load_prepared` hands the result to the
widget through the adapter's own extension points (`make_document`, `make_wrapped_document`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Offset, Size
from textual.strip import Strip
from textual.widgets.text_area import (
    Document,
    DocumentBase,
    EditResult,
    Location,
    WrappedDocument,
)

from tui.widgets.text_area_hooks import FastDocumentsTextArea, wrap_unwrapped

MARK_STYLES = {
    "lint.error": Style(underline=True, bgcolor="#5f0000"),
    "lint.warning": Style(underline=True, bgcolor="#5f5f00"),
}


def width(line: str) -> int:
    """Cells `line` takes on screen (printable ASCII: one each, without asking rich)."""
    return len(line) if line.isascii() and line.isprintable() else cell_len(line)


class MeasuredDocument(Document):
    """A Document keeping each line's width, so its size costs O(edit), not O(file)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._tab_width = -1
        self._widths: list[int] = []
        self.edits = 0  # how many edits it has taken (a wrap of it is current or not)

    def _measure(self, first: int, last: int) -> list[int]:
        tab = self._tab_width
        return [width(self.get_line(i).expandtabs(tab)) for i in range(first, last + 1)]

    def replace_range(self, start: Location, end: Location, text: str) -> EditResult:
        top, bottom = sorted((start, end))
        result = super().replace_range(start, end, text)
        self.edits += 1
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
    """A WrappedDocument whose `height` is a running count, updated by each (re)wrap, and which
    wraps the whole document again only when the width, the tab width or the text changed since
    it was last current: most of the TextArea's whole wraps (each resize, the pane being shown
    again, the load after `prepare`) would redo 0.1-0.5 s of work for nothing on a 20 000-line
    file. (An edit that widens the line-number gutter asks for a whole wrap instead of
    `wrap_range`: the text changed, so that one is done.)"""

    def __init__(
        self,
        document: DocumentBase | Document,
        width: int = 0,
        tab_width: int = 4,
    ) -> None:
        self._rows = 0
        # (width, tab width, document edits) of the last whole wrap
        self._wrapped_at: tuple[int, int, int] | None = None
        super().__init__(document, width, tab_width)

    def _rows_of(self, first: int, last: int) -> int:
        return sum(len(self.get_offsets(i)) + 1 for i in range(first, last + 1))

    def wrap(self, width: int, tab_width: int | None = None) -> None:
        at = (width, self._tab_width if tab_width is None else tab_width, self._edits())
        if at == self._wrapped_at and at[2] >= 0:
            return
        if width == 0:
            wrap_unwrapped(self, tab_width)
            self._rows = self.document.line_count
        else:
            super().wrap(width, tab_width)
            self._rows = self._rows_of(0, self.document.line_count - 1)
        self._wrapped_at = at

    def wrap_range(self, start: Location, old_end: Location, new_end: Location) -> None:
        before = self._rows_of(start[0], old_end[0])  # still the old wrapping here
        super().wrap_range(start, old_end, new_end)
        self._rows += self._rows_of(start[0], new_end[0]) - before
        if self._wrapped_at is not None:  # current again, edit included
            self._wrapped_at = (*self._wrapped_at[:2], self._edits())

    def _edits(self) -> int:
        """The document's edit count; -1 (never current) for one that does not count them."""
        return self.document.edits if isinstance(self.document, MeasuredDocument) else -1

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
    return PreparedText(document, wrapped, tab_width)


class ConfigTextArea(FastDocumentsTextArea):
    """A TextArea whose lines carrying a lint finding are marked (underlined, tinted)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.marks: dict[int, str] = {}  # 0-based line -> "lint.error" / "lint.warning"
        self._prepared: PreparedText | None = None  # handed to the next document made
        super().__init__(*args, **kwargs)

    def make_document(self, document: DocumentBase) -> DocumentBase:
        if self._prepared is not None:
            return self._prepared.document
        return MeasuredDocument(document.text) if type(document) is Document else document

    def make_wrapped_document(self, document: DocumentBase) -> WrappedDocument:
        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared.document is document:
            return prepared.wrapped
        return CountedWrappedDocument(document, tab_width=self.indent_width)

    def load_prepared(self, prepared: PreparedText) -> None:
        """As `load_text(prepared.document.text)`, without measuring or wrapping it again: the
        load goes through `load_text` with an empty text, whose documents are replaced by the
        prepared ones (`make_document`, `make_wrapped_document`)."""
        if self.language or prepared.tab_width != self.indent_width or self.soft_wrap:
            self.load_text(prepared.document.text)
            return
        self._prepared = prepared
        self.load_text("")

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
