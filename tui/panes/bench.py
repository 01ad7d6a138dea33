"""Benchmark pane (key 5): perf_analyzer-grade sweeps, plotted as each level completes.

Pick a model (its inputs come from the metadata; variable dims go in the shapes field), a
concurrency range, a window and a percentile; Start. A thread worker runs `run_sweep` (the load
itself comes from separate processes) and posts `SweepProgressed`; Esc cancels. Finished runs stay
for the session: one of them can be overlaid on the plot, and any can be exported as perf_analyzer
CSV or our JSON (cache dir, or a path typed in the export field).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from tui.core.bench import form as bench_form
from tui.core.bench.engine import (
    BenchConfig,
    BenchResult,
    Event,
    LevelMeasured,
    LevelResult,
    LevelStarted,
    SweepFinished,
    WindowMeasured,
    run_sweep,
)
from tui.core.bench.ranges import STABILITY_PCT, WINDOW_MS
from tui.core.doctor.from_runs import from_bench_level, top_line
from tui.core.server.client import TritonError
from tui.panes.bench_results import ExportFinished, ResultsPlot, ResultsTable, Run, RunsBar
from tui.state import (
    NO_READY_MODEL,
    ModelSelected,
    ModelStateChanged,
    ReadyModelsListed,
    console,
    list_ready_models,
)
from tui.widgets.status import StatusLine


@dataclass
class SweepProgressed(Message):
    event: Event


@dataclass
class DoctorLineFound(Message):
    """The doctor's one line on the last run."""

    text: str


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
    home = "#bench-table"  # where the focus goes when a run starts, or Esc leaves a field

    def __init__(self) -> None:
        super().__init__(id="bench-pane")
        self.runs: list[Run] = []
        self.current: Run | None = None
        self._cancel = threading.Event()
        self._progress: bench_form.SweepProgress | None = None
        self._models: list[str] = []
        self._described = ""  # the model whose inputs the form shows
        self._pending = ""  # a model to benchmark as soon as it is listed and described

    def compose(self) -> ComposeResult:
        with Horizontal(id="bench-form"):
            yield Label("model")
            yield Select[str]([], prompt="—", id="bench-model", compact=True)
            yield Label("conc")
            yield Input("1:4", placeholder="1:4", id="bench-range", compact=True)
            yield Label("ms")
            window = str(WINDOW_MS)
            yield Input(window, placeholder=window, id="bench-window", type="integer", compact=True)
            yield Label("pct")
            yield Input("", placeholder="avg", id="bench-percentile", type="integer", compact=True)
            yield Label("stab%")
            stab = f"{STABILITY_PCT:g}"
            yield Input(stab, placeholder=stab, id="bench-stability", type="number", compact=True)
            yield Button("Start", id="bench-start", variant="primary", disabled=True, compact=True)
        with Horizontal(id="bench-inputs-row"):
            yield Static("", id="bench-inputs")
            yield Input("", placeholder="shapes NAME:d1,d2 …", id="bench-shapes", compact=True)
        yield StatusLine("Waiting for the server…", id="bench-status")
        yield Static("", id="bench-caption")
        yield Static("", id="bench-doctor", classes="doctor-line")
        yield ResultsPlot("", id="bench-plot")
        yield ResultsTable(id="bench-table", zebra_stripes=True, cursor_type="row")
        yield RunsBar()

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
        list_ready_models(self)

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

    def on_ready_models_listed(self, message: ReadyModelsListed) -> None:
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
        self._redraw()  # the results shown are the picked model's, or none

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
        self.post_message(ModelDescribed(model, *bench_form.describe_inputs(meta, config)))

    def on_model_described(self, message: ModelDescribed) -> None:
        if message.model != self.query_one("#bench-model", Select).value:
            return  # another model was picked meanwhile
        text = message.error or message.summary
        self.query_one("#bench-inputs", Static).update(text)
        shapes = self.query_one("#bench-shapes", Input)
        shapes.value = message.shapes
        # Only a model with variable dims needs the field; without, its inputs get the line.
        shapes.display = bool(message.shapes)
        self._described = message.model
        if message.shapes:
            self._pending = ""
            self._status("Variable dims: replace each N in the shapes field.", "warning")
        elif self._pending == message.model:
            self._pending = ""
            self.action_start()

    # Start / cancel ---------------------------------------------------------------------------
    def _status(self, text: str, severity: str = "") -> None:
        self.query_one("#bench-status", StatusLine).say(text, severity)

    def _update_start(self) -> None:
        running = self.current is not None
        ready = console(self).server_state == "ready"
        model = self.query_one("#bench-model", Select).value
        button = self.query_one("#bench-start", Button)
        button.disabled = running or not ready or not isinstance(model, str)
        button.label = "Running…" if running else "Start"  # Esc cancels: said in the footer

    def build_config(self) -> BenchConfig:
        """The form as a BenchConfig; ValueError with a message for the status line."""
        model = self.query_one("#bench-model", Select).value
        if not isinstance(model, str):
            raise ValueError("pick a model first")
        fields = {f: self.query_one(f"#bench-{f}", Input).value for f in bench_form.FIELDS}
        session = console(self).session
        return bench_form.read_config(model, fields, session.client.url, session.metrics_url)

    @on(Button.Pressed, "#bench-start")
    @on(Input.Submitted, "#bench-form Input, #bench-shapes")
    def action_start(self) -> None:
        if self.current is not None or console(self).server_state != "ready":
            return
        try:
            config = self.build_config()
        except ValueError as exc:  # RangeError and InputError among them
            self._status(f"Cannot start: {exc}", "error")
            return
        run = Run(len(self.runs) + 1, config, started=datetime.now().strftime("%H:%M:%S"))
        self.current = run
        self._cancel = threading.Event()
        self._progress = bench_form.SweepProgress(run.label, config)
        self._status(self._progress.starting())
        self._update_start()
        self._redraw()
        # The results take the focus: keys typed next (6, Esc) act, not land in a field.
        self.query_one(ResultsTable).focus()
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
        run, progress, event = self.current, self._progress, message.event
        if run is None or progress is None:
            return
        if isinstance(event, LevelStarted):
            run.windows = []
            self._status(progress.level_started(event))
        elif isinstance(event, WindowMeasured):
            run.windows.append(event)
            self._status(progress.window_measured(event))
        elif isinstance(event, LevelMeasured):
            run.levels.append(event.level)
            progress.done = len(run.levels)
            self._redraw()
        elif isinstance(event, SweepFinished):
            self._finish(run, event.result)

    def _finish(self, run: Run, result: BenchResult) -> None:
        run.result = result
        self.runs.append(run)
        self.current = None
        self._status(*bench_form.outcome(run.label, len(run.levels), result, run.windows))
        self.query_one(RunsBar).show_runs(self.runs)
        self._update_start()
        self._redraw()
        if run.levels:
            self.doctor_line(run.config.model, run.levels[-1])

    @work(thread=True, exclusive=True, group="bench-doctor")
    def doctor_line(self, model: str, level: LevelResult) -> None:
        """The doctor's top finding for the run's busiest level (no new measurement)."""
        try:
            config = console(self).session.client.model_config(model)
        except TritonError as exc:
            self.post_message(DoctorLineFound(f"Doctor: cannot read {model}'s config: {exc}"))
            return
        self.post_message(DoctorLineFound(top_line(from_bench_level(model, config, level))))

    def on_doctor_line_found(self, message: DoctorLineFound) -> None:
        self.query_one("#bench-doctor", Static).update(Text(message.text))

    # Plot -----------------------------------------------------------------------------------
    def shown_run(self) -> Run | None:
        """The run whose figures the pane shows: the one under way, else the last run of the
        model picked (never another model's under its name)."""
        if self.current is not None:
            return self.current
        model = self.query_one("#bench-model", Select).value
        return next((r for r in reversed(self.runs) if r.model == model), None)

    def _redraw(self) -> None:
        shown = self.shown_run()
        number = self.query_one("#bench-overlay", Select).value
        overlay = next((r for r in self.runs if r.number == number and r is not shown), None)
        self.query_one(ResultsTable).show_run(shown)
        self.query_one(ResultsPlot).draw(shown, overlay)
        self.query_one("#bench-caption", Static).update(Text(self._caption(shown)))
        # The doctor's line is about the last run: out of sight under another model's figures.
        self.query_one("#bench-doctor").display = shown is not None and shown is (
            self.runs[-1] if self.runs else None
        )

    def _caption(self, shown: Run | None) -> str:
        if shown is not None:
            return shown.caption
        model = self.query_one("#bench-model", Select).value
        others = sorted({r.model for r in self.runs})
        if not isinstance(model, str) or not others:
            return ""
        return f"no run of {model} yet (runs of {', '.join(others)}: overlay list below)"

    @on(Select.Changed, "#bench-overlay")
    def _overlay_changed(self) -> None:
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    # Export -----------------------------------------------------------------------------------
    def export_last(self, kind: str) -> None:
        self.query_one(RunsBar).export(kind)

    def on_export_finished(self, message: ExportFinished) -> None:
        self._status(message.text, message.severity)
