"""Cold-start section of the Logs pane: the load timeline from the log, and the probe.

The table lists every load the log shows (start-up and later) with its duration, when the
instances finished initialising, and `nv_model_load_duration_secs` where the server exports it.
The probe (unload, timed load, first inference, N steady inferences) runs in a thread worker on
the model chosen below; it suggests a `model_warmup` snippet when the first request is slow.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Select, Static

from tui.core.logs.coldstart import LoadTimeline, format_seconds, load_durations
from tui.core.logs.probe import STEADY, ProbeResult, run_probe
from tui.core.server.client import TritonError, fetch_metrics
from tui.state import ModelSelected, console
from tui.widgets.keys import VimDataTable

SHOWN = 200  # most recent loads in the table


@dataclass
class ProbeFinished(Message):
    result: ProbeResult | None
    error: str = ""


@dataclass
class ProbeProgressed(Message):
    text: str


@dataclass
class ModelsListed(Message):
    models: list[str]
    metric_loads: dict[tuple[str, str], float]


class ColdStartView(Vertical):
    BINDINGS = [
        Binding("p", "app.probe_model", "Probe"),
        Binding("escape", "back", "Back to log"),
        Binding("y", "copy_snippet", "Copy warmup", show=False),
        Binding("r", "refresh_models", "Refresh", show=False),
    ]

    def __init__(self, timeline: LoadTimeline, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.timeline = timeline
        self._shown = (-1, "")
        self._metric_loads: dict[tuple[str, str], float] = {}
        self.result: ProbeResult | None = None
        self.probing = False
        self.models: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(
            "Loads seen in the server log (start-up and every later load). The probe unloads "
            "the model, loads it timed, then times the first and N steady inferences.",
            id="coldstart-help",
        )
        table: DataTable[str] = VimDataTable(id="coldstart-table", cursor_type="row")
        for label, key in (
            ("Model", "model"),
            ("Ver", "version"),
            ("State", "state"),
            ("Started", "started"),
            ("Load", "load"),
            ("Instances ready", "inst"),
            ("Slowest instance", "slowest"),
            ("Load metric", "metric"),
        ):
            table.add_column(label, key=key)
        yield table
        with Horizontal(id="coldstart-controls"):
            yield Select[str]([], prompt="model to probe", id="coldstart-model")
            yield Input(str(STEADY), placeholder="N", id="coldstart-n", type="integer")
            yield Button("Probe (p)", id="coldstart-run", variant="primary")
        with VerticalScroll(id="coldstart-result-box"):
            yield Static("", id="coldstart-result")

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh_table)
        self.watch(self.app, "server_state", self._server_state_changed)

    def _server_state_changed(self, state: str) -> None:
        if state == "ready":
            self.action_refresh_models()

    # Timeline table ------------------------------------------------------------------------
    def refresh_table(self, force: bool = False) -> None:
        if not force and self.region.area == 0:
            return  # hidden: nothing to repaint
        attempts = self.timeline.snapshot()
        key = (self.timeline.total, "".join(a.state for a in attempts[-SHOWN:]))
        if key == self._shown and not force:
            return
        self._shown = key
        table = self.query_one("#coldstart-table", DataTable)
        table.clear()
        for i, a in enumerate(attempts[-SHOWN:]):
            slow = max(
                (t for t in a.instances.values() if t.duration is not None),
                key=lambda t: t.duration or 0.0,
                default=None,
            )
            ready = (
                a.instances_ready - a.started
                if a.instances_ready is not None and a.started is not None
                else None
            )
            metric = self._metric_loads.get((a.model, a.version))
            table.add_row(
                a.model,
                a.version,
                a.state if not a.reason else f"FAILED: {a.reason.splitlines()[0][:60]}",
                time.strftime("%H:%M:%S", time.localtime(a.started)) if a.started else "–",
                format_seconds(a.duration),
                format_seconds(ready),
                f"{slow.name} {format_seconds(slow.duration)}" if slow else "–",
                format_seconds(metric),
                key=str(i),
            )

    # Models and metrics --------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="coldstart-models")
    def action_refresh_models(self) -> None:
        session = console(self).session
        try:
            models = sorted({m["name"] for m in session.client.repository_index() if "name" in m})
        except TritonError:
            models = []
        loads: dict[tuple[str, str], float] = {}
        if session.metrics_url:
            with contextlib.suppress(TritonError):
                loads = load_durations(fetch_metrics(session.metrics_url))
        self.post_message(ModelsListed(models, loads))

    def on_models_listed(self, message: ModelsListed) -> None:
        select = self.query_one("#coldstart-model", Select)
        current = select.value
        self.models = message.models
        select.set_options([(m, m) for m in message.models])
        wanted = console(self).selected_model
        for name in (current, wanted):
            if isinstance(name, str) and name in message.models:
                select.value = name
                break
        self._metric_loads = message.metric_loads
        self.refresh_table(force=True)

    # Probe ---------------------------------------------------------------------------------
    @on(Button.Pressed, "#coldstart-run")
    @on(Input.Submitted, "#coldstart-n")
    def _run_pressed(self) -> None:
        self.call_later(self.run_action, "app.probe_model")

    @on(Select.Changed, "#coldstart-model")
    def _model_picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.select.has_focus_within:  # the user's pick
            self.post_message(ModelSelected(event.value))

    def action_probe(self, model: str = "") -> None:
        select = self.query_one("#coldstart-model", Select)
        result_box = self.query_one("#coldstart-result", Static)
        if self.probing:
            self.app.notify("a probe is already running", severity="warning")
            return
        if not model:
            model = select.value if isinstance(select.value, str) else ""
        if not model:
            result_box.update("Choose a model to probe first (the list below, or key 1).")
            return
        if not console(self).may_change_server(f"probing {model}"):
            return
        try:
            n = int(self.query_one("#coldstart-n", Input).value or STEADY)
        except ValueError:
            n = 0
        if n < 1:
            result_box.update("N must be a whole number of at least 1.")
            return
        self.probing = True
        self.add_class("-result")
        result_box.update(f"probing {model} …")
        self.probe(model, n)

    def start_probe(self, model: str, n: int | None = None) -> None:
        """Run the probe on `model` (the same as choosing it and pressing p)."""
        if model in self.models:
            self.query_one("#coldstart-model", Select).value = model
        if n is not None:
            self.query_one("#coldstart-n", Input).value = str(n)
        self.action_probe(model)

    @work(thread=True, exclusive=True, group="coldstart-probe")
    def probe(self, model: str, n: int) -> None:
        session = console(self).session
        try:
            result = run_probe(
                session.client,
                model,
                n,
                timeline=self.timeline if session.lines is not None else None,
                metrics_url=session.metrics_url,
                progress=self._progressed,
            )
        except (TritonError, ValueError) as exc:
            reason = session.errors.reason(model) if session.errors else None
            detail = f"{exc}" + (f"\nserver log: {reason}" if reason else "")
            self.post_message(ProbeFinished(None, detail))
            return
        self.post_message(ProbeFinished(result))

    def _progressed(self, text: str) -> None:  # probe thread
        self.post_message(ProbeProgressed(text))

    def on_probe_progressed(self, message: ProbeProgressed) -> None:
        self.query_one("#coldstart-result", Static).update(f"probe: {message.text} …")

    def on_probe_finished(self, message: ProbeFinished) -> None:
        self.probing = False
        box = self.query_one("#coldstart-result", Static)
        if message.result is None:
            box.update(Text.assemble(("probe failed: ", "bold red"), message.error))
            return
        self.result = result = message.result
        box.update(render_result(result))
        # The result takes the room and the focus: at 80x24 its advice (model_warmup) lay below
        # the fold; focused, the arrows and page keys scroll it.
        self.add_class("-result")
        result_box = self.query_one("#coldstart-result-box")
        result_box.scroll_home(animate=False)
        result_box.focus()
        self.action_refresh_models()

    def action_back(self) -> None:
        """Esc: back to the log (the Logs pane switches)."""
        for node in self.ancestors:
            toggle = getattr(node, "action_toggle_coldstart", None)
            if toggle is not None:
                toggle()
                return

    def action_copy_snippet(self) -> None:
        if self.result is None or not self.result.snippet:
            self.app.notify("no warmup snippet: run a probe that suggests one first")
            return
        self.app.copy_to_clipboard(self.result.snippet)
        self.app.notify("model_warmup snippet copied to the clipboard")


def render_result(result: ProbeResult) -> Text:
    rows = result.rows()
    width = max(len(label) for label, _ in rows)
    text = Text.assemble(
        (f"cold start of {result.model}", "bold"), f" (version {result.version or '?'})\n"
    )
    for label, value in rows:
        text.append(f"  {label:<{width}}  {value:>10}\n")
    for note in result.notes:
        text.append("note: ", "yellow")
        text.append(note + "\n")
    if result.snippet:
        text.append("suggested config.pbtxt addition", "bold")
        text.append(" (y copies it):\n")
        text.append(result.snippet, "green")
    return text
