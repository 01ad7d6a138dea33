"""Trying a finding's change: the tuner's interleaved A/B trial (tune/trial.py) of the model's
config against the changed one at the same load, the model restored at the end; and applying a
tried change to config.pbtxt through the tuner's apply path (tune/apply.py).

A try is journaled like a tune: a TuneRecord (mode "doctor") in the doctor's folder of the cache
has `restore_pending` set while an override may be live, so a console or command killed mid-try
leaves a record the next doctor run (`recover_first`) uses to put the model back.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.core.doctor import recipe as recipes
from tui.core.doctor.evidence import ConfigFacts
from tui.core.doctor.findings import Finding
from tui.core.doctor.gather import probe_concurrency
from tui.core.server.client import TritonHTTP
from tui.core.tune import apply
from tui.core.tune.compare import Comparison, Round
from tui.core.tune.measure import MeasureSettings
from tui.core.tune.record import TuneRecord
from tui.core.tune.restore import recover, recover_first
from tui.core.tune.space import SearchSpace
from tui.core.tune.trial import TrialSettings, run_trial
from tui.core.util.paths import cache_dir


class TryError(Exception):
    """The finding has nothing to try, or its change cannot be applied (says why)."""


def doctor_dir() -> Path:
    path = cache_dir() / "doctor"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Tried:
    finding_id: str
    comparison: Comparison
    concurrency: int
    record: TuneRecord  # the journal (and the base config the change was made on)

    def summary(self) -> dict[str, Any]:
        return {
            **self.comparison.to_dict(),
            "words": self.comparison.words(),
            "clears": self.comparison.clears(),
            "concurrency": self.concurrency,
        }


def recover_tries(url: str, model: str, folder: Path | None = None) -> list[str]:
    """Put back models that a killed try (or tune) left on an override; what was done."""
    done = recover(url)  # the tuner's records
    return done + recover_first(url, model, folder or doctor_dir())


def new_journal(
    model: str, url: str, config: dict[str, Any], candidate: dict[str, Any]
) -> TuneRecord:
    facts = ConfigFacts.of(candidate)
    space = SearchSpace(
        kinds=[facts.kind],
        counts=[facts.instances],
        batch_sizes=[facts.max_batch_size],
        dynamic=[facts.dynamic_batching],
    )
    return TuneRecord(
        model=model, url=url, space=space, mode="doctor", base_config=config, owner_pid=os.getpid()
    )


def try_finding(
    url: str,
    metrics_url: str | None,
    model: str,
    finding: Finding,
    *,
    concurrency: int = 0,
    measure: MeasureSettings | None = None,
    rounds: int = 3,
    folder: Path | None = None,
    cancel: threading.Event | None = None,
    on_round: Callable[[int, Round], None] | None = None,
) -> Tried:
    """Measure `finding`'s change against the model's config; sets `finding.tried`. Raises
    TryError, tune.trial.TrialError, compare.Cancelled, restore.StillOverridden, TritonError."""
    if finding.recipe is None:
        raise TryError(f"{finding.id} has no config change to try")
    folder = folder or doctor_dir()
    recover_tries(url, model, folder)
    current = TritonHTTP(url, timeout=10.0).model_config(model)
    candidate = recipes.changed(current, finding.recipe)
    concurrency = concurrency or probe_concurrency(ConfigFacts.of(current))
    record = new_journal(model, url, current, candidate)
    record.save(folder)

    def journal(live: bool) -> None:
        record.restore_pending = live
        record.save()

    settings = TrialSettings(concurrency, rounds, "throughput", measure or MeasureSettings())
    try:
        comparison = run_trial(
            url,
            metrics_url,
            model,
            current,
            candidate,
            settings,
            cancel=cancel,
            on_round=on_round,
            on_override=journal,
        )
    except BaseException as exc:
        record.status, record.message = "error", str(exc)
        record.save()
        raise
    record.status, record.message = "done", comparison.words()
    record.notes.append(f"{finding.id}: {recipes.snippet(current, finding.recipe)}")
    record.save()
    tried = Tried(finding.id, comparison, concurrency, record)
    finding.tried = tried.summary()
    return tried


def apply_tried(
    tried: Tried,
    finding: Finding,
    repositories: list[Path],
    url: str,
    metrics_url: str | None,
    measure: MeasureSettings | None = None,
) -> apply.Applied:
    """Write a tried change to config.pbtxt the way the tuner writes its winner (backup, atomic
    save, reload, check, measure; the old file back on failure), journaled in the try's record."""
    assert finding.recipe is not None
    base = tried.record.base_config
    candidate = recipes.candidate(base, finding.recipe)
    if candidate is None:
        raise TryError(
            f"{finding.id}'s change is not one the tuner writes: add the snippet in the config "
            "pane (e) instead"
        )
    try:
        plan = apply.plan(repositories, tried.record.model, candidate, base)
    except apply.ApplyError as exc:
        raise TryError(str(exc)) from exc
    return apply.apply(
        plan,
        url,
        metrics_url,
        tried.record.model,
        candidate,
        tried.concurrency,
        measure or MeasureSettings(),
        record=tried.record,
    )
