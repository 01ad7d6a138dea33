"""The doctor's screen (`w` on the selected model, palette "doctor MODEL"): why is this model not
faster? The findings ranked, the evidence behind the selected one with its config change; `t`
tries the change (the tuner's A/B trial, the model restored), `a` writes a tried change to
config.pbtxt as the tuner does. The work is the core's (tui.core.doctor).

On a server this console launched the evidence comes from a short probe (it has no traffic of
its own); on one it attached to, from watching the statistics under the server's own traffic
(nothing is sent). `p` probes, `r` watches again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from tui.core.doctor.examine import examine
from tui.core.doctor.findings import Finding, Report
from tui.core.doctor.gather import GatherError, Probe, Target
from tui.core.doctor.tryit import Tried, TryError, apply_tried, try_finding
from tui.core.server.client import TritonError
from tui.core.tune.compare import Cancelled, Round
from tui.core.tune.measure import MeasureSettings
from tui.core.tune.restore import StillOverridden
from tui.core.tune.trial import TrialError
from tui.state import ModelStateChanged, console
from tui.widgets.footer import KeyFooter
from tui.workers import ReportsWorkerFailures, work

PASSIVE_S = 10.0


@dataclass
class EvidenceGathered(Message):
    report: Report | None
    error: str = ""


@dataclass
class TryProgressed(Message):
    index: int
    round: Round


@dataclass
class FindingTried(Message):
    tried: Tried | None
    error: str = ""


@dataclass
class ChangeApplied(Message):
    ok: bool
    text: str


class DoctorScreen(ReportsWorkerFailures, Screen[None]):
    HELP = """\
**Doctor**: what limits the model, from the server's statistics, its config and this machine.
↑/↓ pick a finding; `t` tries its change against the current config (interleaved rounds at the
same load, the model restored after), `a` writes a tried change to config.pbtxt (backup kept,
checked on the server), `p` probes with a short benchmark, `r` gathers again, Esc closes.
"""

    BINDINGS = [
        Binding("escape", "close", "Close", priority=True),
        Binding("t", "try", "Try it"),
        Binding("a", "apply", "Apply"),
        Binding("p", "gather(True)", "Probe"),
        Binding("r", "gather(False)", "Again"),
    ]

    # The probe's and the try's windows (tests shorten them).
    probe = Probe(window_ms=500)
    measure = MeasureSettings(window_ms=500)

    def __init__(self, model: str) -> None:
        super().__init__()
        self.model = model
        self.report: Report | None = None
        self.tried: dict[str, Tried] = {}
        self.busy = False
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        with Vertical(id="doctor"):
            yield Label(Text(f"Doctor: {self.model}"), id="doctor-title")
            yield Static("", id="doctor-status")
            yield OptionList(id="doctor-findings")
            with VerticalScroll(id="doctor-detail"):
                yield Static("", id="doctor-evidence")
        yield KeyFooter()

    def on_mount(self) -> None:
        app = console(self)
        self.action_gather(app.launched and not app.read_only)  # watching changes nothing

    def on_unmount(self) -> None:
        self._cancel.set()  # a try in progress stops between measurements and restores

    def _status(self, text: str) -> None:
        self.query_one("#doctor-status", Static).update(Text(text))

    # Evidence --------------------------------------------------------------------------------
    def action_gather(self, probe: bool) -> None:
        if self.busy:
            self.notify("the doctor is still at work", severity="warning")
            return
        if probe and not console(self).may_change_server(f"probing {self.model}"):
            return
        self.busy = True
        how = "probing with a short benchmark" if probe else f"watching for {PASSIVE_S:g} s"
        self._status(f"{how}…")
        self.gather(probe)

    @work(thread=True, group="doctor")
    def gather(self, probe: bool) -> None:
        session = console(self).session
        lines = session.lines
        target = Target(
            session.client.url,
            session.metrics_url,
            session.server_pid,
            (lambda: [line for _, line in lines.snapshot()]) if lines is not None else None,
        )
        try:
            report = examine(
                target,
                self.model,
                passive_s=0.0 if probe else PASSIVE_S,
                probe=self.probe if probe else None,
                cancel=self._cancel,
            )
        except GatherError as exc:
            self.post_message(EvidenceGathered(None, str(exc)))
            return
        self.post_message(EvidenceGathered(report))

    @on(EvidenceGathered)
    def _gathered(self, message: EvidenceGathered) -> None:
        self.busy = False
        if message.report is None:
            self._status(f"no evidence: {message.error}")
            return
        self.report, self.tried = message.report, {}
        ev = message.report.evidence
        self._status(
            f"{ev.mode}, {ev.window_s:.1f} s, {ev.stats.requests} requests: {ev.stats.words()}"
        )
        self._fill()

    def _fill(self) -> None:
        options = self.query_one("#doctor-findings", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        report = self.report
        if report is None:
            return
        if not report.findings:
            options.add_option(Option(Text("No finding: nothing here limits the model."), "none"))
        for n, f in enumerate(report.findings, 1):
            mark = " ✓ tried" if f.tried else (" · t tries it" if f.triable else "")
            options.add_option(Option(Text(f"{n}. {f.id}: {f.title}{mark}"), f.id))
        options.highlighted = highlighted if highlighted is not None else 0
        self._show(self.selected)
        options.focus()

    @property
    def selected(self) -> Finding | None:
        options = self.query_one("#doctor-findings", OptionList)
        if self.report is None or options.highlighted is None:
            return None
        option = options.get_option_at_index(options.highlighted)
        return self.report.find(str(option.id))

    @on(OptionList.OptionHighlighted, "#doctor-findings")
    def _highlighted(self) -> None:
        self._show(self.selected)

    def _show(self, finding: Finding | None) -> None:
        out = self.query_one("#doctor-evidence", Static)
        if finding is None:
            out.update(Text(self.report.summary() if self.report else ""))
            return
        text = Text()
        text.append(f"{finding.title}\n", style="bold")
        text.append(f"confidence {finding.confidence}\n\nevidence: {finding.evidence}\n")
        if finding.advice:
            text.append(f"advice: {finding.advice}\n")
        if finding.change:
            text.append(f"\nchange:\n{finding.change}\n")
        if finding.tried is not None:
            text.append(f"\ntried: {finding.tried.get('words', '')}\n", style="bold")
            if finding.id in self.tried and finding.tried.get("clears"):
                text.append("a writes it to config.pbtxt\n")
        elif finding.triable:
            text.append("\nt tries it (A/B at the same load, the model restored after)\n")
        out.update(text)

    # Try and apply ---------------------------------------------------------------------------
    def action_try(self) -> None:
        finding = self.selected
        if self.busy or finding is None:
            return
        if not finding.triable:
            self.notify(f"{finding.id}: its fix is not a config change to try", timeout=4)
            return
        if not console(self).may_change_server(f"trying {finding.id}"):
            return
        self.busy = True
        self._status(f"trying {finding.id}: loading each config in turn…")
        self.run_try(finding)

    @work(thread=True, group="doctor")
    def run_try(self, finding: Finding) -> None:
        session = console(self).session
        assert self.report is not None
        try:
            tried = try_finding(
                session.client.url,
                session.metrics_url,
                self.model,
                finding,
                concurrency=self.report.evidence.concurrency,
                measure=self.measure,
                cancel=self._cancel,
                on_round=self._round,
            )
        except Cancelled:
            return
        except (TrialError, TryError, StillOverridden, TritonError) as exc:
            self.post_message(FindingTried(None, str(exc)))
            return
        self.post_message(FindingTried(tried))

    def _round(self, index: int, done: Round) -> None:
        self.post_message(TryProgressed(index, done))

    @on(TryProgressed)
    def _progressed(self, message: TryProgressed) -> None:
        r = message.round
        self._status(
            f"round {message.index + 1}: current {r.current:,.1f}, changed {r.candidate:,.1f} "
            "infer/s"
        )

    @on(FindingTried)
    def _tried(self, message: FindingTried) -> None:
        self.busy = False
        self.post_message(ModelStateChanged(self.model, "restore"))
        if message.tried is None:
            self._status(f"the try failed: {message.error}")
            return
        self.tried[message.tried.finding_id] = message.tried
        self._status(f"{message.tried.finding_id}: {message.tried.comparison.words()}")
        self._fill()

    def action_apply(self) -> None:
        finding = self.selected
        if self.busy or finding is None:
            return
        tried = self.tried.get(finding.id)
        if tried is None:
            self.notify("try it first (t): only a measured change is written", timeout=4)
            return
        if not tried.comparison.clears():
            self.notify(f"not written: {tried.comparison.words()}", severity="warning")
            return
        if not console(self).may_change_server(f"writing {finding.id}"):
            return
        self.busy = True
        self._status("writing config.pbtxt and checking it on the server…")
        self.run_apply(tried, finding)

    @work(thread=True, group="doctor")
    def run_apply(self, tried: Tried, finding: Finding) -> None:
        session = console(self).session
        try:
            done = apply_tried(
                tried,
                finding,
                session.repositories,
                session.client.url,
                session.metrics_url,
                self.measure,
            )
        except TryError as exc:
            self.post_message(ChangeApplied(False, str(exc)))
            return
        self.post_message(ChangeApplied(done.ok, done.message))

    @on(ChangeApplied)
    def _applied(self, message: ChangeApplied) -> None:
        self.busy = False
        self._status(("written: " if message.ok else "not written: ") + message.text)
        self.post_message(
            ModelStateChanged(self.model, "apply", "" if message.ok else message.text)
        )

    def action_close(self) -> None:
        self.dismiss(None)
