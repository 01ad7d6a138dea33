"""Run a tune: measure the model's own config, then candidates (every point, or a hill climb),
each loaded through the load API's config override, then the verdict (verdict.py: the pick,
measured alternately with the current config in a final round), and restore the model at the end.

`run_tune` blocks (call it on a worker thread) and never raises for server trouble. Restoring
(restore.py) runs in a `finally`, so a cancel or an error restores too. If the process is killed,
the record keeps `restore_pending`, and `recover` restores the model the next time: unless the
server we launched died with us, in which case it comes back with the disk config anyway.

Quick mode climbs from the model's own config: all neighbours of the current point (one step
along one axis: instance kind, count, dynamic batching/max batch size, queue delay) are measured,
the best becomes the new point if it beats it, and the climb stops when none does. Within a
candidate the concurrency sweep starts one step below the current best's best concurrency
(throughput objectives), and reaches down again when nothing there meets the constraints.

A climb's winner may owe its place to one lucky window, so the climb ends as Model Analyzer's quick
search does, with a second look at its top configurations (`REMEASURE_TOP`, Model Analyzer's
`num_configs_per_model`) and the default: each is loaded again and measured at its best
concurrency, and ranked on that figure (record.py). Where Model Analyzer sweeps concurrency for
them and reuses a measurement it already has, this measures again: the point is the noise. When
the re-measure changes the top, the newcomers are re-measured too, so the final top is all
measured twice.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from tui.core.server.client import TritonError, TritonHTTP
from tui.core.tune import verdict
from tui.core.tune.compare import MIN_ROUNDS, Cancelled, Round
from tui.core.tune.measure import Level, MeasureSettings, measure_level, measure_together
from tui.core.tune.record import CandidateResult, TuneRecord, objective_value
from tui.core.tune.restore import recover, restore, same_config, wait_until
from tui.core.tune.space import Candidate, describe_config, override
from tui.core.tune.trial import TrialError, TrialSettings, run_trial
from tui.core.util.sanitize import clean

REMEASURE_TOP = 3  # Model Analyzer's num_configs_per_model default
MAX_FINAL_ROUNDS = 6  # an inconclusive final comparison gets more rounds, up to this many
MIN_GAIN = 0.05  # Model Analyzer: stop a sweep when 4 tries gained under 5 %
GAIN_TRIES = 4


class TuneError(Exception):
    """The tune cannot go on (the message says why)."""


class _Cancelled(Exception):
    pass


# Events (the pane turns them into messages, the command into lines) ---------------------------
@dataclass
class CandidateStarted:
    index: int  # 1-based
    total: int  # every point of the space plus the default: exact for brute, a bound for quick
    candidate: Candidate
    elapsed_s: float
    eta_s: float | None  # brute: estimate; quick: None (the climb decides how far it goes)


@dataclass
class LevelMeasured:
    candidate: Candidate
    level: Level


@dataclass
class CandidateMeasured:
    index: int
    result: CandidateResult


@dataclass
class RemeasureStarted:
    index: int  # 1-based, of `total` in this round
    total: int
    candidate: Candidate
    concurrency: int


@dataclass
class FinalStarted:
    candidate: Candidate  # the pick, compared with the current config
    concurrency: int
    rounds: int


@dataclass
class FinalRoundMeasured:
    index: int  # 1-based
    total: int
    round: Round


@dataclass
class TuneFinished:
    record: TuneRecord


TuneEvent = (
    CandidateStarted
    | LevelMeasured
    | CandidateMeasured
    | RemeasureStarted
    | FinalStarted
    | FinalRoundMeasured
    | TuneFinished
)


@dataclass
class TuneRun:
    """How to reach the server and measure (what the record does not keep)."""

    metrics_url: str | None = None
    measure: MeasureSettings = field(default_factory=MeasureSettings)
    folder: Path | None = None  # where records live (default: the cache)
    load_timeout_s: float = 300.0


class Tuner:
    def __init__(
        self,
        record: TuneRecord,
        run: TuneRun,
        on_event: Callable[[TuneEvent], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.record = record
        if record.load == "request_rate" and not run.measure.request_rate:
            run = replace(run, measure=replace(run.measure, request_rate=True))
        self.run_settings = run
        self.emit = on_event or (lambda event: None)
        self.cancel = cancel or threading.Event()
        self.client = TritonHTTP(record.url, timeout=10.0)
        self.started = time.monotonic()
        self.measured_now = 0  # candidates measured in this session (for the ETA)

    # One candidate ---------------------------------------------------------------------------
    def _load(self, candidate: Candidate, result: CandidateResult) -> bool:
        rec = self.record
        if not rec.restore_pending:
            rec.restore_pending = True
            self.save()
        t0 = time.monotonic()
        try:
            self.client.load(
                rec.model,
                json.dumps(override(rec.base_config, candidate)),
                timeout=self.run_settings.load_timeout_s,
            )
        except TritonError as exc:
            text = clean(str(exc))
            if "polling" in text or "explicit" in text.lower():
                raise TuneError(
                    "the server does not accept model loads: start it with "
                    "--model-control-mode=explicit (triton-tui's own server does)"
                ) from exc
            result.status, result.reason = "load_failed", text
            return False
        result.load_s = time.monotonic() - t0
        if not wait_until(self._ready, 60.0):
            result.status, result.reason = "load_failed", "not ready after loading"
            return False
        return True

    def _ready(self) -> bool:
        """The tuned model and, when tuned through an ensemble, the ensemble."""
        rec = self.record
        ready = self.client.model_ready(rec.model)
        return ready and (not rec.through or self.client.model_ready(rec.through))

    @property
    def measured_model(self) -> str:
        return self.record.through or self.record.model

    def _measure(self, candidate: Candidate, result: CandidateResult, concurrency: int) -> Level:
        if self.cancel.is_set():
            raise _Cancelled
        rec = self.record
        if rec.together:
            models = [self.measured_model, *rec.together]
            level = measure_together(
                rec.url,
                self.run_settings.metrics_url,
                models,
                rec.weights or [1.0] * len(models),
                concurrency,
                self.run_settings.measure,
                self.cancel,
            )
        else:
            level = measure_level(
                rec.url,
                self.run_settings.metrics_url,
                self.measured_model,
                concurrency,
                self.run_settings.measure,
                self.cancel,
            )
        if self.cancel.is_set():
            raise _Cancelled
        result.levels.append(level)
        self.emit(LevelMeasured(candidate, level))
        return level

    def _sweep(self, candidate: Candidate, result: CandidateResult, hint: int | None) -> None:
        """Concurrency upwards until the gain stalls, the budget is passed or a level fails (an
        unstable level is skipped once: on a shared machine a noisy moment is not the config)."""
        rec = self.record
        levels = rec.space.concurrency
        start = 0
        if hint is not None and rec.objective != "latency" and hint in levels:
            start = max(0, levels.index(hint) - 1)
        if rec.concurrency_formula and rec.objective != "latency" and rec.load != "request_rate":
            start = formula_start(levels, candidate, rec.space.base_batch_size)
        budget = rec.constraints.latency_budget_ms
        failed = 0
        for concurrency in levels[start:]:
            level = self._measure(candidate, result, concurrency)
            if not level.ok:
                failed += 1
                if not level.unstable or failed >= 2:  # a noisy moment is given one more level
                    break
                continue
            failed = 0
            if (budget is not None and level.p99_ms > budget) or self._plateau(result.levels):
                break
        if any(lv.ok for lv in result.levels) and not self._any_satisfies(result):
            for concurrency in reversed(levels[:start]):  # started high: reach down
                level = self._measure(candidate, result, concurrency)
                if not level.ok or rec.constraints.violation(level) == 0:
                    break
        if not any(level.ok for level in result.levels):
            result.status = "error"
            result.reason = result.levels[0].error if result.levels else "nothing measured"

    def _any_satisfies(self, result: CandidateResult) -> bool:
        return any(lv.ok and self.record.constraints.violation(lv) == 0 for lv in result.levels)

    def _plateau(self, levels: list[Level]) -> bool:
        values = [objective_value(lv, self.record.objective) for lv in levels if lv.ok]
        if len(values) < GAIN_TRIES:
            return False
        window = values[-GAIN_TRIES:]
        first = window[0]
        return (max(window) - first) / max(abs(first), 1e-9) < MIN_GAIN

    def evaluate(self, candidate: Candidate, hint: int | None = None) -> CandidateResult:
        """The candidate's result: from the record when already measured, else measured now."""
        rec = self.record
        default = rec.default
        if not candidate.default and default is not None:
            own = describe_config(rec.base_config)
            if Candidate(**{**own.to_dict(), "default": False}) == candidate:
                return default  # the model's own config, already measured as it is loaded
        known = rec.result(candidate.key)
        if known is not None and known.status != "cancelled":
            return known
        if self.cancel.is_set():
            raise _Cancelled
        if known is not None:
            rec.results.remove(known)
        elapsed = time.monotonic() - self.started
        total = rec.space.size() + 1
        eta = None
        if rec.mode == "brute" and self.measured_now:
            eta = elapsed / self.measured_now * max(0, total - len(rec.results))
        self.emit(CandidateStarted(len(rec.results) + 1, total, candidate, elapsed, eta))
        result = CandidateResult(candidate)
        t0 = time.monotonic()
        rec.results.append(result)
        try:
            if candidate.default or self._load(candidate, result):
                self._sweep(candidate, result, hint)
        except _Cancelled:
            result.status, result.reason = "cancelled", "cancelled"
            raise
        finally:
            result.wall_s = time.monotonic() - t0
            self.save()
        self.measured_now += 1
        self.emit(CandidateMeasured(len(rec.results), result))
        return result

    # Search modes ----------------------------------------------------------------------------
    def _best_concurrency(self, result: CandidateResult) -> int | None:
        self.record.score(result)
        return result.best.concurrency if result.best else None

    def brute(self) -> None:
        space = self.record.space
        for point in space.points():
            self.evaluate(space.candidate(point))

    def climb(self) -> None:
        rec, space = self.record, self.record.space
        point = space.nearest(describe_config(rec.base_config))
        current = self.evaluate(space.candidate(point))
        while True:
            hint = self._best_concurrency(current)
            trials = [(p, self.evaluate(space.candidate(p), hint)) for p in space.neighbours(point)]
            if not trials:
                return
            best_point, best = max(trials, key=lambda t: rec.score(t[1]))
            if rec.score(best) <= rec.score(current):
                return
            point, current = best_point, best

    def remeasure_top(self) -> None:
        """Measure the top configurations and the default again, until the top is all done."""
        rec = self.record
        while True:
            top = [r for r in rec.ranked() if r.best is not None][:REMEASURE_TOP]
            default = rec.default
            if default is not None and default not in top and default.best is not None:
                top.append(default)
            todo = [r for r in top if not r.remeasured]
            if not todo:
                return
            for i, result in enumerate(todo, 1):
                self._remeasure(result, i, len(todo))

    def _remeasure(self, result: CandidateResult, index: int, total: int) -> None:
        assert result.best is not None
        concurrency = result.best.concurrency
        self.emit(RemeasureStarted(index, total, result.candidate, concurrency))
        # loaded again even when it is the one loaded (the default: its own config as override)
        scratch = CandidateResult(result.candidate)
        if self._load(result.candidate, scratch):
            self._measure(result.candidate, scratch, concurrency)
        else:
            scratch.levels = [Level(concurrency, error=f"load failed: {scratch.reason}")]
        result.remeasured = scratch.levels
        self.save()

    def final_round(self) -> None:
        """The verdict: the pick (the leader, or the cheapest tied with it) against the current
        config, measured alternately at the pick's concurrency (verdict.py)."""
        rec = self.record
        if rec.verdict is not None:  # a resumed tune that already reached it
            return
        pick, group, choice = verdict.choose(rec)
        if (
            pick is None
            or pick.best is None
            or not pick.satisfies
            or verdict.same_as_current(rec, pick)
        ):
            rec.verdict = verdict.conclude(rec, pick, group, choice)
            self.save()
            return
        worth, why_not = verdict.worth_final(rec, pick)
        if not worth:
            rec.verdict = verdict.conclude(rec, pick, group, choice, failure=why_not)
            self.save()
            return
        concurrency = pick.best.concurrency
        rounds = max(MIN_ROUNDS, rec.final_rounds)
        self.emit(FinalStarted(pick.candidate, concurrency, rounds))
        settings = TrialSettings(
            concurrency=concurrency,
            rounds=rounds,
            objective="p99" if rec.objective == "latency" else "throughput",
            measure=self.run_settings.measure,
            load_timeout_s=self.run_settings.load_timeout_s,
            measure_model=rec.through,
            together=rec.together,
            weights=rec.weights,
        )

        def journal(live: bool) -> None:
            rec.restore_pending = live
            self.save()

        comparison, failure = None, ""
        try:
            while True:
                done = len(comparison.rounds) if comparison is not None else 0
                more = run_trial(
                    rec.url,
                    self.run_settings.metrics_url,
                    rec.model,
                    rec.base_config,
                    override(rec.base_config, pick.candidate),
                    replace(settings, rounds=rounds - done),
                    cancel=self.cancel,
                    on_round=self._final_round_seen(done, rounds),
                    on_override=journal,
                )
                more.scale = "log"  # per-round ratios, geometric (compare.Comparison)
                if comparison is not None:
                    more.rounds[:0] = comparison.rounds
                comparison = more
                if not verdict.inconclusive(comparison, rec.min_gain_pct, rounds):
                    break
                rounds = min(MAX_FINAL_ROUNDS, rounds + MIN_ROUNDS)
                self.emit(FinalStarted(pick.candidate, concurrency, rounds))
        except Cancelled:
            raise _Cancelled from None
        except TrialError as exc:
            failure = f"the final comparison failed: {exc}"
        rec.verdict = verdict.conclude(rec, pick, group, choice, comparison, concurrency, failure)
        self.save()

    def _final_round_seen(self, done: int, total: int) -> Callable[[int, Round], None]:
        def seen(index: int, finished: Round) -> None:
            self.emit(FinalRoundMeasured(done + index + 1, total, finished))

        return seen

    def _ensemble_ready(self) -> None:
        """A composing model reloaded on its own may leave its ensemble unloaded: load it."""
        rec = self.record
        if rec.through and not wait_until(self._ready, 10.0):
            self.client.load(rec.through, timeout=self.run_settings.load_timeout_s)

    # The whole tune --------------------------------------------------------------------------
    def save(self) -> None:
        self.record.save(self.run_settings.folder)

    def run(self) -> TuneRecord:
        rec = self.record
        t0 = time.monotonic()
        rec.status, rec.message, rec.owner_pid = "running", "", os.getpid()
        try:
            for line in recover(rec.url, self.run_settings.folder, skip=rec.path):
                rec.notes.append(line)
            if not rec.base_config:
                rec.base_config = self.client.model_config(rec.model)
            if not self._ready():
                raise TuneError(f"model {self.measured_model!r} is not ready on {rec.url}")
            self.save()
            self.evaluate(describe_config(rec.base_config))
            if rec.mode == "brute":
                self.brute()
            else:
                self.climb()
                self.remeasure_top()
            self.final_round()
            rec.status = "done"
        except _Cancelled:
            rec.status, rec.message = "cancelled", "cancelled"
        except TuneError as exc:
            rec.status, rec.message = "error", str(exc)
        except TritonError as exc:
            rec.status, rec.message = "error", f"the server stopped answering: {exc}"
        finally:
            self._restore()
            rec.wall_s += time.monotonic() - t0
            rec.finished_at = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            self.save()
        self.emit(TuneFinished(rec))
        return rec

    def _restore(self) -> None:
        rec = self.record
        if not rec.restore_pending:
            self._ensemble_ready()
            return
        try:
            restore(self.client, rec.model, self.run_settings.load_timeout_s)
            self._ensemble_ready()
            rec.restore_pending = False
            if not same_config(self.client.model_config(rec.model), rec.base_config):
                rec.notes.append(
                    "the model now runs its on-disk config, which differs from the config "
                    "it ran before the tune (it was overridden before)"
                )
        except TritonError as exc:
            rec.notes.append(f"could not restore {rec.model} to its on-disk config: {exc}")
            if rec.status == "done":
                rec.status, rec.message = "error", f"restore failed: {exc}"


def formula_start(levels: list[int], candidate: Candidate, base_batch_size: int) -> int:
    """Model Analyzer's concurrency formula, 2 x max batch x instances, as an index into
    `levels`: the highest level at or below it (the sweep reaches down from there if needed)."""
    batch = candidate.max_batch_size or base_batch_size or 1
    target = 2 * max(1, batch) * max(1, candidate.count)
    below = [i for i, level in enumerate(levels) if level <= target]
    return below[-1] if below else 0


def run_tune(
    record: TuneRecord,
    run: TuneRun,
    on_event: Callable[[TuneEvent], None] | None = None,
    cancel: threading.Event | None = None,
) -> TuneRecord:
    return Tuner(record, run, on_event, cancel).run()
