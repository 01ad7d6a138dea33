"""The deploy recipe after the import, owned once for the `deploy` command and the deploy screen:
load the imported model, verify it against onnxruntime, measure a short concurrency sweep and give
first advice. Each step is told as a past event (`Loaded`, `Verified`, `LevelMeasured`,
`Measured`); the command prints them, the screen renders them. The defaults of the verify and
measure steps live in `DeploySettings`.

The import itself (`deploy.plan_import`, `deploy.apply_import`) comes first and stays with each
front end: the command asks before writing, the screen shows the config for review and edits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.core.bench.engine import BenchConfig, BenchResult, run_sweep
from tui.core.bench.engine import LevelMeasured as BenchLevelMeasured
from tui.core.bench.ranges import Range, check_window, parse_range
from tui.core.bench.results import LevelResult
from tui.core.server.client import TritonError
from tui.core.server.session import Session
from tui.core.workflows import deploy
from tui.core.workflows.advice import Advice, advise
from tui.core.workflows.deploy import ImportResult, LoadResult
from tui.core.workflows.verify import VerifyReport, verify


@dataclass
class DeploySettings:
    """How the verify and measure steps run (the command's flags; the screen keeps these)."""

    concurrency_range: str = "1:4:1"
    measurement_interval: int = 1000  # ms per window: a first figure, not a benchmark
    stability_percentage: float = 25.0
    max_trials: int = 6
    atol: float = 1e-4  # an output element differs when it is over both
    rtol: float = 1e-3
    measure: bool = True

    def check(self) -> Range:
        """The measure step's levels, checked before anything is written or sent (RangeError in
        words naming the flag)."""
        levels = parse_range(self.concurrency_range)
        check_window(self.measurement_interval, f"-p {self.measurement_interval}: the window")
        return levels

    def bench_config(self, model: str, url: str, metrics_url: str | None) -> BenchConfig:
        return BenchConfig(
            model=model,
            url=url,
            metrics_url=metrics_url,
            concurrency=self.check(),
            window_ms=self.measurement_interval,
            stability_pct=self.stability_percentage,
            max_trials=self.max_trials,
        )

    def measure_words(self) -> str:
        """The measure step about to run, in words: "concurrency 1 to 4, 1 s windows"."""
        levels = self.check()
        span = f"{levels.start:g} to {levels.end:g}" if levels.end != levels.start else ""
        window = f"{self.measurement_interval / 1000:g} s windows"
        return f"concurrency {span or f'{levels.start:g}'}, {window}"


# Events, in the order they come ----------------------------------------------------------------
@dataclass(frozen=True)
class Loaded:
    result: LoadResult
    removed: str = ""  # a failed load: what became of the import (deploy.remove_failed's words)


@dataclass(frozen=True)
class Verified:
    report: VerifyReport | None  # None: skipped, a python skeleton has nothing to compare with


@dataclass(frozen=True)
class LevelMeasured:
    level: LevelResult


@dataclass(frozen=True)
class Measured:
    result: BenchResult
    advice: list[Advice] = field(default_factory=list)
    advice_error: str = ""  # the model's config could not be read for advice


DeployEvent = Loaded | Verified | LevelMeasured | Measured


@dataclass
class DeployOutcome:
    step: str  # the last step that ran: "load", "verify" or "measure"
    ok: bool  # it succeeded (measure: `measured_ok`, and advice could be given)
    measured: BenchResult | None = None


def run_deploy(
    imported: ImportResult,
    session: Session,
    settings: DeploySettings,
    on_event: Callable[[DeployEvent], None] = lambda _e: None,
    cancel: threading.Event | None = None,
) -> DeployOutcome:
    """Load, verify and measure an imported model on the session's server. A model that fails
    to load is taken out of the server and (unless it replaced one) the repository. TritonError
    when the server cannot be asked at all."""
    plan = imported.plan
    cancel = cancel or threading.Event()
    loaded = deploy.load(session.client, plan.name, session.errors)
    if not loaded.ok:
        removed = deploy.remove_failed(session.client, imported)
        on_event(Loaded(loaded, removed))
        return DeployOutcome("load", False)
    on_event(Loaded(loaded))
    if plan.kind != "onnx":
        on_event(Verified(None))
        return DeployOutcome("verify", True)
    report = verify(
        session.client.url,
        plan.name,
        plan.model_file,
        plan.config_text,
        atol=settings.atol,
        rtol=settings.rtol,
    )
    on_event(Verified(report))
    if not report.ok or not settings.measure or cancel.is_set():
        return DeployOutcome("verify", report.ok)
    config = settings.bench_config(plan.name, session.client.url, session.metrics_url)

    def progressed(event: object) -> None:
        if isinstance(event, BenchLevelMeasured):
            on_event(LevelMeasured(event.level))

    result = run_sweep(config, on_event=progressed, cancel=cancel)
    try:
        advice, error = advise(result, session.client.model_config(plan.name)), ""
    except TritonError as exc:
        advice, error = [], str(exc)
    on_event(Measured(result, advice, error))
    return DeployOutcome("measure", measured_ok(result) and not error, result)


def measured_ok(result: BenchResult) -> bool:
    """The measure step gave figures: a level or more, or only a wobble (the model is deployed
    and verified; "unstable" is a warning, not a failure)."""
    return result.status == "unstable" or (
        result.status in ("ok", "threshold") and bool(result.levels)
    )
