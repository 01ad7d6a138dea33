"""A tune's results: its candidates ranked by the objective (a table) beside a plot of throughput
against p99 latency (Pareto front, budget line, the highlighted row marked). Highlighting a row
posts `CandidateHighlighted`, for the pane to say why that candidate wins or loses.

Where the two do not fit side by side (an 80-column terminal), the table takes the whole width and
the plot is left out: the figures matter more than their picture."""

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
        self.clear()

    def clear(self) -> None:
        """No rows, and no GPU columns until some level has GPU figures."""
        self.rows = []
        self._columns(gpu=False)

    def _columns(self, gpu: bool) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        table.add_columns(*(c for c in COLUMNS if gpu or not c.startswith("GPU")))

    def show(self, record: TuneRecord) -> None:
        """The record's candidates, ranked again (the cursor stays on its row number). The GPU
        columns only where some level has GPU figures (a CPU-only server has none)."""
        self.record = record
        table = self.query_one(DataTable)
        row = table.cursor_row
        self.rows = record.ranked()
        gpu = any(lv.gpu_util is not None or lv.gpu_mem_mb is not None for lv in record.levels())
        self._columns(gpu)
        for result in self.rows:
            best = result.best
            cells = [
                Text(result.candidate.brief()),
                str(best.concurrency) if best else "—",
                report.fmt(best.throughput if best else None),
                report.fmt(best.p99_ms if best else None, 2),
            ]
            if gpu:
                util = best.gpu_util if best else None
                cells.append(report.fmt(None if util is None else 100 * util, 0))
                cells.append(report.fmt(best.gpu_mem_mb if best else None, 0))
            ok = "yes" if result.satisfies else ("no" if result.status == "ok" else result.status)
            table.add_row(*cells, ok)
        if self.rows:
            table.move_cursor(row=min(max(row, 0), len(self.rows) - 1))
        self._fit()
        self._highlighted()

    @property
    def selected(self) -> CandidateResult | None:
        row = self.query_one(DataTable).cursor_row
        return self.rows[row] if 0 <= row < len(self.rows) else None

    @on(DataTable.RowHighlighted, "#tune-table")
    def _highlighted(self) -> None:
        result = self.selected
        # After the layout settles: the first rows may have just changed the plot's width
        # (`_fit`), and a drawing for the old width wrapped its axis labels onto rows of their own.
        self.call_after_refresh(self._redraw, result.key if result else "")
        if self.record is not None:
            self.post_message(CandidateHighlighted(self.record, result))

    def _redraw(self, selected: str = "") -> None:
        plot = self.query_one("#tune-plot", Static)
        if self.record is None or not plot.display or not plot.size.width:
            plot.update("")
            return
        ansi = report.render_plot(
            self.record,
            width=max(30, plot.size.width),
            height=max(8, plot.size.height),
            color="NO_COLOR" not in os.environ,
            selected=selected,
        )
        plot.update(Text.from_ansi(ansi) if ansi else "")

    def _fit(self) -> None:
        """Narrow: the table's columns do not fit in its share (3/5) beside the plot."""
        table = self.query_one(DataTable)
        self.set_class(table.virtual_size.width > self.size.width * 3 / 5, "-narrow")

    def on_resize(self) -> None:
        self._fit()
        result = self.selected
        self.call_after_refresh(self._redraw, result.key if result else "")
