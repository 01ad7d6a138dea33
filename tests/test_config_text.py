"""The config editor's TextArea keeps its own size and row counts: they match Textual's own."""

from __future__ import annotations

import random

import pytest
from textual.app import App, ComposeResult
from textual.widgets.text_area import Document, WrappedDocument

from tui.widgets.config_text import (
    ConfigTextArea,
    CountedWrappedDocument,
    MeasuredDocument,
    prepare,
)

TEXT = "".join(f"line {i}\t{'x' * (i % 37)}\n" for i in range(300))


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield ConfigTextArea(TEXT, soft_wrap=True, show_line_numbers=True)


async def test_size_and_rows_follow_every_edit_undo_and_redo() -> None:
    rng = random.Random(7)
    async with Host().run_test(size=(60, 20)) as pilot:
        area = pilot.app.query_one(ConfigTextArea)
        for step in range(120):
            doc = area.document
            if step % 10 == 9:
                area.undo() if step % 20 == 9 else area.redo()
            else:
                row = rng.randrange(doc.line_count)
                end_row = min(doc.line_count - 1, row + rng.randrange(3))
                start = (row, rng.randrange(len(doc.get_line(row)) + 1))
                end = (end_row, rng.randrange(len(doc.get_line(end_row)) + 1))
                start, end = sorted((start, end))
                insert = rng.choice(["", "a", "bb\ncc", "\n", "tab\there " * rng.randrange(9)])
                area.replace(insert, start, end)
            await pilot.pause()
            fresh = Document(area.text)
            assert area.document.get_size(4) == fresh.get_size(4), step
            wrapped = WrappedDocument(fresh, area.wrap_width, area.indent_width)
            assert area.wrapped_document.height == wrapped.height, step
        area.load_text("")
        await pilot.pause()
        assert area.text == "" and area.wrapped_document.height == 1


async def test_lint_marks_paint_the_marked_line_only() -> None:
    async with Host().run_test(size=(60, 20)) as pilot:
        area = pilot.app.query_one(ConfigTextArea)
        area.mark_lines({2: "lint.error"})
        await pilot.pause()
        styles = [{s.style.bgcolor for s in area.render_line(y) if s.style} for y in range(4)]
        red = next(iter(c for c in styles[2] if c is not None and c.name == "#5f0000"), None)
        assert red is not None
        assert all(all(c is None or c.name != "#5f0000" for c in styles[y]) for y in (0, 1, 3))


async def test_the_text_area_adapter_still_holds_on_this_textual(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """tui/widgets/text_area_hooks.py relies on three things TextArea does (see its docstring):
    each is checked here, so the first Textual release that changes one fails this test."""
    reads: list[int] = []
    plain_text = MeasuredDocument.text

    def counted(document: MeasuredDocument) -> str:
        reads.append(document.line_count)
        return plain_text.fget(document)  # type: ignore[attr-defined, no-any-return]

    async with Host().run_test(size=(60, 20)) as pilot:
        area = pilot.app.query_one(ConfigTextArea)
        for text in (TEXT, "one line"):  # (1) and (2): at start and on every load
            assert type(area.document) is MeasuredDocument
            assert type(area.wrapped_document) is CountedWrappedDocument
            assert area.wrapped_document.document is area.document
            area.load_text(text)
            await pilot.pause()
        # (3): painting every row reads no joined text, and the empty check still works
        monkeypatch.setattr(MeasuredDocument, "text", property(counted))
        for y in range(area.size.height):
            area.render_line(y)
        assert reads == []
        assert area.text == "one line" and reads == [1]
        area.placeholder = "nothing here yet"
        area.load_text("")
        await pilot.pause()
        assert "nothing here yet" in area.render_line(0).text
        area.load_text("x")
        await pilot.pause()
        assert "nothing here yet" not in area.render_line(0).text


class Unwrapped(App[None]):
    def compose(self) -> ComposeResult:
        yield ConfigTextArea(id="loaded", soft_wrap=False, show_line_numbers=True)
        yield ConfigTextArea(id="prepared", soft_wrap=False, show_line_numbers=True)


async def test_a_prepared_text_loads_as_load_text_does() -> None:
    """`load_prepared` (the document measured and wrapped in a worker) leaves the widget as
    Textual's `load_text` does: the adapter over Textual's TextArea that a release may break."""
    async with Unwrapped().run_test(size=(80, 30)) as pilot:
        loaded = pilot.app.query_one("#loaded", ConfigTextArea)
        prepared = pilot.app.query_one("#prepared", ConfigTextArea)
        loaded.move_cursor((5, 2))
        prepared.move_cursor((5, 2))
        loaded.load_text(TEXT)
        prepared.load_prepared(prepare(TEXT))
        await pilot.pause()
        assert prepared.text == loaded.text and prepared.document.line_count == 301
        assert prepared.virtual_size == loaded.virtual_size
        assert prepared.wrapped_document.height == loaded.wrapped_document.height
        assert prepared.cursor_location == loaded.cursor_location == (0, 0)
        assert [prepared.render_line(y).text for y in range(10)] == [
            loaded.render_line(y).text for y in range(10)
        ]
        # Then it edits, undoes, moves and measures as the other.
        for area in (loaded, prepared):
            area.focus()
            await pilot.press("down", "end", "x", "y", "enter")
            area.undo()
        assert prepared.text == loaded.text
        assert prepared.cursor_location == loaded.cursor_location
        assert prepared.document.get_size(4) == Document(prepared.text).get_size(4)
        assert prepared.wrapped_document.height == loaded.wrapped_document.height


def test_unwrapped_tables_are_textuals_own() -> None:
    """(4) of the adapter: `wrap_unwrapped` builds the four tables `WrappedDocument.wrap(0)`
    builds (lines with tabs, wide characters, empty lines), and the counted document's row count
    follows; a whole wrap at the same width is not redone."""
    text = "a\tb\tc\n\n  wide 漢字\there\n\tlead\n" + TEXT
    for tab in (2, 4, 8):
        textual = WrappedDocument(Document(text), width=0, tab_width=tab)
        ours = CountedWrappedDocument(MeasuredDocument(text), width=0, tab_width=tab)
        tables = ("_wrap_offsets", "_offset_to_line_info", "_line_index_to_offsets")
        for table in (*tables, "_tab_width_cache", "_width", "_tab_width"):
            assert getattr(ours, table) == getattr(textual, table), (table, tab)
        assert ours.height == textual.height
        before = ours._wrap_offsets
        ours.wrap(0, tab)
        assert ours._wrap_offsets is before  # the same width and text: nothing redone
        ours.document.replace_range((0, 0), (0, 0), "new\n")  # an edit, no wrap_range
        textual.document.replace_range((0, 0), (0, 0), "new\n")
        ours.wrap(0, tab)  # as TextArea does when the edit widened the gutter
        textual.wrap(0, tab)
        assert ours._offset_to_line_info == textual._offset_to_line_info
        assert ours.height == textual.height
        ours.wrap(9, tab)
        textual.wrap(9, tab)
        assert ours._wrap_offsets == textual._wrap_offsets and ours.height == textual.height
