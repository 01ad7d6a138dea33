"""Tune pane (key 6): find the best config for a model, Model Analyzer's job in the console.

Pick the model (the app's selected model by default), the latency budget, objective, search mode
and the axes; Enter (in any field) or `s` starts, Esc cancels. A thread worker runs `run_tune`
(candidates are loaded as config overrides and the model restored after); each candidate lands in
the ranked table and the plot (throughput against p99, Pareto front, budget line) as it completes;
a quick tune ends by measuring its top configurations again, and the status says so.
The tune ends with its verdict: the pick measured alternately with the current config, a winner
only when its gain clears the noise and the min-gain margin (the `gain%` field). The selected
row's reason shows below; `a` applies the winner (only a config better beyond noise is offered):
the diff first, then the config store saves it, the model is reloaded, verified and measured, and
a failure puts the old file back. `r` writes the tune's HTML report into the cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Select, Static

from tui.core.doctor.from_runs import from_tune_level, top_line
from tui.core.server.client import TritonError
from tui.core.tune import apply, html_report, report
from tui.core.tune.compare import MIN_MARGIN_PCT
from tui.core.tune.form import TuneForm
from tui.core.tune.form import span as _span
from tui.core.tune.measure import STABILITY_PCT, WINDOW_MS, MeasureSettings, has_gpu
from tui.core.tune.record import CandidateResult, TuneRecord, pending_applies, report_dir
from tui.core.tune.restore import StillOverridden, recover, recover_first
from tui.core.tune.space import CONCURRENCY, INSTANCE_COUNTS, MAX_BATCH, SpaceError
from tui.core.tune.tuner import (
    CandidateMeasured,
    CandidateStarted,
    FinalRoundMeasured,
    FinalStarted,
    RemeasureStarted,
    TuneEvent,
    TuneFinished,
    TuneRun,
    run_tune,
)
from tui.panes.config_dialogs import confirm
from tui.state import NO_READY_MODEL, ReadyModelsListed, console, list_ready_models
from tui.widgets.status import StatusLine
from tui.widgets.tune_results import CandidateHighlighted, TuneResults


@dataclass
class TuneProgressed(Message):
    event: TuneEvent


@dataclass
class TuneReported(Message):
    path: str


@dataclass
class TuneApplied(Message):
    ok: bool
    text: str


class TunePane(Vertical):
    BINDINGS = [
        # Short words: at 80 columns the footer keeps Quit, Help and the palette in view.
        Binding("s", "start", "Start", id="tune-start"),
        Binding("escape", "cancel", "Cancel", id="tune-cancel"),
        Binding("a", "apply", "Apply", id="tune-apply"),
        Binding("r", "report", "Report", id="tune-report"),
    ]
    home = "#tune-table"  # where the focus goes when a tune starts, or Esc leaves a field

    def __init__(self) -> None:
        super().__init__(id="tune-pane")
        self.record: TuneRecord | None = None
        self.running = False
        self._cancel = threading.Event()
        self._models: list[str] = []
        self._stability = STABILITY_PCT

    def compose(self) -> ComposeResult:
        with Horizontal(id="tune-form"):
            yield Label("model")
            yield Select[str]([], prompt="—", id="tune-model", compact=True)
            yield Label("p99≤ms")
            yield Input("", placeholder="none", id="tune-budget", type="number", compact=True)
            yield Select(
                [("throughput", "throughput"), ("latency", "latency")],
                value="throughput",
                allow_blank=False,
                id="tune-objective",
                compact=True,
            )
            yield Select(
                [("quick", "quick"), ("brute", "brute")],
                value="quick",
                allow_blank=False,
                id="tune-search",
                compact=True,
            )
            yield Button("Start", id="tune-start-button", variant="primary", compact=True)
        with Horizontal(id="tune-axes"):
            yield Label("instances")
            yield Input(_span(INSTANCE_COUNTS), id="tune-counts", compact=True)
            yield Label("max batch")
            yield Input(_span(MAX_BATCH), id="tune-batch", compact=True)
            yield Label("conc")
            yield Input(_span(CONCURRENCY), id="tune-concurrency", compact=True)
            yield Label("ms")
            yield Input(str(WINDOW_MS), id="tune-window", type="integer", compact=True)
            yield Label("stab%")
            stability = f"{STABILITY_PCT:g}"
            yield Input(stability, id="tune-stability", type="number", compact=True)
        with Horizontal(id="tune-margin"):
            yield Label("gain%")
            yield Input(f"{MIN_MARGIN_PCT:g}", id="tune-gain", type="number", compact=True)
            yield Label("a winner must beat the current config by this much, beyond noise")
        yield StatusLine("Pick a model, then Enter or s to start (Esc cancels).", id="tune-status")
        yield Static("", id="tune-caption")
        yield TuneResults(id="tune-results")
        yield Static("", id="tune-reason")
        yield Static("", id="tune-doctor", classes="doctor-line")

    def on_mount(self) -> None:
        self.watch(self.app, "server_state", self._server_state_changed)
        self.watch(self.app, "selected_model", self._follow_selected_model, init=False)

    def on_unmount(self) -> None:
        self._cancel.set()  # a tune in progress restores the model and returns

    def _selected_model(self) -> str:
        return console(self).selected_model

    def _follow_selected_model(self) -> None:
        model = self._selected_model()
        if model in self._models and not self.running:
            self.query_one("#tune-model", Select).value = model

    @on(Select.Changed, "#tune-model")
    def _model_changed(self) -> None:
        self._caption()

    def _caption(self) -> None:
        """Whose results the table shows; said loudly when the selector names another model."""
        record, model = self.record, self.query_one("#tune-model", Select).value
        text = Text()
        if record is not None:
            state = "running" if self.running else record.status
            text.append(f"tune of {record.model}", "bold")
            text.append(f" · {record.mode} · {record.objective} · {state}")
            if isinstance(model, str) and model != record.model and not self.running:
                text.append(f"  (not {model}: s tunes it)", "bold yellow")
        self.query_one("#tune-caption", Static).update(text)

    def _server_state_changed(self, state: str) -> None:
        if state == "ready":
            self.list_models()
            self.recover_models()

    def on_show(self) -> None:
        if console(self).server_state == "ready" and not self.running:
            self.list_models()

    @work(thread=True, exclusive=True, group="tune-models")
    def list_models(self) -> None:
        list_ready_models(self)

    @work(thread=True, group="tune-recover")
    def recover_models(self) -> None:
        """A console killed mid-tune left an override live: put the disk config back. One killed
        while applying left a tuned config.pbtxt unverified: offer to put the old one back."""
        session = console(self).session
        for line in recover(session.client.url):
            self.app.call_from_thread(self.app.notify, line, title="Tune", timeout=10)
        for record in self._pending_applies():
            self.app.call_from_thread(self._offer_restore, record)

    def _pending_applies(self, model: str | None = None) -> list[TuneRecord]:
        """Writes of a tuned config into this session's repositories that a killed process left
        unchecked (of `model` only, when given)."""
        ours = {path.resolve() for path in console(self).session.repositories}
        found = []
        for record in pending_applies():
            assert record.applied is not None
            if Path(record.applied.repository).resolve() not in ours:
                continue
            if model in (None, record.model) and not apply.tuned_text_gone(record):
                found.append(record)
        return found

    def _offer_restore(self, record: TuneRecord) -> None:
        def answered(answer: str | None) -> None:
            if answer == "yes":
                self.undo_apply(record)
            elif answer == "no":
                self.app.notify(apply.keep_pending(record), title="Tune")

        question = (
            f"{apply.pending_words(record)}.\n\nPut the previous config back and reload "
            f"{record.model}, or keep the tuned config unverified?"
        )
        self.app.push_screen(
            confirm("A tuned config was never checked", question, "Restore", "Keep"),
            callback=answered,
        )

    @work(thread=True, group="tune-recover")
    def undo_apply(self, record: TuneRecord) -> None:
        text = apply.undo_pending(record, console(self).session.client.url)
        self.app.call_from_thread(self.app.notify, text, title="Tune", timeout=10)

    def on_ready_models_listed(self, message: ReadyModelsListed) -> None:
        if message.error:
            self._status(f"Cannot list models: {message.error}", "error")
            return
        select = self.query_one("#tune-model", Select)
        if message.models != self._models:
            self._models = message.models
            select.set_options((name, name) for name in message.models)
        wanted = self._selected_model()
        if wanted in message.models and not self.running:
            select.value = wanted
        elif not isinstance(select.value, str) and message.models:
            select.value = message.models[0]
        if not message.models and not self.running:
            self._status(NO_READY_MODEL, "warning")

    # Start / cancel ---------------------------------------------------------------------------
    def _status(self, text: str, severity: str = "") -> None:
        self.query_one("#tune-status", StatusLine).say(text, severity)

    @on(Input.Submitted)
    @on(Button.Pressed, "#tune-start-button")
    def action_start(self) -> None:
        if self.running:
            return
        model = self.query_one("#tune-model", Select).value
        if not isinstance(model, str):
            self._status("Pick a model first.", "error")
            return
        try:
            form = self._form(model)
        except ValueError as exc:
            self._status(f"Cannot start: {exc}", "error")
            return
        self.running = True
        self._cancel = threading.Event()
        self.record = None
        self.query_one(TuneResults).clear()
        self.query_one("#tune-start-button", Button).disabled = True
        self._status(f"Tuning {model}: reading its config …")
        self._caption()
        # The results take the focus: keys typed next (a, 1, Esc) act, not land in a field.
        self.query_one("#tune-table").focus()
        self.tune(form, self._cancel)

    def _form(self, model: str) -> TuneForm:
        names = ("budget", "window", "stability", "counts", "batch", "concurrency", "gain")
        return TuneForm.parse(
            model,
            mode=str(self.query_one("#tune-search", Select).value),
            objective=str(self.query_one("#tune-objective", Select).value),
            fields={name: self.query_one(f"#tune-{name}", Input).value for name in names},
        )

    def action_cancel(self) -> None:
        if self.running:
            self._cancel.set()
            self._status("Cancelling: restoring the model's on-disk config …", "warning")

    @work(thread=True, group="tune-run")
    def tune(self, form: TuneForm, cancel: threading.Event) -> None:
        session = console(self).session
        for pending in self._pending_applies(form.model):  # its config.pbtxt is unchecked
            self.app.call_from_thread(self._offer_restore, pending)
            text = f"Cannot start: first restore or keep the unchecked config of {form.model}"
            self.app.call_from_thread(self._finish_early, text)
            return
        try:
            for line in recover_first(session.client.url, form.model):  # before the base config
                self.app.call_from_thread(self.app.notify, line, title="Tune", timeout=10)
            config = session.client.model_config(form.model)
            options = form.options(config)
            record = options.new_record(session.client.url, config, has_gpu(session.metrics_url))
        except (TritonError, SpaceError, StillOverridden) as exc:
            self.app.call_from_thread(self._finish_early, f"Cannot start: {exc}")
            return
        self.record = record
        self.app.call_from_thread(self._caption)
        self._stability = form.stability
        settings = options.measure_settings()
        run = TuneRun(session.metrics_url, settings)

        def progressed(event: TuneEvent) -> None:
            self.post_message(TuneProgressed(event))

        run_tune(record, run, progressed, cancel)

    def _finish_early(self, text: str) -> None:
        self.running = False
        self.query_one("#tune-start-button", Button).disabled = False
        self._status(text, "error")

    def on_tune_progressed(self, message: TuneProgressed) -> None:
        event = message.event
        if isinstance(event, CandidateStarted):
            eta = (
                f", about {event.eta_s:.0f} s left"
                if event.eta_s is not None
                else f" (quick: at most {event.total})"
            )
            self._status(
                f"{event.index} of {event.total}: {event.candidate.words()} · "
                f"{event.elapsed_s:.0f} s elapsed{eta} · Esc cancels"
            )
        elif isinstance(event, RemeasureStarted):
            self._status(
                f"Re-measuring the top configurations, {event.index} of {event.total}: "
                f"{event.candidate.words()} at concurrency {event.concurrency} · Esc cancels"
            )
        elif isinstance(event, FinalStarted):
            self._status(
                f"Final comparison: {event.candidate.words()} against the current config, "
                f"alternately, {event.rounds} rounds at concurrency {event.concurrency} · "
                "Esc cancels"
            )
        elif isinstance(event, FinalRoundMeasured):
            r = event.round
            self._status(
                f"Final comparison, round {event.index} of {event.total}: current "
                f"{r.current:,.1f}, candidate {r.candidate:,.1f} · Esc cancels"
            )
        elif isinstance(event, CandidateMeasured):
            self._refresh_results()
        elif isinstance(event, TuneFinished):
            self._finished(event.record)

    def _finished(self, record: TuneRecord) -> None:
        self.running = False
        self._caption()
        self.query_one("#tune-start-button", Button).disabled = False
        self._refresh_results()
        text = f"{record.status}: " + report.summary(record)
        if record.message and record.status != "done":
            text = f"{record.status}: {record.message}. " + report.summary(record)
        for note in record.notes:
            text += f" Note: {note}"
        if record.chosen is not None:
            text += f" Record: {record.path}. a applies the winner, r writes a report."
        else:
            text += f" Record: {record.path}. Nothing to apply; r writes a report."
        self.query_one("#tune-doctor", Static).update(Text(doctor_line(record)))
        severity = {"done": "", "cancelled": "warning"}.get(record.status, "error")
        self._status(text, severity)

    # Results ----------------------------------------------------------------------------------
    def _refresh_results(self) -> None:
        if self.record is not None:
            self.query_one(TuneResults).show(self.record)

    def on_candidate_highlighted(self, message: CandidateHighlighted) -> None:
        reason = report.reason(message.record, message.result) if message.result else ""
        self.query_one("#tune-reason", Static).update(Text(reason))

    # Apply ------------------------------------------------------------------------------------
    def action_apply(self) -> None:
        """Apply the verdict's winner: nothing is offered unless a config beat the current one
        beyond noise."""
        record = self.record
        if self.running or record is None:
            return
        result = record.chosen
        if result is None or result.best is None:
            words = record.verdict.words if record.verdict else "the tune has no verdict"
            self._status(f"Nothing to apply: {words}.")
            return
        repos = console(self).session.repositories
        try:
            the_plan = apply.plan(repos, record.model, result.candidate, record.base_config)
        except (apply.ApplyError, OSError) as exc:
            self._status(f"Cannot apply: {exc}", "error")
            return

        def answered(answer: str | None) -> None:
            if answer == "yes":
                self._status(f"Applying {result.candidate.words()}: save, reload, verify …")
                self.apply_plan(the_plan, record, result)

        diff = the_plan.diff or "(no change)"
        self.app.push_screen(
            confirm(f"Apply to {the_plan.path}?", diff, "Apply"), callback=answered
        )

    @work(thread=True, group="tune-apply")
    def apply_plan(self, the_plan: apply.Plan, record: TuneRecord, result: CandidateResult) -> None:
        assert result.best is not None
        session = console(self).session
        done = apply.apply(
            the_plan,
            session.client.url,
            session.metrics_url,
            record.model,
            result.candidate,
            result.best.concurrency,
            MeasureSettings(window_ms=record.window_ms, stability_pct=self._stability),
            record=record,
        )
        text = done.message
        if done.level is not None and done.level.ok:
            text += (
                f"; measured {done.level.throughput:,.1f} infer/s, p99 {done.level.p99_ms:.2f} ms "
                f"(tuned {result.best.throughput:,.1f})"
            )
        self.post_message(TuneApplied(done.ok, text))

    def on_tune_applied(self, message: TuneApplied) -> None:
        self._status(
            ("Applied: " if message.ok else "Not applied: ") + message.text,
            "" if message.ok else "error",
        )

    # Report -----------------------------------------------------------------------------------
    def action_report(self) -> None:
        if self.running or self.record is None or not self.record.results:
            self._status("No finished tune to report yet.")
            return
        self.write_report(self.record)

    @work(thread=True, group="tune-report")
    def write_report(self, record: TuneRecord) -> None:
        folder = report_dir(record)
        path = html_report.write(record, folder)
        self.post_message(TuneReported(str(path)))

    def on_tune_reported(self, message: TuneReported) -> None:
        self._status(f"Report written: {message.path} (open it in a browser)")


def doctor_line(record: TuneRecord) -> str:
    """The doctor's top finding for the model's own config at its best measured level."""
    default = record.default
    if default is None or default.best is None:
        return ""
    return top_line(from_tune_level(record.model, record.base_config, default.best))
