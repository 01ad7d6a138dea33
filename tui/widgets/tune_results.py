"""A tune's results: its candidates ranked by the objective (a table) beside a plot of throughput
against p99 latency (Pareto front, budget line, the highlighted row marked). Highlighting a row
posts `CandidateHighlighted`, for the pane to say why that candidate wins or loses."""

from __future__ import annotations

import os
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Static

from tui.core.tune import report
from tui.core.tune.record import CandidateResult, TuneRecord

COLUMNS = ("config", "conc", "infer/s", "p99 ms", "GPU %", "GPU MB", "ok")


@dataclass
class CandidateHighlighted(Message):
    record: TuneRecord
    result: CandidateResult | None


class TuneResults(Horizontal):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.record: TuneRecord | None = None
        self.rows: list[CandidateResult] = []

    def compose(self) -> ComposeResult:
        yield DataTable(id="tune-table", zebra_stripes=True, cursor_type="row")
        yield Static("", id="tune-plot")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)

    def clear(self) -> None:
        self.rows = []
        self.query_one(DataTable).clear()

    def show(self, record: TuneRecord) -> None:
        """The record's candidates, ranked again (the cursor stays on its row number)."""
        self.record = record
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.rows = record.ranked()
        for result in self.rows:
            best = result.best
            table.add_row(
                Text(result.candidate.words()),
                str(best.concurrency) if best else "—",
                report.fmt(best.throughput if best else None),
                report.fmt(best.p99_ms if best else None, 2),
                report.fmt(100 * best.gpu_util if best and best.gpu_util is not None else None, 0),
                report.fmt(best.gpu_mem_mb if best else None, 0),
                "yes" if result.satisfies else ("no" if result.status == "ok" else result.status),
            )
        if self.rows:
            table.move_cursor(row=min(max(row, 0), len(self.rows) - 1))
        self._highlighted()

    @property
    def selected(self) -> CandidateResult | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @on(DataTable.RowHighlighted, "#tune-table")
    def _highlighted(self) -> None:
        result = self.selected
        self._redraw(result.key if result else "")
        if self.record is not None:
            self.post_message(CandidateHighlighted(self.record, result))

    def _redraw(self, selected: str = "") -> None:
        plot = self.query_one("#tune-plot", Static)
        if self.record is None:
            plot.update("")
            return
        ansi = report.render_plot(
            self.record,
            width=max(30, plot.size.width or 50),
            height=max(8, plot.size.height or 12),
            color="NO_COLOR" not in os.environ,
            selected=selected,
        )
        plot.update(Text.from_ansi(ansi) if ansi else "")

    def on_resize(self) -> None:
        result = self.selected
        self._redraw(result.key if result else "")
