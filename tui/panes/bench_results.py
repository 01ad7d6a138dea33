"""The Benchmark pane's results: one run's levels as a table, and the plot (with an overlay)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from rich.text import Text
from textual.widgets import Static

from tui.core.bench import plot
from tui.core.bench.results import BenchConfig, BenchResult, LevelResult
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


@dataclass
class Run:
    number: int
    config: BenchConfig
    levels: list[LevelResult] = field(default_factory=list)
    result: BenchResult | None = None
    started: str = ""

    @property
    def label(self) -> str:
        return f"run {self.number}"

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

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

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
        self.add_row(
            f"{level.value:g}",
            f"{level.throughput:,.1f}",
            f"{lat.avg_ns // 1000:,}",
            p[50],
            p[90],
            p[95],
            p[99],
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
