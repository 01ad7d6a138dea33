"""The one adapter over Textual's TextArea internals (Textual >=8.2,<9): which documents it keeps.

TextArea (8.2) offers no public way to choose its Document and WrappedDocument classes, and asks
for the whole text (joining every line) on each row it paints, only to learn whether the document
is empty. `FastDocumentsTextArea` relies on exactly three things TextArea does today:

1. `_set_document` assigns `self.document` (every load, edit of the language, and start);
2. it assigns `self.wrapped_document` right after, from that document;
3. `render_line` reads `self.text` only to tell an empty document (for the placeholder).

The attributes become properties whose setters hand the document to `make_document` and
`make_wrapped_document` (the extension points subclasses override), and `text` answers from the
first line while a row is painted.

A fourth: `wrap_unwrapped` fills a WrappedDocument's four per-line tables for width 0 (no soft
wrap: one row per line) as `WrappedDocument.wrap` does, without asking each line for its wrap
points (0.15 s of the 0.2 s it took to open a 20 000-line file).

tests/test_config_text.py checks all four on the installed Textual, so the first version that
changes any of them fails there, not in a user's editor.
"""

from __future__ import annotations

from typing import Any

from textual.expand_tabs import get_tab_widths
from textual.strip import Strip
from textual.widgets import TextArea
from textual.widgets.text_area import DocumentBase, WrappedDocument


class FastDocumentsTextArea(TextArea):
    """A TextArea that builds its documents through `make_document` / `make_wrapped_document`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._painting = False
        super().__init__(*args, **kwargs)

    def make_document(self, document: DocumentBase) -> DocumentBase:
        """The document to keep in place of the one TextArea built (the same by default)."""
        return document

    def make_wrapped_document(self, document: DocumentBase) -> WrappedDocument:
        """The wrapped view to keep over `document` (Textual's own by default)."""
        return WrappedDocument(document, tab_width=self.indent_width)

    @property
    def text(self) -> str:
        document = self.document
        if self._painting:  # (3) render_line only asks whether the document is empty
            return "" if document.line_count == 1 and not document.get_line(0) else "\n"
        return document.text

    @text.setter
    def text(self, value: str) -> None:
        self.load_text(value)

    @property  # type: ignore[override]  # (1) an attribute in TextArea
    def document(self) -> DocumentBase:
        return self._kept_document

    @document.setter
    def document(self, document: DocumentBase) -> None:
        self._kept_document = self.make_document(document)

    @property  # type: ignore[override]  # (2) an attribute in TextArea
    def wrapped_document(self) -> WrappedDocument:
        return self._kept_wrapped

    @wrapped_document.setter
    def wrapped_document(self, _wrapped: WrappedDocument) -> None:
        self._kept_wrapped = self.make_wrapped_document(self.document)

    def render_line(self, y: int) -> Strip:
        self._painting = True
        try:
            return super().render_line(y)
        finally:
            self._painting = False


def wrap_unwrapped(wrapped: WrappedDocument, tab_width: int | None = None) -> None:
    """`wrapped.wrap(0, tab_width)`, the same tables built directly (4): every line one row;
    only lines holding a tab are split at their tabs."""
    wrapped._width = 0  # noqa: SLF001 - the adapter's one purpose
    if tab_width:
        wrapped._tab_width = tab_width  # noqa: SLF001
    tab = wrapped._tab_width  # noqa: SLF001
    lines = wrapped.document.lines
    rows = range(len(lines))
    wrapped._wrap_offsets = [[] for _ in rows]  # noqa: SLF001
    wrapped._offset_to_line_info = [(i, 0) for i in rows]  # noqa: SLF001
    wrapped._line_index_to_offsets = [[i] for i in rows]  # noqa: SLF001
    wrapped._tab_width_cache = [  # noqa: SLF001
        [w for _, w in get_tab_widths(line, tab)] if "\t" in line else [0] if line else []
        for line in lines
    ]
