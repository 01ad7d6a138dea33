"""Deploy screen (`d` on the repository pane): import → load → verify → measure, step by step.

Every step's result stays on screen; a failing step stops the flow with its reason and the way to
fix it. Nothing is written before the generated config has been reviewed; cancelling while the
import runs removes what it created.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static, TextArea

from tui.core.bench import plot
from tui.core.bench.engine import BenchResult
from tui.core.server.client import TritonError
from tui.core.workflows import deploy
from tui.core.workflows.advice import Advice
from tui.core.workflows.deploy import DeployError, ImportPlan, ImportResult
from tui.core.workflows.deploy_flow import (
    DeployEvent,
    DeploySettings,
    LevelMeasured,
    Loaded,
    Measured,
    Verified,
    run_deploy,
)
from tui.core.workflows.verify import Mismatch
from tui.state import console
from tui.widgets.footer import KeyFooter
from tui.workers import ReportsWorkerFailures, work


@dataclass
class ImportPlanned(Message):
    plan: ImportPlan | None
    error: str = ""


@dataclass
class StepFinished(Message):
    step: str
    ok: bool
    text: str
    mismatches: list[Mismatch] | None = None
    retry: bool = False  # the import was removed: Write may be pressed again


@dataclass
class MeasureProgressed(Message):
    result: BenchResult | None
    advice: list[Advice] | None = None


class DeployScreen(ReportsWorkerFailures, Screen[str | None]):
    """Returns the deployed model's name (or None) when closed."""

    HELP = """\
**Deploy**: type the path of an .onnx file (and a name, or keep the file's), Enter previews the
config it gets. Review or edit it, then *Write and deploy*: import, load, verify against
onnxruntime, measure. f4 opens a config the server refused; Esc closes (and cancels).
"""

    # Fits 80×24: one line per field, the review box only as tall as the config.
    DEFAULT_CSS = """
    DeployScreen #deploy { height: 1fr; }
    DeployScreen #deploy-title { padding: 0 1; }
    DeployScreen #deploy-inputs { height: 1; }
    DeployScreen #deploy-path { width: 1fr; }
    DeployScreen #deploy-name { width: 26; margin-left: 1; }
    DeployScreen #deploy-preview { margin-left: 1; }
    DeployScreen #deploy-body { height: 1fr; }
    DeployScreen #deploy-steps { height: auto; padding: 0 1; }
    DeployScreen #deploy-config { height: auto; max-height: 14; }
    DeployScreen #deploy-actions { height: 1; margin: 1 0; }
    DeployScreen #deploy-actions Button { margin-right: 1; }
    DeployScreen #deploy-plot, DeployScreen #deploy-advice { height: auto; padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close / cancel", priority=True),
        Binding("f4", "edit_config", "Edit config", priority=True),
    ]

    def __init__(self, repository: Path, path: str = "") -> None:
        super().__init__()
        self.repository = repository
        self.initial_path = path
        self.plan: ImportPlan | None = None
        self.imported: ImportResult | None = None
        self.cancel = threading.Event()
        self.measured: BenchResult | None = None
        self.first_mismatch: Mismatch | None = None
        self.settings = DeploySettings()  # the verify and measure steps, as the command's defaults

    def compose(self) -> ComposeResult:
        with Vertical(id="deploy"):
            yield Label(f"Deploy a trained model into {self.repository}", id="deploy-title")
            with Horizontal(id="deploy-inputs"):
                yield Input(placeholder="path/to/model.onnx", id="deploy-path", compact=True)
                yield Input(placeholder="name (default: file's)", id="deploy-name", compact=True)
                yield Button("Preview", id="deploy-preview", variant="primary", compact=True)
            with VerticalScroll(id="deploy-body"):
                yield Static("", id="deploy-steps")
                yield TextArea("", id="deploy-config", show_line_numbers=True)
                with Horizontal(id="deploy-actions"):
                    yield Button(
                        "Write and deploy", id="deploy-write", variant="success", compact=True
                    )
                    yield Button("Edit config (f4)", id="deploy-edit", compact=True)
                    yield Button(
                        "Remove imported model", id="deploy-undo", variant="error", compact=True
                    )
                yield Static("", id="deploy-plot")
                yield Static("", id="deploy-advice")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#deploy-config").display = False
        self.query_one("#deploy-actions").display = False
        self.query_one("#deploy-undo").display = False
        self.query_one("#deploy-edit").display = False
        self.steps: list[tuple[str, bool, Text]] = []  # (step, still in progress, line)
        if self.initial_path:
            self.query_one("#deploy-path", Input).value = self.initial_path
            self.query_one("#deploy-name", Input).focus()
            self._preview()
        else:
            self.query_one("#deploy-path", Input).focus()

    # Step log ----------------------------------------------------------------------------
    def _log(self, step: str, text: str, style: str = "", pending: bool = False) -> None:
        """One line per step: a line saying the step is under way (`pending`) is replaced by
        the step's next line, its result (so Enter twice on the review shows it once)."""
        mark = {"green": "✔", "red": "✘"}.get(style, "•")
        line = Text.assemble((f"{mark} {step:<8}", f"bold {style}"), (text, style))
        if self.steps and self.steps[-1][0] == step and self.steps[-1][1]:
            self.steps.pop()
        self.steps.append((step, pending, line))
        self.query_one("#deploy-steps", Static).update(Text("\n").join(s[2] for s in self.steps))

    # 1. Import ---------------------------------------------------------------------------
    @on(Button.Pressed, "#deploy-preview")
    @on(Input.Submitted, "#deploy-path")
    @on(Input.Submitted, "#deploy-name")
    def _preview(self) -> None:
        if self.imported is not None:
            return
        path = self.query_one("#deploy-path", Input).value.strip()
        name = self.query_one("#deploy-name", Input).value.strip() or None
        if not path:
            self._log("import", "type the path of an .onnx file first", "red", pending=True)
            return
        self.make_plan(Path(path), name)

    @work(thread=True, exclusive=True, group="deploy-plan")
    def make_plan(self, path: Path, name: str | None) -> None:
        try:
            self.post_message(ImportPlanned(deploy.plan_import(path, self.repository, name)))
        except DeployError as exc:
            self.post_message(ImportPlanned(None, str(exc)))

    @on(ImportPlanned)
    def _planned(self, message: ImportPlanned) -> None:
        self.plan = message.plan
        if message.plan is None:  # nothing written: the next preview replaces this line
            self._log("import", message.error, "red", pending=True)
            return
        plan = message.plan
        exists = plan.model_dir.exists()
        note = " (a model with this name exists: writing replaces it)" if exists else ""
        self._log(
            "import",
            f"review (and edit) the config for {plan.name}: nothing is written yet{note}",
            pending=True,
        )
        area = self.query_one("#deploy-config", TextArea)
        area.load_text(plan.config_text)
        area.display = True
        self.query_one("#deploy-actions").display = True
        self.query_one("#deploy-write", Button).focus()

    @on(Button.Pressed, "#deploy-write")
    def _write(self) -> None:
        if self.plan is None or self.imported is not None:
            return
        self.plan.config_text = self.query_one("#deploy-config", TextArea).text
        self.query_one("#deploy-write", Button).disabled = True
        self._log("import", f"writing {self.plan.name} into {self.repository} …", pending=True)
        self.run_flow(self.plan, overwrite=self.plan.model_dir.exists())

    # 2-4. Load, verify, measure ----------------------------------------------------------
    @work(thread=True, exclusive=True, group="deploy-flow")
    def run_flow(self, plan: ImportPlan, overwrite: bool) -> None:
        session = console(self).session
        try:
            self.imported = deploy.apply_import(plan, overwrite=overwrite)
        except (DeployError, OSError) as exc:
            self.post_message(StepFinished("import", False, str(exc)))
            return
        if self.cancel.is_set():
            self.imported.undo()
            self.post_message(StepFinished("import", False, "cancelled: nothing was left behind"))
            return
        copied = "".join(f", {location}" for location in plan.external)
        self.post_message(
            StepFinished("import", True, f"{plan.source} → {plan.model_file}{copied}")
        )
        run_deploy(self.imported, session, self.settings, self._told, self.cancel)

    def _told(self, event: DeployEvent) -> None:
        """The recipe's events as this screen's messages (on the worker's thread)."""
        if isinstance(event, Loaded):
            if event.result.ok:
                self.post_message(StepFinished("load", True, event.result.message))
                return
            # out of the repository; the review box keeps the config to retry
            if self.imported is not None and not self.imported.created:
                self.imported = None
            text = f"{event.result.cause}. {event.removed}; fix it, then Write again"
            self.post_message(StepFinished("load", False, text, retry=True))
        elif isinstance(event, Verified) and event.report is not None:
            report = event.report
            lines = [
                f"{m.message}" + (f" (config.pbtxt line {m.line})" if m.line else "")
                for m in report.problems
            ]
            lines += [
                f"{o.name}: max abs {o.max_abs:.3g}, max rel {o.max_rel:.3g} "
                f"{'ok' if o.ok else 'MISMATCH'} {o.note}".rstrip()
                for o in report.outputs
            ]
            self.post_message(
                StepFinished("verify", report.ok, "\n           ".join(lines), report.problems)
            )
        elif isinstance(event, LevelMeasured):
            self.post_message(MeasureProgressed(None))
        elif isinstance(event, Measured):
            self.measured = event.result
            self.post_message(MeasureProgressed(event.result, event.advice))

    @on(StepFinished)
    def _step(self, message: StepFinished) -> None:
        self._log(message.step, message.text, "green" if message.ok else "red")
        if message.mismatches:
            self.first_mismatch = next((m for m in message.mismatches if m.line), None)
            if self.first_mismatch:
                self._log("fix", f"f4 opens config.pbtxt at line {self.first_mismatch.line}")
        if not message.ok and self.imported is not None:
            self.query_one("#deploy-undo").display = True
            self.query_one("#deploy-edit").display = True
        if message.retry and self.imported is None:
            self.query_one("#deploy-write", Button).disabled = False
        if message.step == "verify" and message.ok:
            self._log("measure", f"{self.settings.measure_words()} …", pending=True)

    @on(MeasureProgressed)
    def _measured(self, message: MeasureProgressed) -> None:
        result = message.result
        if result is None:
            return
        if result.levels:
            width = max(40, self.size.width - 4)
            ansi = plot.render(
                plot.PlotRun(self.plan.name if self.plan else "", result.levels),
                None,
                width=width,
                height=12,
                percentile=None,
                color="NO_COLOR" not in os.environ,
            )
            self.query_one("#deploy-plot", Static).update(Text.from_ansi(ansi))
            best = max(result.levels, key=lambda lv: lv.throughput)
            self._log(
                "measure",
                f"peak {best.throughput:.1f} infer/s at concurrency {best.value:g}",
                "green",
            )
        elif result.status == "unstable":
            self._log("measure", f"unstable, nothing to compare: {result.message}", "yellow")
        else:
            self._log("measure", f"no level measured: {result.message}", "red")
        if result.status == "unstable" and result.levels:
            self._log("measure", f"the last level was unstable: {result.message}", "yellow")
        text = Text()
        for advice in message.advice or []:
            text.append(f"\n{advice.title}\n", "bold yellow")
            text.append(f"{advice.reason}\n")
            text.append(advice.snippet, "cyan")
        if message.advice == []:
            text.append("\nNo bottleneck stands out at these concurrency levels.", "dim")
        self.query_one("#deploy-advice", Static).update(text)
        self.query_one("#deploy-body").scroll_end(animate=False)  # the advice, in view

    # Actions ------------------------------------------------------------------------------
    @on(Button.Pressed, "#deploy-undo")
    def _undo(self) -> None:
        if self.imported is None:
            return
        name = self.imported.plan.name
        session = console(self).session
        with contextlib.suppress(TritonError):
            session.client.unload(name)
        self.imported.undo()
        self.imported = None
        self.query_one("#deploy-undo").display = False
        self._log("import", f"removed {name} from the repository", "green")

    @on(Button.Pressed, "#deploy-edit")
    def action_edit_config(self) -> None:
        if self.plan is None or self.imported is None:
            return
        mismatch = self.first_mismatch
        jump = (mismatch.line, mismatch.col) if mismatch else (1, 1)
        app, name = console(self), self.plan.name
        self.dismiss(name)
        app.edit_config(name, *jump)

    def action_close(self) -> None:
        self.cancel.set()
        self.dismiss(self.imported.plan.name if self.imported else None)
