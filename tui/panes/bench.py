"""Benchmark pane (key 5): perf_analyzer-grade sweeps, plotted as each level completes.

Pick a model (its inputs come from the metadata; variable dims go in the shapes field), a
concurrency range, a window and a percentile; Start. A thread worker runs `run_sweep` (the load
itself comes from separate processes) and posts `SweepProgressed`; Esc cancels. Finished runs stay
for the session: one of them can be overlaid on the plot, and any can be exported as perf_analyzer
CSV or our JSON (cache dir, or a path typed in the export field).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from tui.core.bench import report
from tui.core.bench.engine import (
    BenchConfig,
    BenchResult,
    Event,
    LevelMeasured,
    LevelStarted,
    SweepFinished,
    WindowMeasured,
    run_sweep,
)
from tui.core.bench.inputs import InputError, parse_shapes
from tui.core.bench.ranges import RangeError, parse_range
from tui.core.bench.stats import STABILITY_WINDOW
from tui.core.client import TritonError
from tui.core.paths import cache_dir
from tui.panes.bench_results import ResultsPlot, ResultsTable, Run
from tui.state import NO_READY_MODEL, ModelSelected, ModelStateChanged, console


def clock(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) for an ETA."""
    minutes, secs = divmod(max(int(seconds + 0.5), 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@dataclass
class SweepProgressed(Message):
    event: Event


@dataclass
class ModelsListed(Message):
    models: list[str]
    error: str = ""


@dataclass
class ModelDescribed(Message):
    model: str
    summary: str
    shapes: str
    error: str = ""


class BenchPane(Vertical):
    HELP = """\
**Benchmark**: a perf_analyzer-style sweep of the model picked (the repository selection).
Set the concurrency range (`1:4` = 1, 2, 3, 4), the window and the stability, then Enter in any
field (or `b` anywhere) starts it; Esc cancels. Each level needs 3 stable windows at least.
"""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel run", id="bench-cancel"),
        Binding("ctrl+s", "start", "Start", id="bench-start"),
    ]

    def __init__(self) -> None:
        super().__init__(id="bench-pane")
        self.runs: list[Run] = []
        self.current: Run | None = None
        self._cancel = threading.Event()
        self._level_text = ""
        self._models: list[str] = []
        self._described = ""  # the model whose inputs the form shows
        self._pending = ""  # a model to benchmark as soon as it is listed and described
        self._started = 0.0
        self._levels_total = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="bench-form"):
            yield Label("model")
            yield Select[str]([], prompt="—", id="bench-model", compact=True)
            yield Label("conc")
            yield Input("1:4", placeholder="1:4", id="bench-range", compact=True)
            yield Label("ms")
            yield Input("5000", placeholder="5000", id="bench-window", type="integer", compact=True)
            yield Label("pct")
            yield Input("", placeholder="avg", id="bench-percentile", type="integer", compact=True)
            yield Label("stab%")
            yield Input("10", placeholder="10", id="bench-stability", type="number", compact=True)
            yield Button("Start", id="bench-start", variant="primary", disabled=True, compact=True)
        with Horizontal(id="bench-inputs-row"):
            yield Static("", id="bench-inputs")
            yield Input("", placeholder="shapes NAME:d1,d2 …", id="bench-shapes", compact=True)
        yield Static("Waiting for the server…", id="bench-status")
        yield ResultsPlot("", id="bench-plot")
        yield ResultsTable(id="bench-table", zebra_stripes=True, cursor_type="row")
        with Horizontal(id="bench-actions"):
            yield Select[int]([], prompt="overlay: none", id="bench-overlay", compact=True)
            yield Input(
                "",
                placeholder=f"export to (default {cache_dir() / 'bench'})",
                id="bench-export-path",
                compact=True,
            )
            yield Button("CSV", id="bench-export-csv", disabled=True, compact=True)
            yield Button("JSON", id="bench-export-json", disabled=True, compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "server_state", self._server_state_changed)
        self.watch(self.app, "selected_model", self._follow_selection, init=False)

    def on_unmount(self) -> None:
        self._cancel.set()  # a run in progress stops its load generator and returns

    # Server and models ----------------------------------------------------------------------
    def _server_state_changed(self, state: str) -> None:
        self._update_start()
        if state == "ready":
            self.list_models()
        elif state == "failed":
            self._status("The server failed to start: nothing to measure.", "error")

    @work(thread=True, exclusive=True, group="bench-models")
    def list_models(self) -> None:
        try:
            index = console(self).session.client.repository_index()
            models = sorted(m["name"] for m in index if m.get("state") == "READY")
            self.post_message(ModelsListed(models))
        except TritonError as exc:
            self.post_message(ModelsListed([], str(exc)))

    def on_show(self) -> None:
        if console(self).server_state == "ready" and self.current is None:
            self.list_models()  # models may have been loaded or unloaded meanwhile

    def on_model_state_changed(self, message: ModelStateChanged) -> None:
        if message.handed_down and console(self).server_state == "ready":
            if message.name == self._described:
                self._described = ""  # its inputs or batching may have changed
            self.list_models()

    def _follow_selection(self, name: str) -> None:
        select = self.query_one("#bench-model", Select)
        if self.current is None and name in self._models and select.value != name:
            select.value = name

    def on_models_listed(self, message: ModelsListed) -> None:
        select = self.query_one("#bench-model", Select)
        if message.error:
            self._status(f"Cannot list models: {message.error}", "error")
            return
        pending, self._pending = self._pending, ""
        if pending and pending not in message.models:
            self._status(f"{pending} is not READY on the server: load it first (l).", "warning")
        elif not message.models:  # said on every listing: "Waiting for the server" is stale
            self._status(NO_READY_MODEL, "warning")
        if message.models != self._models:
            previous = select.value
            self._models = message.models
            select.set_options((name, name) for name in message.models)
            if not message.models:
                return
            if self.current is None and not pending:
                self._status("Enter in any field (or b anywhere) starts; Esc cancels a run.")
            wanted = console(self).selected_model
            for name in (wanted, previous, message.models[0]):
                if name in message.models:
                    select.value = name
                    break
        if pending in message.models:
            self.start_for(pending)

    @on(Select.Changed, "#bench-model")
    def _model_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str):
            self._described = ""
            self.describe_model(event.value)
            if event.select.has_focus_within:  # the user picked it (not a list refresh)
                self.post_message(ModelSelected(event.value))
        self._update_start()

    def start_for(self, model: str) -> None:
        """Benchmark `model` with the settings in the form, as soon as its inputs are known."""
        if self.current is not None:
            self._status(f"{self.current.label} is running: Esc cancels it first.", "warning")
            return
        select = self.query_one("#bench-model", Select)
        if model not in self._models:
            self._pending = model
            self._status(f"looking for {model} on the server …")
            self.list_models()
            return
        if select.value != model:
            select.value = model  # describes it; the start follows (see on_model_described)
            self._pending = model
        elif self._described != model:
            self._pending = model
        else:
            self.action_start()

    @work(thread=True, exclusive=True, group="bench-describe")
    def describe_model(self, model: str) -> None:
        client = console(self).session.client
        try:
            meta, config = client.model_metadata(model), client.model_config(model)
        except TritonError as exc:
            self.post_message(ModelDescribed(model, "", "", str(exc)))
            return
        batching = int(config.get("max_batch_size", 0) or 0) > 0
        parts, shapes = [], []
        for t in meta.get("inputs", []):
            dims = [int(d) for d in t.get("shape", [])][1 if batching else 0 :]
            parts.append(f"{t['name']} {t['datatype']} {dims}")
            if any(d < 0 for d in dims):
                shapes.append(f"{t['name']}:" + ",".join("N" if d < 0 else str(d) for d in dims))
        batch = f"max batch {config.get('max_batch_size')}" if batching else "no batching"
        self.post_message(
            ModelDescribed(model, f"inputs: {'; '.join(parts)} ({batch})", " ".join(shapes))
        )

    def on_model_described(self, message: ModelDescribed) -> None:
        if message.model != self.query_one("#bench-model", Select).value:
            return  # another model was picked meanwhile
        text = message.error or message.summary
        self.query_one("#bench-inputs", Static).update(text)
        self.query_one("#bench-shapes", Input).value = message.shapes
        self._described = message.model
        if message.shapes:
            self._pending = ""
            self._status("Variable dims: replace each N in the shapes field.", "warning")
        elif self._pending == message.model:
            self._pending = ""
            self.action_start()

    # Start / cancel ---------------------------------------------------------------------------
    def _status(self, text: str, severity: str = "") -> None:
        status = self.query_one("#bench-status", Static)
        status.update(text)
        status.set_class(severity == "error", "-error")
        status.set_class(severity == "warning", "-warning")

    def _update_start(self) -> None:
        running = self.current is not None
        ready = console(self).server_state == "ready"
        model = self.query_one("#bench-model", Select).value
        button = self.query_one("#bench-start", Button)
        button.disabled = running or not ready or not isinstance(model, str)
        button.label = "Running… (Esc)" if running else "Start"

    def build_config(self) -> BenchConfig:
        """The form as a BenchConfig; ValueError with a message for the status line."""
        model = self.query_one("#bench-model", Select).value
        if not isinstance(model, str):
            raise ValueError("pick a model first")
        rng = parse_range(self.query_one("#bench-range", Input).value or "1")
        if rng.unbounded:
            raise ValueError("give an end to the concurrency range (e.g. 1:8)")
        window_text = self.query_one("#bench-window", Input).value.strip() or "5000"
        window = int(window_text)
        if window <= 0:
            raise ValueError("the window must be more than 0 ms")
        pct_text = self.query_one("#bench-percentile", Input).value.strip()
        percentile = int(pct_text) if pct_text else None
        if percentile is not None and not 0 < percentile < 100:
            raise ValueError("the percentile must be in 1..99 (or empty for the average)")
        stability = float(self.query_one("#bench-stability", Input).value.strip() or "10")
        if stability <= 0:
            raise ValueError("the stability percentage must be more than 0")
        shapes_text = self.query_one("#bench-shapes", Input).value.split()
        shapes = parse_shapes(shapes_text)
        session = console(self).session
        return BenchConfig(
            model=model,
            url=session.client.url,
            metrics_url=session.metrics_url,
            concurrency=rng,
            window_ms=window,
            percentile=percentile,
            stability_pct=stability,
            shapes=shapes,
            processes=0,  # automatic: more load generator processes while it is the limit
        )

    @on(Button.Pressed, "#bench-start")
    @on(Input.Submitted, "#bench-form Input, #bench-shapes")
    def action_start(self) -> None:
        if self.current is not None or console(self).server_state != "ready":
            return
        try:
            config = self.build_config()
        except (ValueError, RangeError, InputError) as exc:
            self._status(f"Cannot start: {exc}", "error")
            return
        run = Run(len(self.runs) + 1, config, started=datetime.now().strftime("%H:%M:%S"))
        self.current = run
        self._cancel = threading.Event()
        self.query_one(ResultsTable).clear()
        self._started = time.monotonic()
        self._levels_total = len(list(config.load_range.levels()))
        least = self._levels_total * STABILITY_WINDOW * config.window_ms / 1000
        most = self._levels_total * config.max_trials * config.window_ms / 1000
        self._status(
            f"{run.label}: starting {config.model} at {config.load_range}"
            f" · ETA {clock(least)} (up to {clock(most)} if unstable) …"
        )
        self._update_start()
        self._redraw()
        self.sweep(run, self._cancel)

    def action_cancel(self) -> None:
        if self.current is not None:
            self._cancel.set()
            self._status(f"{self.current.label}: cancelling …", "warning")

    @work(thread=True, group="bench-run")
    def sweep(self, run: Run, cancel: threading.Event) -> None:
        def progress(event: Event) -> None:
            self.post_message(SweepProgressed(event))

        run_sweep(run.config, progress, cancel)

    def on_sweep_progressed(self, message: SweepProgressed) -> None:
        run, event = self.current, message.event
        if run is None:
            return
        if isinstance(event, LevelStarted):
            total = str(event.total) if event.total else "∞"
            self._level_text = (
                f"{run.config.model} level {event.index + 1} of {total}"
                f" (concurrency {event.value:g})"
            )
            self._status(
                f"{run.label}: {self._level_text}, measuring … · ETA {clock(self.eta(run, 0))}"
            )
        elif isinstance(event, WindowMeasured):
            what = f"p{run.config.percentile}" if run.config.percentile else "avg"
            self._status(
                f"{run.label}: {self._level_text} · window {event.trial}"
                f" · {event.throughput:,.0f} infer/s · {what} {event.latency_us:,} µs"
                f" · ETA {clock(self.eta(run, event.trial))}"
            )
        elif isinstance(event, LevelMeasured):
            run.levels.append(event.level)
            self.query_one(ResultsTable).add_level(event.level)
            self._redraw()
        elif isinstance(event, SweepFinished):
            self._finish(run, event.result)

    def _finish(self, run: Run, result: BenchResult) -> None:
        run.result = result
        self.runs.append(run)
        self.current = None
        done = f"{run.label}: {len(run.levels)} level(s) measured"
        if result.warnings:
            done += " (" + "; ".join(result.warnings) + ")"
        if result.status == "ok":
            self._status(f"{done}. Done.")
        elif result.status == "cancelled":
            self._status(f"{done}; cancelled.", "warning")
        elif result.status in ("unstable", "threshold"):
            self._status(f"{done}; {result.message}", "warning")
        else:
            self._status(f"{done}; error: {result.message}", "error")
        overlay = self.query_one("#bench-overlay", Select)
        overlay.set_options((r.title, r.number) for r in reversed(self.runs))
        for button in self.query("#bench-export-csv, #bench-export-json").results(Button):
            button.disabled = False
        self._update_start()
        self._redraw()

    def eta(self, run: Run, trial: int) -> float:
        """Seconds left: the levels to come at the pace so far (3 windows each at first)."""
        window = run.config.window_ms / 1000
        done = len(run.levels)
        per_level = (time.monotonic() - self._started) / done if done else STABILITY_WINDOW * window
        this_level = max(STABILITY_WINDOW - trial, 0) * window
        return this_level + max(self._levels_total - done - 1, 0) * per_level

    # Plot -----------------------------------------------------------------------------------
    def _redraw(self) -> None:
        shown = self.current or (self.runs[-1] if self.runs else None)
        number = self.query_one("#bench-overlay", Select).value
        overlay = next((r for r in self.runs if r.number == number and r is not shown), None)
        self.query_one(ResultsPlot).draw(shown, overlay)

    @on(Select.Changed, "#bench-overlay")
    def _overlay_changed(self) -> None:
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    # Export -----------------------------------------------------------------------------------
    @on(Button.Pressed, "#bench-export-csv")
    def _export_csv(self) -> None:
        self._export("csv")

    @on(Button.Pressed, "#bench-export-json")
    def _export_json(self) -> None:
        self._export("json")

    def export_last(self, kind: str) -> None:
        self._export(kind)

    def _export(self, kind: str) -> None:
        run = self.runs[-1] if self.runs else None
        if run is None or run.result is None:
            self._status("No finished benchmark to export yet.", "warning")
            return
        typed = self.query_one("#bench-export-path", Input).value.strip()
        self.write_export(run, kind, Path(typed).expanduser() if typed else None)

    @work(thread=True, group="bench-export")
    def write_export(self, run: Run, kind: str, path: Path | None) -> None:
        assert run.result is not None
        try:
            if path is None:
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
                folder = cache_dir() / "bench"
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"{run.config.model}-{stamp}-{run.label.replace(' ', '')}.{kind}"
            if kind == "csv":
                report.write_csv(run.result, path)
            else:
                report.write_json(run.result, path)
        except OSError as exc:
            self.app.call_from_thread(self._status, f"Export failed: {exc}", "error")
            return
        self.app.call_from_thread(self._status, f"{run.label} exported to {path}")
