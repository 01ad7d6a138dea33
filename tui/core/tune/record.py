"""A tune's record: what was asked, every candidate measured (failures with their reason), the
ranking by objective and constraints. One JSON file per tune, rewritten atomically after each
candidate, so an interrupted tune resumes and a finished one can be reopened and compared.

A quick tune ends by measuring its top configurations (and the default) once more at their best
concurrency (`remeasured`); a re-measured candidate is ranked on that second figure alone, since
the first one is what put it in the top and so tends to be its luckiest. One whose re-measure
failed keeps its first figure but ranks after those that were measured twice.

`restore_pending` is true while a candidate's config override may be live in the server: a
console killed mid-tune leaves it set, and the next tune (or the pane) restores the model.

`applied` journals a write of the winner to config.pbtxt (apply.py): saved as "pending", with the
file's text before and after, before the file changes, and marked "done" only once the server ran
and measured the new config ("failed" when it did not and the old text is back). A process killed
in between leaves "pending": the next tune and the console find it and offer to put the old text
back (`pending_applies`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

from tui.core.modelconfig.store import atomic_write
from tui.core.tune.measure import Level
from tui.core.tune.space import Candidate, SearchSpace
from tui.core.util.export import safe_name
from tui.core.util.paths import cache_dir

OBJECTIVES = ("throughput", "latency", "throughput_per_gb")
RECORD_VERSION = 1


def tune_dir() -> Path:
    path = cache_dir() / "tune"
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_words(record: TuneRecord, value: int | None) -> str:
    """'concurrency 8' or 'request rate 256/s'."""
    if record.load == "request_rate":
        return f"request rate {value}/s"
    return f"concurrency {value}"


def report_dir(record: TuneRecord) -> Path:
    """Where the pane writes a tune's HTML report: beside its record, in the cache."""
    stem = record.path.stem if record.path else safe_name(record.model)
    return tune_dir() / "reports" / stem


@dataclass
class Constraints:
    latency_budget_ms: float | None = None  # p99 at most
    min_throughput: float | None = None
    max_gpu_memory_mb: float | None = None

    def violation(self, level: Level) -> float:
        """0 when `level` satisfies every constraint, else how far off it is (relative, summed)."""
        if not level.ok:
            return float("inf")
        off = 0.0
        if self.latency_budget_ms is not None and level.p99_ms > self.latency_budget_ms:
            off += level.p99_ms / self.latency_budget_ms - 1
        if self.min_throughput is not None and level.throughput < self.min_throughput:
            off += 1 - level.throughput / self.min_throughput
        mem, cap = level.gpu_mem_mb, self.max_gpu_memory_mb
        if cap is not None and mem is not None and mem > cap:
            off += mem / cap - 1
        return off

    def words(self) -> str:
        parts = []
        if self.latency_budget_ms is not None:
            parts.append(f"p99 ≤ {self.latency_budget_ms:g} ms")
        if self.min_throughput is not None:
            parts.append(f"throughput ≥ {self.min_throughput:g} infer/s")
        if self.max_gpu_memory_mb is not None:
            parts.append(f"GPU memory ≤ {self.max_gpu_memory_mb:g} MB")
        return ", ".join(parts) or "none"


def objective_value(level: Level, objective: str) -> float:
    """Higher is better, for every objective."""
    if objective == "latency":
        return -level.p99_ms
    if objective == "throughput_per_gb":
        return level.throughput / (level.gpu_mem_mb / 1000) if level.gpu_mem_mb else 0.0
    return level.throughput


@dataclass
class CandidateResult:
    candidate: Candidate
    status: str = "ok"  # ok | load_failed | error | cancelled
    reason: str = ""
    levels: list[Level] = field(default_factory=list)
    load_s: float = 0.0
    wall_s: float = 0.0
    remeasured: list[Level] = field(default_factory=list)  # the final pass of a quick tune
    # filled by `rank`
    best: Level | None = None
    satisfies: bool = False

    @property
    def key(self) -> str:
        return self.candidate.key

    @property
    def first(self) -> Level | None:
        """The first-pass level at the concurrency that was re-measured (None if none was)."""
        if not self.remeasured:
            return None
        concurrency = self.remeasured[0].concurrency
        return next((lv for lv in self.levels if lv.concurrency == concurrency and lv.ok), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate.to_dict(),
            "key": self.key,
            "words": self.candidate.words(),
            "status": self.status,
            "reason": self.reason,
            "levels": [asdict(level) for level in self.levels],
            "remeasured": [asdict(level) for level in self.remeasured],
            "load_s": round(self.load_s, 3),
            "wall_s": round(self.wall_s, 3),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CandidateResult:
        return cls(
            candidate=Candidate.from_dict(data["candidate"]),
            status=data.get("status", "ok"),
            reason=data.get("reason", ""),
            levels=[Level(**level) for level in data.get("levels", [])],
            remeasured=[Level(**level) for level in data.get("remeasured", [])],
            load_s=data.get("load_s", 0.0),
            wall_s=data.get("wall_s", 0.0),
        )


@dataclass
class AppliedConfig:
    """The journal of one write of a tuned config to config.pbtxt."""

    path: str  # the config.pbtxt written
    repository: str  # the model repository it lies in
    old_text: str  # "" when there was no file
    new_text: str
    words: str  # the candidate, in words
    state: str = "pending"  # pending | done | failed (not in the file) | restored | kept
    pid: int = 0  # the process applying it
    started_at: str = field(default_factory=lambda: _now())
    message: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AppliedConfig:
        fields = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in fields})


VERDICTS = ("better", "no_better_beyond_noise", "none_met_constraints")


@dataclass
class Verdict:
    """What a finished tune concludes (verdict.py decides it).

    `pick` is the configuration the tune stands behind: the leader, or the cheapest of those tied
    with it within noise. It is the winner only when `verdict` is "better": then its interleaved
    final comparison with the current config (`final`, compare.Comparison.to_dict) cleared both
    the noise and the `min_gain_pct` margin."""

    verdict: str  # one of VERDICTS
    pick: str | None = None  # candidate key
    concurrency: int | None = None  # where the final comparison ran
    objective: str = "throughput"  # what it compared: throughput or p99
    min_gain_pct: float = 5.0
    final: dict[str, Any] | None = None
    tied: list[str] = field(default_factory=list)  # keys within noise of the leader
    choice: str = ""  # why this one among the tied, in words
    words: str = ""  # the verdict in one sentence

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        fields = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in fields})


@dataclass
class TuneRecord:
    model: str
    url: str
    space: SearchSpace
    mode: str = "quick"  # or brute
    objective: str = "throughput"
    constraints: Constraints = field(default_factory=Constraints)
    window_ms: int = 1000
    base_config: dict[str, Any] = field(default_factory=dict)
    results: list[CandidateResult] = field(default_factory=list)
    status: str = "running"  # running | done | cancelled | error
    message: str = ""
    notes: list[str] = field(default_factory=list)
    restore_pending: bool = False
    owner_pid: int = 0  # the process running the tune (a live one is not "killed")
    applied: AppliedConfig | None = None
    started_at: str = field(default_factory=lambda: _now())
    finished_at: str = ""
    wall_s: float = 0.0
    min_gain_pct: float = 5.0  # a winner must beat the current config by this much, beyond noise
    final_rounds: int = 3  # rounds of the interleaved final comparison (3 at least)
    # each candidate's concurrency sweep starts at Model Analyzer's formula, 2 x max batch x
    # instances (the nearest level at or below it), instead of where the climb's best was
    concurrency_formula: bool = False
    load: str = "concurrency"  # or "request_rate": the space's concurrency list holds rates
    # an ensemble measured end to end while `model`, one of its composing models, is tuned
    through: str = ""
    # other models driven at the same time (measure.measure_together); the objective is the
    # weighted sum of throughputs, `weights` for [model, *together] (all 1 when empty)
    together: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    verdict: Verdict | None = None
    path: Path | None = None

    # Queries --------------------------------------------------------------------------------
    def result(self, key: str) -> CandidateResult | None:
        return next((r for r in self.results if r.key == key), None)

    @property
    def default(self) -> CandidateResult | None:
        return self.result("default")

    @property
    def measurements(self) -> int:
        """Measured concurrency levels (Model Analyzer counts these as measurements), the final
        comparison's two per round included."""
        final = (self.verdict.final or {}) if self.verdict else {}
        rounds = int(final.get("rounds") or 0)
        return sum(len(r.levels) + len(r.remeasured) for r in self.results) + 2 * rounds

    def levels(self) -> list[Level]:
        """Every level with a figure, re-measures included."""
        return [lv for r in self.results for lv in (*r.levels, *r.remeasured) if lv.ok]

    @property
    def remeasured(self) -> list[CandidateResult]:
        return [r for r in self.results if r.remeasured]

    def score(self, result: CandidateResult) -> tuple[int, int, float]:
        """Sort key, higher is better: satisfying candidates first, then those whose re-measure
        did not fail (a config that cannot be measured again is not confirmed), then the
        objective."""
        rank(result, self.objective, self.constraints)
        if result.best is None:
            return (-1, 0, float("-inf"))
        steady = 0 if result.remeasured and not any(lv.ok for lv in result.remeasured) else 1
        if result.satisfies:
            return (1, steady, objective_value(result.best, self.objective))
        return (0, steady, -self.constraints.violation(result.best))

    def ranked(self) -> list[CandidateResult]:
        return sorted(self.results, key=self.score, reverse=True)

    @property
    def winner(self) -> CandidateResult | None:
        """The ranking's leader (on its figures alone; see `chosen` for what the tune stands by)."""
        ranked = self.ranked()
        return ranked[0] if ranked and ranked[0].best is not None else None

    @property
    def chosen(self) -> CandidateResult | None:
        """The configuration to apply: the verdict's pick when it is better beyond noise."""
        verdict = self.verdict
        if verdict is None or verdict.verdict != "better" or verdict.pick is None:
            return None
        return self.result(verdict.pick)

    # Persistence ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": RECORD_VERSION,
            "model": self.model,
            "url": self.url,
            "mode": self.mode,
            "objective": self.objective,
            "constraints": asdict(self.constraints),
            "window_ms": self.window_ms,
            "space": self.space.to_dict(),
            "base_config": self.base_config,
            "status": self.status,
            "message": self.message,
            "notes": self.notes,
            "restore_pending": self.restore_pending,
            "owner_pid": self.owner_pid,
            "applied": asdict(self.applied) if self.applied else None,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "wall_s": round(self.wall_s, 3),
            "measurements": self.measurements,
            "min_gain_pct": self.min_gain_pct,
            "final_rounds": self.final_rounds,
            "concurrency_formula": self.concurrency_formula,
            "load": self.load,
            "through": self.through,
            "together": self.together,
            "weights": self.weights,
            "verdict": asdict(self.verdict) if self.verdict else None,
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], path: Path | None = None) -> TuneRecord:
        return cls(
            model=data["model"],
            url=data["url"],
            space=SearchSpace.from_dict(data["space"]),
            mode=data.get("mode", "quick"),
            objective=data.get("objective", "throughput"),
            constraints=Constraints(**data.get("constraints", {})),
            window_ms=data.get("window_ms", 1000),
            base_config=data.get("base_config", {}),
            results=[CandidateResult.from_dict(r) for r in data.get("results", [])],
            status=data.get("status", "running"),
            message=data.get("message", ""),
            notes=list(data.get("notes", [])),
            restore_pending=bool(data.get("restore_pending", False)),
            owner_pid=int(data.get("owner_pid", 0)),
            applied=AppliedConfig.from_dict(data["applied"]) if data.get("applied") else None,
            started_at=data.get("started_at", ""),
            finished_at=data.get("finished_at", ""),
            wall_s=data.get("wall_s", 0.0),
            min_gain_pct=float(data.get("min_gain_pct", 5.0)),
            final_rounds=int(data.get("final_rounds", 3)),
            concurrency_formula=bool(data.get("concurrency_formula", False)),
            load=data.get("load", "concurrency"),
            through=data.get("through", ""),
            together=list(data.get("together", [])),
            weights=[float(w) for w in data.get("weights", [])],
            verdict=Verdict.from_dict(data["verdict"]) if data.get("verdict") else None,
            path=path,
        )

    def save(self, folder: Path | None = None) -> Path:
        if self.path is None:
            folder = folder or tune_dir()
            folder.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            safe = safe_name(self.model)
            self.path = folder / f"{safe}-{stamp}.json"
            n = 1
            while self.path.exists():
                n += 1
                self.path = folder / f"{safe}-{stamp}-{n}.json"
        atomic_write(self.path, (json.dumps(self.to_dict(), indent=1) + "\n").encode())
        return self.path


def rank(result: CandidateResult, objective: str, constraints: Constraints) -> None:
    """Pick the candidate's best level: the best satisfying one, else the closest to satisfying.
    A re-measured candidate is judged on its re-measure (its first figures if that failed)."""
    ok = [level for level in result.remeasured if level.ok]
    ok = ok or [level for level in result.levels if level.ok]
    result.best, result.satisfies = None, False
    if not ok:
        return
    good = [level for level in ok if constraints.violation(level) == 0]
    if good:
        result.best = max(good, key=lambda level: objective_value(level, objective))
        result.satisfies = True
    else:
        result.best = min(ok, key=constraints.violation)


def load_record(path: Path | str) -> TuneRecord:
    path = Path(path)
    return TuneRecord.from_dict(json.loads(path.read_text()), path)


def list_records(folder: Path | None = None) -> list[Path]:
    """Saved tunes, newest first."""
    folder = folder or tune_dir()
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)


def latest(model: str, folder: Path | None = None, *, unfinished: bool = False) -> Path | None:
    """The newest record of `model` (only one that did not finish, when asked)."""
    for path in list_records(folder):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if data.get("model") == model and not (unfinished and data.get("status") == "done"):
            return path
    return None


def latest_unfinished(model: str, folder: Path | None = None) -> Path | None:
    return latest(model, folder, unfinished=True)


def pending_applies(folder: Path | None = None) -> list[TuneRecord]:
    """Records whose write of a tuned config was never verified: the process applying it died
    between changing config.pbtxt and checking it (one that is alive is still at it)."""
    found = []
    for path in list_records(folder):
        try:
            record = load_record(path)
        except (OSError, ValueError, KeyError, TypeError):
            continue
        applied = record.applied
        if applied is None or applied.state != "pending":
            continue
        if applied.pid and psutil.pid_exists(applied.pid):
            continue
        found.append(record)
    return found


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
