"""GPU pane (key 4): NVML cards, host and tritonserver history graphs, the server's own metrics.

A timer asks a thread worker for one `Snapshot` per interval (env TRITON_TUI_GPU_INTERVAL,
default 1 s); the worker posts `SnapshotTaken` and the pane redraws. Sampling goes on while the
pane is hidden, so the histories have no holes, but nothing is redrawn until it is shown again.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.color import Color
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Sparkline, Static

from tui.core.gpu import format as fmt
from tui.core.gpu.history import Histories
from tui.core.gpu.nvml import GpuSample
from tui.core.gpu.sampler import DEFAULT_INTERVAL, Sampler, Snapshot, check_interval
from tui.state import console
from tui.widgets.keys import VimDataTable
from tui.workers import ReportsWorkerFailures, work

INTERVAL_ENV = "TRITON_TUI_GPU_INTERVAL"
BARS = "▁▂▃▄▅▆▇█"


def configured_interval() -> float:
    raw = os.environ.get(INTERVAL_ENV, "")
    try:
        return check_interval(float(raw)) if raw else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL


@dataclass
class SnapshotTaken(Message):
    snapshot: Snapshot


@dataclass
class SamplerFailed(Message):
    error: str


class HistoryGraph(Sparkline):
    """A Sparkline drawn from the right edge (newest sample last, one sample per column until
    the history outgrows the width) and, for percentages, on a fixed 0..ceiling scale, so a
    flat 3 % does not look like a full bar."""

    def __init__(self, ceiling: float | None = None, *, id: str | None = None) -> None:
        super().__init__([], id=id)
        self.ceiling = ceiling
        self.capacity = 300

    def render(self) -> Text:  # type: ignore[override]
        data: Sequence[float] = self.data or []
        width = max(self.size.width, 1)
        # One sample per column until the history is wider than the graph, then several
        # (the newest sample stays at the right edge; the window grows to the full history).
        data = list(data)[-self.capacity :]
        per_col = max(1, math.ceil(len(data) / width))
        cols = [max(data[max(0, i - per_col) : i]) for i in range(len(data), 0, -per_col)][::-1]
        top = self.ceiling if self.ceiling else max(cols, default=0.0) or 1.0
        low = self.get_component_styles("sparkline--min-color").color
        high = self.get_component_styles("sparkline--max-color").color
        text = Text(" " * (width - len(cols)))
        for value in cols:
            ratio = min(max(value / top, 0.0), 1.0)
            color = low.blend(high, ratio) if isinstance(low, Color) else high
            text.append(BARS[round(ratio * (len(BARS) - 1))], Style(color=color.rich_color))
        return text


class GraphRow(Horizontal):
    """A label with the current figures, and the history graph of one series."""

    def __init__(self, series: str, ceiling: float | None = None, *, id: str | None = None) -> None:
        super().__init__(classes="gpu-graph-row", id=id)
        self.series = series
        self.ceiling = ceiling

    def compose(self) -> ComposeResult:
        yield Static("", classes="gpu-graph-label")
        yield HistoryGraph(self.ceiling)

    def show(self, label: str, histories: Histories) -> None:
        self.query_one(".gpu-graph-label", Static).update(label)
        graph = self.query_one(HistoryGraph)
        graph.capacity = histories.capacity
        graph.data = histories.values(self.series)


class GpuCard(Vertical):
    """One GPU: name and figures, and graphs of utilization, memory and power."""

    def __init__(self, index: int) -> None:
        super().__init__(classes="gpu-card", id=f"gpu-card-{index}")
        self.index = index

    def compose(self) -> ComposeResult:
        yield Static("", classes="gpu-card-title")
        yield Static("", classes="gpu-card-errors")
        i = self.index
        yield GraphRow(f"gpu{i}.util", 100, id=f"gpu{i}-util")
        yield GraphRow(f"gpu{i}.memory", 100, id=f"gpu{i}-memory")
        yield GraphRow(f"gpu{i}.power", None, id=f"gpu{i}-power")

    def show(self, g: GpuSample, histories: Histories) -> None:
        title = Text.assemble(
            (f"GPU {g.index}  {g.name or fmt.NA}", "bold"),
            f"  {g.uuid or fmt.NA}\n",
            f"temp {fmt.num(g.temperature_c, unit=' C')}  SM {fmt.num(g.sm_clock_mhz, unit=' MHz')}"
            f"  mem-util {fmt.num(g.util_memory, unit=' %')}  energy {fmt.energy(g.energy_j)}",
        )
        self.query_one(".gpu-card-title", Static).update(title)
        errors = self.query_one(".gpu-card-errors", Static)
        errors.update(Text("\n".join(f"NVML error: {e}" for e in g.errors), style="red"))
        errors.display = bool(g.errors)
        i = self.index
        mem = f"{fmt.size(g.memory_used)} / {fmt.size(g.memory_total)}"
        power = f"{fmt.num(g.power_w)} / {fmt.num(g.power_limit_w)} W"
        self.query_one(f"#gpu{i}-util", GraphRow).show(
            f"util {fmt.num(g.util_gpu, unit=' %')}", histories
        )
        self.query_one(f"#gpu{i}-memory", GraphRow).show(f"memory {mem}", histories)
        self.query_one(f"#gpu{i}-power", GraphRow).show(f"power {power}", histories)


class GpuPane(ReportsWorkerFailures, VerticalScroll):
    """GPU, host and server metrics, live."""

    HELP = """\
**GPU**: each GPU's use, memory and power from NVML (with a history), the launched server's own
process, and the server's metrics per model (from its metrics endpoint). Nothing to act on here:
the keys of the model picked in the Repository pane still work.
"""

    nvml_module: ClassVar[ModuleType | None] = None  # a pynvml stand-in (tests without a GPU)

    def __init__(self, interval: float | None = None) -> None:
        super().__init__(id="gpu-pane")
        self.interval = configured_interval() if interval is None else check_interval(interval)
        self.sampler: Sampler | None = None
        self.latest: Snapshot | None = None
        self._busy = False
        self._timer: Timer | None = None
        self._proc_rows: list[tuple[str, ...]] = []

    def watch_has_focus(self, _has_focus: bool) -> None:
        """Restyle the pane alone when it gains or loses the focus: Textual restyles a focused
        node's whole subtree (here 26 widgets, 20 ms of each switch to or from this pane), but no
        rule styles what is inside by the pane's focus (tests/test_gpu_pane.py checks it)."""
        self.app.stylesheet.update_nodes([self], animate=True)

    def compose(self) -> ComposeResult:
        yield Static("", id="gpu-nvml")
        yield Vertical(id="gpu-cards")
        yield Static("Host", classes="gpu-section")
        yield GraphRow("host.cpu", 100, id="host-cpu")
        yield GraphRow("host.memory", 100, id="host-memory")
        with Vertical(id="gpu-server"):
            yield Static("", classes="gpu-section", id="gpu-server-title")
            yield GraphRow("server.cpu", None, id="server-cpu")
            yield GraphRow("server.rss", None, id="server-rss")
            yield GraphRow("server.threads", None, id="server-threads")
        yield Static("", classes="gpu-section", id="gpu-metrics-title")
        yield Static("", id="gpu-metrics-gpus")
        models: DataTable[str] = DataTable(id="gpu-models", cursor_type="none", zebra_stripes=True)
        for label in fmt.MODEL_HEADER:
            models.add_column(label, key=label)
        yield models
        yield Static("GPU processes", classes="gpu-section", id="gpu-procs-title")
        procs: DataTable[str] = VimDataTable(id="gpu-procs", cursor_type="row")
        for label in ("GPU", "PID", "NAME", "GPU MEMORY", "ROLE"):
            procs.add_column(label, key=label)
        yield procs

    def on_mount(self) -> None:
        self.query_one("#gpu-nvml", Static).update("Sampling …")
        self.query_one("#gpu-server").display = self.app_session_pid() is not None
        for wid in ("#gpu-procs-title", "#gpu-procs", "#gpu-metrics-gpus"):
            self.query_one(wid).display = False
        self._timer = self.set_interval(self.interval, self._tick, name="gpu-sample")
        self._tick()

    def app_session_pid(self) -> int | None:
        return console(self).session.server_pid

    def _metrics_url(self) -> str | None:
        app = console(self)
        return app.session.metrics_url if app.server_state == "ready" else None

    def on_show(self) -> None:
        if self.latest is not None:
            self._draw(self.latest)

    def on_unmount(self) -> None:
        if self._timer:
            self._timer.stop()
        if self.sampler:
            self.sampler.close()

    def _tick(self) -> None:
        if not self._busy:  # a slow endpoint: skip this tick rather than queue threads
            self._busy = True
            self._sample(self._metrics_url())

    @work(thread=True, group="gpu-sample")
    def _sample(self, metrics_url: str | None) -> None:
        try:
            if self.sampler is None:  # nvmlInit can take a moment: not on the event loop
                self.sampler = Sampler(
                    server_pid=self.app_session_pid(),
                    interval=self.interval,
                    nvml_module=self.nvml_module,
                )
            if metrics_url:
                self.sampler.enable_metrics(metrics_url)
            self.sampler.follow_server(self.app_session_pid())  # a restarted server: new pid
            self.post_message(SnapshotTaken(self.sampler.sample()))
        except Exception as exc:  # noqa: BLE001 - a sampler bug is shown, the console lives on
            self.post_message(SamplerFailed(f"{type(exc).__name__}: {exc}"))
        finally:
            self._busy = False

    def on_sampler_failed(self, message: SamplerFailed) -> None:
        self.query_one("#gpu-nvml", Static).update(Text(f"sampling failed: {message.error}", "red"))

    def on_snapshot_taken(self, message: SnapshotTaken) -> None:
        self.latest = message.snapshot
        if self.is_on_screen:  # hidden tab: keep the history, skip the drawing
            self._draw(message.snapshot)

    # Rendering ----------------------------------------------------------------------------
    def _draw(self, snap: Snapshot) -> None:
        assert self.sampler is not None
        hist = self.sampler.histories
        self._draw_nvml(snap, hist)
        h = snap.host
        self.query_one("#host-cpu", GraphRow).show(
            f"CPU {h.cpu_percent:.1f} % of {h.cpu_count} cores", hist
        )
        self.query_one("#host-memory", GraphRow).show(
            f"memory {fmt.size(h.memory_used)} / {fmt.size(h.memory_total)}", hist
        )
        self._draw_server(snap, hist)
        self._draw_metrics(snap)

    def _draw_nvml(self, snap: Snapshot, hist: Histories) -> None:
        nv = snap.nvml
        line = self.query_one("#gpu-nvml", Static)
        if not nv.available:
            line.update(Text(nv.message, style="yellow"))
        elif nv.error:
            line.update(Text(f"NVML error: {nv.error}", style="red"))
        else:
            line.update(f"NVML  driver {nv.driver_version or fmt.NA}  {len(nv.gpus)} GPU(s)")
        cards = self.query_one("#gpu-cards", Vertical)
        have = {card.index: card for card in cards.query(GpuCard)}
        for g in nv.gpus:
            if g.index not in have:
                have[g.index] = GpuCard(g.index)
                cards.mount(have[g.index])
                have[g.index].call_after_refresh(have[g.index].show, g, hist)
            elif have[g.index].is_mounted:
                have[g.index].show(g, hist)
        self._draw_processes(snap)

    def _draw_processes(self, snap: Snapshot) -> None:
        rows: list[tuple[str, ...]] = [
            (str(g.index), str(p.pid), p.name or "?", fmt.size(p.used_memory), role)
            for g in snap.nvml.gpus
            for p in g.processes or ()
            for role in [fmt.process_role(p.pid, snap)]
        ]
        table = self.query_one("#gpu-procs", DataTable)
        shown = snap.nvml.available and bool(snap.nvml.gpus)
        self.query_one("#gpu-procs-title").display = table.display = shown
        if not shown or rows == self._proc_rows:
            return
        self._proc_rows = rows
        table.clear()
        for row in rows:
            style = "bold green" if row[4] else ""
            table.add_row(*(Text(c, style=style) for c in row))

    def _draw_server(self, snap: Snapshot, hist: Histories) -> None:
        s = snap.server
        box = self.query_one("#gpu-server", Vertical)
        box.display = s is not None
        if s is None:
            return
        title = self.query_one("#gpu-server-title", Static)
        if not s.alive or s.error:
            title.update(Text(f"tritonserver pid {s.pid}: {s.error}", style="red"))
            return
        title.update(f"tritonserver pid {s.pid} (launched here, +{len(s.children)} children)")
        self.query_one("#server-cpu", GraphRow).show(
            f"CPU {fmt.num(s.cpu_percent, '{:.1f}', ' %')} of one core", hist
        )
        self.query_one("#server-rss", GraphRow).show(f"RSS {fmt.size(s.rss)}", hist)
        self.query_one("#server-threads", GraphRow).show(f"threads {fmt.num(s.threads)}", hist)

    def _draw_metrics(self, snap: Snapshot) -> None:
        title = self.query_one("#gpu-metrics-title", Static)
        gpus = self.query_one("#gpu-metrics-gpus", Static)
        table = self.query_one("#gpu-models", DataTable)
        m = snap.metrics
        if m is None:
            failed = console(self).server_state == "failed"
            title.update(
                "Server metrics: none (the server failed to start)"
                if failed
                else "Server metrics: waiting for the server"
            )
            gpus.display = table.display = False
            return
        if m.error:
            hint = ""
            if console(self).session.server is None and "cannot reach" in m.error:
                hint = " (pass --metrics-url HOST:PORT: the server's --metrics-port)"
            title.update(Text(f"Server metrics {m.url}: {m.error}{hint}", style="red"))
            gpus.display = table.display = False
            return
        title.update(f"Server metrics {m.url}  {fmt.server_metrics_line(m)}")
        gpus.display = bool(m.gpus)
        gpus.update("\n".join("GPU " + fmt.server_gpu_line(g) for g in m.gpus))
        table.display = bool(m.models)
        wanted = {f"{r.model}/{r.version}": fmt.model_row(r) for r in m.models}
        for row_key in [k for k in table.rows if k.value not in wanted]:
            table.remove_row(row_key)
        for key, row in wanted.items():
            if key in table.rows:
                for label, cell in zip(fmt.MODEL_HEADER, row, strict=True):
                    if table.get_cell(key, label) != cell:
                        table.update_cell(key, label, cell)
            else:
                table.add_row(*row, key=key)
