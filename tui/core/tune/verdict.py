"""A tune's verdict: which configuration it stands behind, and whether that one beats the
current config beyond noise.

1. Every ranked figure has an interval (measure.Level: the 95 % Student-t interval over the
   windows the figure merges). Candidates whose interval reaches the leader's lower bound are tied
   with it: the measurements cannot tell them apart.
2. Among the tied, the cheaper one is picked: fewer instances, then less GPU memory, then the one
   closer to the current config (fewer fields changed), then the lower p99. When the current
   config leads, it is the pick and nothing is better; otherwise the current config is left to
   the final comparison, which is the real test.
3. The pick and the current config are measured in alternation (trial.run_trial: at least 3
   rounds each at the pick's concurrency). The pick is the winner only when the whole interval of
   its per-round gain lies above the minimum practical margin (5 % unless the user sets another).
   The interval is taken over the rounds' log ratios and turned back into % (a geometric mean):
   a loaded machine scales both figures of a round, so a gain of +150 % in one round and +450 %
   in the next are the same verdict, not a sign of noise around zero.
   Otherwise the verdict is "no configuration is better than yours beyond noise".
   A pick whose first figures are under the margin is not compared: it cannot be better. A
   comparison whose mean gain clears the margin but whose interval does not yet gets 3 more
   rounds, once (at most 6): a single disturbed round on a busy machine should not hide a real
   gain, and the interval still has to clear.
4. When nothing meets the constraints the verdict says so; a current config that misses them
   while the pick meets them is beaten whatever the margin. When nothing could be measured at
   all, nothing is shown better: the verdict is "no better", in words that say why.
"""

from __future__ import annotations

from tui.core.tune.compare import Comparison, Interval
from tui.core.tune.measure import Level
from tui.core.tune.record import CandidateResult, TuneRecord, Verdict, load_words
from tui.core.tune.space import Candidate, describe_config

NO_BETTER_WORDS = "no configuration is better than yours beyond noise"


def objective_interval(level: Level, objective: str) -> Interval:
    """The level's objective figure with its interval, oriented so that higher is better."""
    if objective == "latency":
        p99 = level.p99_interval
        return Interval(-p99.mean, -p99.high, -p99.low, p99.n)
    tput = level.throughput_interval
    if objective == "throughput_per_gb":
        gb = (level.gpu_mem_mb or 0.0) / 1000
        if gb <= 0:
            return Interval(0.0, 0.0, 0.0, 1)
        return Interval(tput.mean / gb, tput.low / gb, tput.high / gb, tput.n)
    return tput


def distance(record: TuneRecord, candidate: Candidate) -> int:
    """How many tuned fields differ from the model's current config (0 for the config itself)."""
    if candidate.default:
        return 0
    own = describe_config(record.base_config)
    fields = ("kind", "count", "max_batch_size", "dynamic_batching", "queue_delay_us")
    changed = sum(getattr(candidate, f) != getattr(own, f) for f in fields)
    return changed + (candidate.intra_op != 0) + (candidate.inter_op != 0)  # 0: as the model's


def cost(record: TuneRecord, result: CandidateResult) -> tuple[int, float, int, float]:
    """Lower is cheaper: instances, GPU memory, fields changed, p99."""
    best = result.best
    assert best is not None
    return (
        result.candidate.count,
        best.gpu_mem_mb or 0.0,
        distance(record, result.candidate),
        best.p99_ms,
    )


def tied(record: TuneRecord) -> list[CandidateResult]:
    """The leader and every satisfying candidate within noise of it, in ranking order."""
    ranked = [r for r in record.ranked() if r.best is not None]
    if not ranked:
        return []
    leader = ranked[0]
    if not leader.satisfies:
        return [leader]
    assert leader.best is not None
    low = objective_interval(leader.best, record.objective).low
    return [
        r
        for r in ranked
        if r.satisfies
        and r.best is not None
        and objective_interval(r.best, record.objective).high >= low
    ]


def _why_cheaper(record: TuneRecord, pick: CandidateResult, leader: CandidateResult) -> str:
    a, b = cost(record, pick), cost(record, leader)
    reasons = ("fewer instances", "less GPU memory", "closer to the current config", "lower p99")
    for reason, mine, theirs in zip(reasons, a, b, strict=True):
        if mine < theirs:
            return reason
    return "no costlier"


def choose(record: TuneRecord) -> tuple[CandidateResult | None, list[CandidateResult], str]:
    """The pick, those it was tied with, and the choice in words.

    When the current config leads, it is the pick: nothing measured beat it even on the point
    figure. Otherwise the pick is the cheapest of the others tied with the leader, and the
    current config, even when its first figures were within noise of the leader's, is left to
    the final comparison: interleaved rounds tell a real gain from noise far better than three
    windows of each."""
    group = tied(record)
    if not group:
        return None, [], ""
    leader = group[0]
    others = [r for r in group if not same_as_current(record, r)]
    if same_as_current(record, leader) or not others:
        pick = leader
    else:
        pick = min(others, key=lambda r: (cost(record, r), others.index(r)))
    if len(group) == 1:
        return pick, group, ""
    count = len(group) - 1
    head = (
        f"{count} other configuration{'s' if count != 1 else ''} tied with the leader within noise"
    )
    if pick is leader:
        if same_as_current(record, leader):
            return pick, group, f"{head}; the current config leads"
        return pick, group, f"{head}; the leader is also the cheapest change"
    why = _why_cheaper(record, pick, leader)
    return pick, group, f"{head}; picked the cheaper {pick.candidate.brief()} ({why})"


def same_as_current(record: TuneRecord, result: CandidateResult) -> bool:
    return result.candidate.default or distance(record, result.candidate) == 0


def first_gain_pct(record: TuneRecord, pick: CandidateResult) -> float | None:
    """The pick's first-pass gain over the current config on the objective, in %."""
    default = record.default
    if default is None:
        return None
    record.score(default)
    record.score(pick)
    if default.best is None or pick.best is None:
        return None
    mine, theirs = pick.best, default.best
    if record.objective == "latency":
        return 100 * (theirs.p99_ms / mine.p99_ms - 1) if mine.p99_ms > 0 else None
    base = objective_interval(theirs, record.objective).mean
    new = objective_interval(mine, record.objective).mean
    return 100 * (new / base - 1) if base > 0 else None


def worth_final(record: TuneRecord, pick: CandidateResult) -> tuple[bool, str]:
    """Whether the final comparison can matter: a pick whose first figures do not even reach
    the margin over the current config's is not better (unless the current one misses the
    constraints)."""
    default = record.default
    if default is not None:
        record.score(default)
    if default is not None and default.best is not None and not default.satisfies:
        return True, ""
    gain = first_gain_pct(record, pick)
    if gain is None or gain >= record.min_gain_pct:
        return True, ""
    return False, (
        f"the best candidate, {pick.candidate.brief()}, measured {gain:+.0f} % against the "
        f"current config, under the {record.min_gain_pct:g} % margin (no final comparison)"
    )


def inconclusive(comparison: Comparison, margin: float, rounds: int, most: int = 6) -> bool:
    """Worth more rounds: the gain's mean clears the margin but its interval does not yet, and
    fewer than `most` rounds were measured. (Looking again inflates the chance of a false win a
    little; the margin and the cap keep it small.)"""
    if rounds >= most or len(comparison.rounds) < rounds:
        return False
    gain = comparison.gain
    return gain.mean >= margin and not comparison.clears(margin)


def conclude(
    record: TuneRecord,
    pick: CandidateResult | None,
    group: list[CandidateResult],
    choice: str,
    comparison: Comparison | None = None,
    concurrency: int | None = None,
    failure: str = "",
) -> Verdict:
    """The verdict from the pick and (when it ran) the final comparison."""
    margin = record.min_gain_pct
    objective = "p99" if record.objective == "latency" else "throughput"
    verdict = Verdict(
        "no_better_beyond_noise",
        pick=pick.key if pick else None,
        concurrency=concurrency,
        objective=objective,
        min_gain_pct=margin,
        final=comparison.to_dict() if comparison is not None and comparison.rounds else None,
        tied=[r.key for r in group],
        choice=choice,
    )
    if pick is None:  # no figure at all: no evidence that anything beats the current config
        verdict.words = f"{NO_BETTER_WORDS}: no configuration could be measured"
        return verdict
    if not pick.satisfies:
        verdict.verdict = "none_met_constraints"
        verdict.words = "no configuration met the constraints" + (
            "; the closest is shown" if pick else ""
        )
        return verdict
    default = record.default
    if default is not None:
        record.score(default)
    current_misses = default is not None and default.best is not None and not default.satisfies
    if same_as_current(record, pick):
        verdict.words = f"{NO_BETTER_WORDS}: the current config measured best"
        return verdict
    if comparison is None or not comparison.rounds:
        verdict.words = f"{NO_BETTER_WORDS}: {failure or 'the final comparison did not run'}"
        if current_misses:
            verdict.verdict = "better"
            verdict.words = (
                f"{pick.candidate.words()} meets the constraints, the current config does not "
                f"({failure or 'the final comparison did not run'})"
            )
        return verdict
    gain = comparison.words(margin)
    where = f"at {load_words(record, concurrency)}, {objective}"
    if comparison.clears(margin):
        verdict.verdict = "better"
        verdict.words = f"{pick.candidate.words()} beats the current config: {gain} ({where})"
    elif current_misses:
        verdict.verdict = "better"
        verdict.words = (
            f"{pick.candidate.words()} meets the constraints, the current config does not; "
            f"the gain: {gain} ({where})"
        )
    else:
        verdict.words = f"{NO_BETTER_WORDS}: {pick.candidate.brief()} {gain} ({where})"
    return verdict


def gain_range(verdict: Verdict | None) -> list[float] | None:
    """[low, high] of the final comparison's gain in %, or None."""
    if verdict is None or not verdict.final:
        return None
    gain = verdict.final.get("gain_pct")
    return [float(gain[0]), float(gain[1])] if gain else None
