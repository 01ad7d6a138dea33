"""Try one config change on a live server: the current config and the changed one, each loaded
through the load API's config override, measured at the same concurrency in interleaved rounds
(compare.py), and the model put back on its on-disk config at the end, whatever happened.

The tuner's final round and the doctor's "try it" both go through `run_trial`. A composing model
of an ensemble can be tried through the ensemble (`TrialSettings.measure_model`): the composing
model is loaded, the ensemble measured end to end. A caller that must
survive being killed mid-trial (the model left on an override) journals it with `on_override`:
called with True before the first override is loaded and with False once the model is restored.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.core.server.client import TritonError, TritonHTTP
from tui.core.tune.compare import MIN_ROUNDS, Comparison, Round, interleave
from tui.core.tune.measure import Level, MeasureSettings, measure_level, measure_together
from tui.core.tune.restore import restore, wait_until
from tui.core.util.sanitize import clean


class TrialError(Exception):
    """A side of the trial could not be loaded or measured (the message says why)."""


@dataclass
class TrialSettings:
    concurrency: int
    rounds: int = MIN_ROUNDS
    objective: str = "throughput"  # or "p99": lower is better
    measure: MeasureSettings = field(default_factory=MeasureSettings)
    load_timeout_s: float = 600.0
    measure_model: str = ""  # measure this model (an ensemble of `model`) instead of `model`
    together: list[str] = field(default_factory=list)  # driven at the same time (weighted sum)
    weights: list[float] = field(default_factory=list)  # for [model, *together]


def figure(level: Level, objective: str) -> float:
    """The number a trial compares: throughput (infer/s) or p99 latency (ms)."""
    return level.p99_ms if objective == "p99" else level.throughput


def run_trial(
    url: str,
    metrics_url: str | None,
    model: str,
    current: dict[str, Any],
    candidate: dict[str, Any],
    settings: TrialSettings,
    *,
    cancel: threading.Event | None = None,
    on_round: Callable[[int, Round], None] | None = None,
    on_override: Callable[[bool], None] | None = None,
) -> Comparison:
    """Compare `candidate` with `current` (both full configs) on `model`; raises TrialError when a
    side cannot be loaded or measured, compare.Cancelled when cancelled. The model is restored to
    its on-disk config before this returns or raises."""
    client = TritonHTTP(url, timeout=10.0)
    stop = cancel or threading.Event()

    def measure(config: dict[str, Any], side: str) -> float:
        try:
            client.load(model, json.dumps(config), timeout=settings.load_timeout_s)
        except TritonError as exc:
            raise TrialError(f"the {side} config did not load: {clean(str(exc))}") from exc
        target = settings.measure_model or model
        if not wait_until(lambda: client.model_ready(model) and client.model_ready(target), 60.0):
            raise TrialError(f"the {side} config loaded but the model is not ready")
        if settings.together:
            models = [target, *settings.together]
            weights = settings.weights or [1.0] * len(models)
            level = measure_together(
                url, metrics_url, models, weights, settings.concurrency, settings.measure, stop
            )
        else:
            level = measure_level(
                url, metrics_url, target, settings.concurrency, settings.measure, stop
            )
        value = figure(level, settings.objective)
        if value <= 0:
            raise TrialError(f"the {side} config gave no figure: {level.error or 'no responses'}")
        return value

    if on_override is not None:
        on_override(True)
    try:
        return interleave(
            lambda: measure(current, "current"),
            lambda: measure(candidate, "changed"),
            settings.rounds,
            higher_is_better=settings.objective != "p99",
            cancel=stop,
            on_round=on_round,
        )
    finally:
        restore(client, model, timeout=settings.load_timeout_s)
        if on_override is not None:
            on_override(False)
