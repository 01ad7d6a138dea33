"""The Benchmark pane's results: one run's levels as a table, the plot (with an overlay), and the
bar under them that picks the run to overlay and exports the last one."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Select, Static

from tui.core.bench import plot
from tui.core.bench.form import export
from tui.core.bench.results import BenchConfig, BenchResult, LevelResult, WindowMeasured
from tui.core.bench.stats import STABILITY_WINDOW
from tui.core.util.paths import cache_dir
from tui.widgets.keys import VimDataTable

COLUMNS = (
    "conc",
    "infer/s",
    "avg µs",
    "p50",
    "p90",
    "p95",
    "p99",
    "srv queue",
    "c.input",
    "c.infer",
    "c.output",
    "overhead",
    "cache hits",
)
# Under NARROW columns (an 80-column terminal) the table drops p90 and p95 and names the server's
# breakdown (µs, as every figure) in a word each, so every heading fits; CSV and JSON keep all.
NARROW = 100
SHORT = {"srv queue": "queue", "c.input": "in", "c.infer": "infer", "c.output": "out"}
SHORT |= {"overhead": "other", "cache hits": "cache"}


@dataclass
class Run:
    number: int
    config: BenchConfig
    levels: list[LevelResult] = field(default_factory=list)
    result: BenchResult | None = None
    started: str = ""
    windows: list[WindowMeasured] = field(default_factory=list)  # the level under way's

    @property
    def label(self) -> str:
        return f"run {self.number}"

    @property
    def model(self) -> str:
        return self.config.model

    @property
    def unstable_windows(self) -> list[WindowMeasured]:
        """The last windows of the level that never held still (kept to show their spread)."""
        if self.result is None or self.result.status != "unstable":
            return []
        return self.windows[-STABILITY_WINDOW:]

    @property
    def caption(self) -> str:
        """Whose figures these are: the run, its model and range, and how it stands."""
        status = self.result.status if self.result else "running"
        return f"{self.label} · {self.model} · concurrency {self.config.load_range} · {status}"

    @property
    def title(self) -> str:
        status = self.result.status if self.result else "running"
        return (
            f"{self.label} · {self.config.model} · {self.config.load_range} · {self.started}"
            f" · {status}"
        )


class ResultsTable(VimDataTable):
    """Levels of the run being shown: client latencies and the server breakdown, in µs; for a
    model with the response cache, the share of requests answered from it."""

    narrow = True

    def on_mount(self) -> None:
        self._columns()

    def _columns(self) -> None:
        self.clear(columns=True)
        self.add_columns(*(SHORT.get(c, c) if self.narrow else c for c in self._shown()))

    def _shown(self) -> list[str]:
        return [c for c in COLUMNS if not (self.narrow and c in ("p90", "p95"))]

    def show_run(self, run: Run | None) -> None:
        """The run's levels, then the windows of a level that did not hold still (marked ✗:
        their figures are single windows, not a level's)."""
        narrow = self.app.size.width < NARROW
        if narrow != self.narrow:
            self.narrow = narrow
            self._columns()
        self.clear()
        if run is None:
            return
        for level in run.levels:
            self.add_level(level)
        for window in run.unstable_windows:
            self.add_row(
                f"{window.value:g} ✗w{window.trial}",
                f"{window.throughput:,.1f}",
                f"{window.latency_us:,}",
            )

    def add_level(self, level: LevelResult) -> None:
        lat, srv = level.latency, level.server
        p = {k: f"{v // 1000:,}" for k, v in lat.percentiles_ns.items()}
        server = ["", "", "", "", "", ""]
        if srv is not None:
            looked_up = srv.cache_hit_count + srv.cache_miss_count
            # "off": the config enables the cache but the server has none (never looked up)
            hits = f"{srv.cache_hit_count / looked_up:.0%}" if looked_up else "off"
            server = [
                f"{srv.queue_us:,}",
                f"{srv.compute_input_us:,}",
                f"{srv.compute_infer_us:,}",
                f"{srv.compute_output_us:,}",
                f"{srv.overhead_us:,}",
                hits if level.response_cache else "",
            ]
        percentiles = [p[50], p[99]] if self.narrow else [p[50], p[90], p[95], p[99]]
        self.add_row(
            f"{level.value:g}",
            f"{level.throughput:,.1f}",
            f"{lat.avg_ns // 1000:,}",
            *percentiles,
            *server,
        )


class ResultsPlot(Static):
    """plotext's drawing of concurrency against throughput and latency, rendered into a Static."""

    def draw(self, shown: Run | None, overlay: Run | None) -> None:
        if shown is None:
            self.update("")
            return
        ansi = plot.render(
            plot.PlotRun(shown.label, shown.levels),
            plot.PlotRun(overlay.label, overlay.levels) if overlay else None,
            width=max(40, self.size.width or 80),
            height=max(8, self.size.height or 12),
            percentile=shown.config.percentile,
            color="NO_COLOR" not in os.environ,
        )
        self.update(Text.from_ansi(ansi) if ansi else "")


@dataclass
class ExportFinished(Message):
    """An export was written, or could not be: `text` says which, for the pane's status line."""

    text: str
    severity: str = ""


class RunsBar(Horizontal):
    """The finished run to overlay on the plot, and the export of the last one as perf_analyzer
    CSV or our JSON: to the path typed, else into the cache dir."""

    def __init__(self) -> None:
        super().__init__(id="bench-actions")
        self.last: Run | None = None

    def compose(self) -> ComposeResult:
        yield Select[int]([], prompt="overlay: none", id="bench-overlay", compact=True)
        yield Input(
            "",
            placeholder="export to: a path, or the cache",
            id="bench-export-path",
            compact=True,
        )
        yield Button("CSV", id="bench-export-csv", disabled=True, compact=True)
        yield Button("JSON", id="bench-export-json", disabled=True, compact=True)

    def show_runs(self, runs: list[Run]) -> None:
        """The finished runs, the newest first in the overlay list; the last one to export."""
        self.query_one(Select).set_options((r.title, r.number) for r in reversed(runs))
        self.last = runs[-1]
        field = self.query_one("#bench-export-path", Input)
        field.tooltip = f"empty: {cache_dir() / 'bench'}"
        for button in self.query(Button):
            button.disabled = False

    @on(Button.Pressed, "#bench-export-csv")
    def _export_csv(self) -> None:
        self.export("csv")

    @on(Button.Pressed, "#bench-export-json")
    def _export_json(self) -> None:
        self.export("json")

    def export(self, kind: str) -> None:
        run = self.last
        if run is None or run.result is None:
            self.post_message(ExportFinished("No finished benchmark to export yet.", "warning"))
            return
        typed = self.query_one("#bench-export-path", Input).value.strip()
        self.write_export(run, kind, Path(typed).expanduser() if typed else None)

    @work(thread=True, group="bench-export")
    def write_export(self, run: Run, kind: str, path: Path | None) -> None:
        assert run.result is not None
        try:
            path = export(run.result, kind, path, run.label.replace(" ", ""))
        except OSError as exc:
            self.post_message(ExportFinished(f"Export failed: {exc}", "error"))
            return
        self.post_message(ExportFinished(f"{run.label} exported to {path}"))
