"""The config editor's TextArea: lint findings marked on their lines, fast on huge files.

Textual's TextArea (8.2) does work that grows with the file for every row it paints, so every key
in a 20 000-line file cost 0.5–0.9 s: `WrappedDocument.height` adds up every line's wrap offsets
(`CountedWrappedDocument` keeps that count up to date per edit instead), `Document.get_size`
measures every line after each edit (`MeasuredDocument` re-measures the edited lines only), and
`render_line` joins
the whole text to learn whether the document is empty, for its placeholder (answered here from the
first line while a row is painted). Lint marks are painted in `render_line` (the Line API) on the
rows on screen only, not through the highlight map.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Offset, Size
from textual.strip import Strip
from textual.widgets import TextArea
from textual.widgets.text_area import (
    Document,
    DocumentBase,
    EditResult,
    Location,
    WrappedDocument,
)

MARK_STYLES = {
    "lint.error": Style(underline=True, bgcolor="#5f0000"),
    "lint.warning": Style(underline=True, bgcolor="#5f5f00"),
}


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
        self, document: DocumentBase | Document, width: int = 0, tab_width: int = 4
    ) -> None:
        self._rows = 0
        super().__init__(document, width, tab_width)

    def _rows_of(self, first: int, last: int) -> int:
        return sum(len(self.get_offsets(i)) + 1 for i in range(first, last + 1))

    def wrap(self, width: int, tab_width: int | None = None) -> None:
        super().wrap(width, tab_width)
        self._rows = self._rows_of(0, self.document.line_count - 1)

    def wrap_range(self, start: Location, old_end: Location, new_end: Location) -> None:
        before = self._rows_of(start[0], old_end[0])  # still the old wrapping here
        super().wrap_range(start, old_end, new_end)
        self._rows += self._rows_of(start[0], new_end[0]) - before

    @property
    def height(self) -> int:
        return self._rows


class ConfigTextArea(TextArea):
    """A TextArea whose lines carrying a lint finding are marked (underlined, tinted)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.marks: dict[int, str] = {}  # 0-based line -> "lint.error" / "lint.warning"
        self._painting = False
        super().__init__(*args, **kwargs)

    @property
    def text(self) -> str:
        document = self.document
        if self._painting:  # TextArea.render_line only asks whether the document is empty
            return "" if document.line_count == 1 and not document.get_line(0) else "\n"
        return document.text

    @text.setter
    def text(self, value: str) -> None:
        self.load_text(value)

    @property  # type: ignore[override]  # an attribute in TextArea: every document it loads
    def document(self) -> DocumentBase:
        return self._measured

    @document.setter
    def document(self, document: DocumentBase) -> None:
        plain = type(document) is Document
        self._measured: DocumentBase = MeasuredDocument(document.text) if plain else document

    @property  # type: ignore[override]  # an attribute in TextArea: every document it wraps
    def wrapped_document(self) -> WrappedDocument:
        return self._counted

    @wrapped_document.setter
    def wrapped_document(self, wrapped: WrappedDocument) -> None:
        counted = CountedWrappedDocument(self.document, tab_width=self.indent_width)
        self._counted: WrappedDocument = counted

    def mark_lines(self, marks: dict[int, str]) -> None:
        self.marks = marks
        self.refresh()

    def render_line(self, y: int) -> Strip:
        self._painting = True
        try:
            strip = super().render_line(y)
        finally:
            self._painting = False
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
