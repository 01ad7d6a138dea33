"""What a tune found, in words and files: the ranked table, one-line reasons, Model Analyzer's
`metrics-model-inference.csv`, the summary paragraph, and the winner as config.pbtxt text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from tui.core.modelconfig.diff import normalize_json
from tui.core.tune.compare import Interval
from tui.core.tune.record import CandidateResult, TuneRecord, load_words
from tui.core.tune.space import describe_config, override
from tui.core.tune.verdict import gain_range
from tui.core.util.export import safe_name, write_export

CSV_NAME = "metrics-model-inference.csv"
CSV_HEADER = [
    "Model",
    "Batch",
    "Concurrency",
    "Model Config Path",
    "Instance Group",
    "Max Batch Size",
    "Satisfies Constraints",
    "Throughput (infer/sec)",
    "p99 Latency (ms)",
]
INTERVAL_WORDS = (
    "± is half the 95 % Student-t interval of the figure's measurement windows (3 of each), "
    "as a share of the figure."
)
CLIENT_BOUND_CORES = 0.8  # one load generator process near a full core
OBJECTIVE_WORDS = {
    "throughput": "maximizing throughput",
    "latency": "minimizing p99 latency",
    "throughput_per_gb": "maximizing throughput per GB of GPU memory",
}


def fmt(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def gain_pct(record: TuneRecord, result: CandidateResult) -> float | None:
    """How much better than the default `result` is on the objective, in percent."""
    default = record.default
    if default is None or result.best is None:
        return None
    record.score(default)
    if default.best is None:
        return None
    if record.objective == "latency":
        return 100 * (default.best.p99_ms / result.best.p99_ms - 1) if result.best.p99_ms else None
    base, new = default.best.throughput, result.best.throughput
    if (
        record.objective == "throughput_per_gb"
        and default.best.gpu_mem_mb
        and result.best.gpu_mem_mb
    ):
        base, new = base / default.best.gpu_mem_mb, new / result.best.gpu_mem_mb
    return 100 * (new / base - 1) if base else None


def second_look(result: CandidateResult) -> str:
    """The re-measure of a quick tune's top candidate, against its first figure."""
    again = result.remeasured[-1] if result.remeasured else None
    if again is None:
        return ""
    if not again.ok:
        return f"re-measure failed ({again.error}): ranks after those measured twice"
    first = result.first
    was = f" (first {first.throughput:,.1f})" if first is not None else ""
    return f"measured twice: {again.throughput:,.1f} infer/s{was}"


def reason(record: TuneRecord, result: CandidateResult) -> str:
    """Why this candidate wins or loses, in one line."""
    text = _reason(record, result)
    again = second_look(result)
    return f"{text}; {again}" if again else text


def _reason(record: TuneRecord, result: CandidateResult) -> str:
    if result.status != "ok":
        return f"{result.status.replace('_', ' ')}: {result.reason}"
    record.score(result)
    best = result.best
    if best is None:
        return "nothing measured"
    if not result.satisfies:
        return f"misses the constraints ({record.constraints.words()}) at every load level"
    gain = gain_pct(record, result)
    head = _standing(record, result)
    if gain is not None and not result.candidate.default:
        head += f" ({gain:+.0f}% vs default)"
    latency_us = best.avg_ms * 1000
    if latency_us and best.queue_us / latency_us > 0.5 and record.objective != "latency":
        share = 100 * best.queue_us / latency_us
        return f"{head}; queue time {share:.0f}% of latency: more instances or batching help"
    if best.client_cores >= CLIENT_BOUND_CORES:
        return f"{head}; the load generator used {best.client_cores:.1f} cores: may be client-bound"
    if best.gpu_util is not None and best.gpu_util < 0.5:
        return f"{head}; GPU {100 * best.gpu_util:.0f}% busy: room for more batching or instances"
    return f"{head}; compute {best.compute_us} µs of {latency_us:.0f} µs latency"


def spread(value: float | None, interval: Interval | None, digits: int = 1) -> str:
    """'8,449.6 ±3%': the figure and half its 95 % interval as a share of it."""
    if value is None:
        return "—"
    if interval is None or interval.n < 2:
        return fmt(value, digits)
    return f"{fmt(value, digits)} ±{interval.spread_pct:.0f}%"


def _standing(record: TuneRecord, result: CandidateResult) -> str:
    verdict = record.verdict
    if verdict is None:
        return "wins" if record.winner is result else "ranks lower"
    if record.chosen is result:
        return "wins"
    if verdict.pick == result.key:
        if result.candidate.default:
            return "the current config: nothing beat it beyond noise"
        return "best candidate, not better than the current config beyond noise"
    if result.key in verdict.tied:
        return "tied with the leader within noise"
    return "ranks lower"


def table(record: TuneRecord) -> str:
    rows = [("#", "config", "conc", "infer/s", "p99 ms", "GPU %", "GPU MB", "ok", "reason")]
    for i, result in enumerate(record.ranked(), 1):
        best = result.best
        rows.append(
            (
                str(i),
                result.candidate.words(),
                str(best.concurrency) if best else "—",
                spread(best.throughput, best.throughput_interval) if best else "—",
                spread(best.p99_ms, best.p99_interval, 2) if best else "—",
                fmt(100 * best.gpu_util if best and best.gpu_util is not None else None, 0),
                fmt(best.gpu_mem_mb if best else None, 0),
                "yes" if result.satisfies else "no",
                reason(record, result),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=False)) + "  " + r[-1]
        for r in rows
    )
    return lines + "\n" + INTERVAL_WORDS


def compare(old: TuneRecord, new: TuneRecord) -> str:
    """Two tunes side by side: when, how, and what each found; the change between winners."""
    lines = []
    for label, record in (("before", old), ("after", new)):
        winner = record.winner
        found = "nothing measured"
        if winner is not None and winner.best is not None:
            found = (
                f"{winner.candidate.words()}: {winner.best.throughput:,.1f} infer/s, "
                f"p99 {winner.best.p99_ms:.2f} ms at concurrency {winner.best.concurrency}"
            )
        lines.append(
            f"{label:6} {record.started_at} {record.mode} {record.status}, "
            f"{len(record.results)} configs / {record.measurements} measurements: {found}"
        )
    a, b = old.winner, new.winner
    if a is not None and b is not None and a.best and b.best and a.best.throughput:
        change = 100 * (b.best.throughput / a.best.throughput - 1)
        lines.append(f"winner throughput {change:+.1f}% (after vs before)")
    return "\n".join(lines)


def config_names(record: TuneRecord) -> dict[str, str]:
    """Model Analyzer's variant names: `<model>_config_default`, `<model>_config_<n>`."""
    names, n = {}, 0
    for result in record.results:
        if result.candidate.default:
            names[result.key] = f"{record.model}_config_default"
        else:
            names[result.key] = f"{record.model}_config_{n}"
            n += 1
    return names


def csv_text(record: TuneRecord) -> str:
    """One row per measured level, ranked like the table (Model Analyzer's columns)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    names = config_names(record)
    for result in record.ranked():
        c = result.candidate
        again = {lv.concurrency: lv for lv in result.remeasured if lv.ok}
        for level in result.levels:
            level = again.get(level.concurrency, level)  # one row per level: the second figure
            if not level.ok:
                continue
            ok = record.constraints.violation(level) == 0
            writer.writerow(
                [
                    record.model,
                    1,
                    level.concurrency,
                    names[result.key],
                    c.instance_group,
                    c.max_batch_size,
                    "Yes" if ok else "No",
                    f"{level.throughput:.1f}",
                    f"{level.p99_ms:.3f}",
                ]
            )
    return out.getvalue()


def not_measured(record: TuneRecord) -> list[str]:
    """What the figures leave out, and when the client may be what limits them."""
    notes = []
    if record.together:
        models = [record.model, *record.together]
        weights = record.weights or [1.0] * len(models)
        terms = " + ".join(f"{w:g} × {m}" for w, m in zip(weights, models, strict=False))
        notes.append(
            f"Throughput is the weighted sum {terms}, all driven at the same time at each level; "
            "p99 is the worst of theirs. Only the configuration of "
            f"{record.model} was varied."
        )
    if record.through:
        notes.append(
            f"Figures are the ensemble {record.through} end to end; only {record.model}, one of "
            "its composing models, was varied."
        )
    levels = record.levels()
    if levels and all(lv.gpu_util is None for lv in levels):
        notes.append(
            "GPU utilization and memory were not measured: the server exports no GPU metrics "
            "(a CPU-only server)."
        )
    winner = record.winner
    if winner is not None and winner.best is not None:
        best = winner.best
        if best.client_cores >= CLIENT_BOUND_CORES or (
            best.host_busy > 0.9 and best.client_cores > 0.3
        ):
            notes.append(
                f"The load generator used {best.client_cores:.1f} CPU cores while the machine "
                f"was {100 * best.host_busy:.0f}% busy: on a machine shared by client and server "
                "the client may limit the measured throughput."
            )
    return notes


def summary(record: TuneRecord) -> str:
    """One paragraph in Model Analyzer's spirit, with the verdict's gain as a range."""
    winner = record.winner
    configs = len(record.results)
    head = f"In {record.measurements} measurements across {configs} configurations"
    budget = (
        f", under the constraints {record.constraints.words()}"
        if record.constraints.words() != "none"
        else ""
    )
    goal = OBJECTIVE_WORDS.get(record.objective, record.objective)
    if winner is None:
        return f"{head}, no configuration of {record.model} could be measured."
    verdict = record.verdict
    if verdict is not None:
        text = _verdict_sentence(record, head, goal, budget)
    else:
        text = _leader_sentence(record, winner, head, goal, budget)
    return " ".join([text, *remeasure_note(record), *not_measured(record)])


def _figures(record: TuneRecord, result: CandidateResult) -> str:
    best = result.best
    assert best is not None
    return (
        f"{spread(best.throughput, best.throughput_interval)} infer/sec at "
        f"{load_words(record, best.concurrency)}, p99 "
        f"{spread(best.p99_ms, best.p99_interval, 2)} ms"
    )


def _leader_sentence(
    record: TuneRecord, winner: CandidateResult, head: str, goal: str, budget: str
) -> str:
    """A record without a verdict (cancelled, or saved by an older version)."""
    gain = gain_pct(record, winner)
    if winner.candidate.default or gain is None or gain <= 0:
        text = f"{head}, the default configuration of {record.model} is the best at {goal}{budget}"
    else:
        text = (
            f"{head}, {winner.candidate.words()} is {gain:.0f}% better than the default "
            f"configuration of {record.model} at {goal}{budget}"
        )
    text += f" ({_figures(record, winner)})."
    if not winner.satisfies:
        text += " No configuration met the constraints; this is the closest."
    return text


def _verdict_sentence(record: TuneRecord, head: str, goal: str, budget: str) -> str:
    verdict = record.verdict
    assert verdict is not None
    pick = record.result(verdict.pick) if verdict.pick else None
    final = verdict.final or {}
    rounds = final.get("rounds", 0)
    gain = final.get("gain_pct")
    where = (
        f"measured alternately with the default over {rounds} rounds at "
        f"{load_words(record, verdict.concurrency)}"
    )
    if verdict.verdict == "better" and pick is not None:
        if gain is not None:
            mean = final.get("gain_mean_pct") or 0.0
            text = (
                f"{head}, {pick.candidate.words()} is {mean:.0f}% better than the default "
                f"configuration of {record.model} at {goal}{budget} (gain {gain[0]:+.0f} to "
                f"{gain[1]:+.0f} %, {where}; {_figures(record, pick)})."
            )
        else:
            text = f"{head}, {verdict.words} ({_figures(record, pick)})."
    elif verdict.verdict == "none_met_constraints":
        closest = (
            f" The closest: {pick.candidate.words()} ({_figures(record, pick)})." if pick else ""
        )
        text = f"{head}, no configuration of {record.model} met the constraints{budget}.{closest}"
    else:
        text = (
            f"{head}, no configuration of {record.model} is better than the current one beyond "
            f"noise at {goal}{budget} (the margin: {verdict.min_gain_pct:g} %)."
        )
        default = record.default
        if default is not None and default.best is not None:
            text += f" The current config: {_figures(record, default)}."
        if pick is not None and not pick.candidate.default and gain is not None:
            text += (
                f" The best candidate, {pick.candidate.words()}, gained {gain[0]:+.0f} to "
                f"{gain[1]:+.0f} % ({where})."
            )
        elif verdict.words:
            text += f" {verdict.words[0].upper()}{verdict.words[1:]}."
    if verdict.choice:
        text += f" {verdict.choice[0].upper()}{verdict.choice[1:]}."
    return text


def verdict_json(record: TuneRecord) -> dict[str, Any]:
    """The verdict for scripts: `--json` prints it as the command's last line."""
    verdict = record.verdict
    chosen = record.chosen
    default = record.default
    if default is not None:
        record.score(default)
    current = {
        k: v for k, v in describe_config(record.base_config).to_dict().items() if k != "default"
    }
    return {
        "verdict": verdict.verdict if verdict else None,
        "winner": _config_json(record, chosen) if chosen is not None else None,
        "gain_pct": gain_range(verdict) if chosen is not None else None,
        "current": {**current, **_figures_json(record, default)},
        "candidate": _config_json(record, record.result(verdict.pick))
        if verdict and verdict.pick
        else None,
        "min_gain_pct": record.min_gain_pct,
        "final": verdict.final if verdict else None,
        "tied": verdict.tied if verdict else [],
        "words": verdict.words if verdict else "",
        "status": record.status,
        "record": str(record.path) if record.path else None,
    }


def _figures_json(record: TuneRecord, result: CandidateResult | None) -> dict[str, Any]:
    best = result.best if result is not None else None
    load = "request_rate" if record.load == "request_rate" else "concurrency"
    if best is None:
        return {load: None, "throughput": None, "p99_ms": None}
    return {
        load: best.concurrency,
        "throughput": best.throughput_interval.to_dict(),
        "p99_ms": best.p99_interval.to_dict(),
    }


def _config_json(record: TuneRecord, result: CandidateResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    record.score(result)
    fields = {k: v for k, v in result.candidate.to_dict().items() if k != "default"}
    if result.candidate.default:
        fields = {
            k: v for k, v in describe_config(record.base_config).to_dict().items() if k != "default"
        }
    return {"key": result.key, **fields, **_figures_json(record, result)}


def remeasure_note(record: TuneRecord) -> list[str]:
    again = record.remeasured
    if not again:
        return []
    top = sum(1 for r in again if not r.candidate.default)
    default = " and the default" if any(r.candidate.default for r in again) else ""
    return [f"The ranking is re-measured (the top {top}{default}, each measured a second time)."]


def best_config_text(record: TuneRecord, result: CandidateResult | None = None) -> str:
    """The winner (or `result`) as complete config.pbtxt text."""
    result = result or record.winner
    if result is None:
        return ""
    return normalize_json(override(record.base_config, result.candidate))


def export(record: TuneRecord, folder: Path) -> list[Path]:
    """Model Analyzer's CSV, our JSON record and the summary into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        CSV_NAME: csv_text(record),
        f"tune-{safe_name(record.model)}.json": json.dumps(record.to_dict(), indent=1) + "\n",
        "summary.txt": summary(record) + "\n",
    }
    return [write_export(folder / name, text.encode()) for name, text in files.items()]


def pareto(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (p99 ms, throughput) points no other point beats on both, by rising latency."""
    front: list[tuple[float, float]] = []
    for latency, throughput in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or throughput > front[-1][1]:
            front.append((latency, throughput))
    return front


def render_plot(
    record: TuneRecord, *, width: int, height: int, color: bool = True, selected: str = ""
) -> str:
    """plotext's drawing of each candidate's best level, throughput against p99, each with its
    95 % interval as error bars, with the Pareto front and the latency budget (call from one
    thread only: plotext keeps global state)."""
    import plotext as plt

    points, spans = {}, {}
    for result in record.results:
        record.score(result)
        if result.best is not None:
            points[result.key] = (result.best.p99_ms, result.best.throughput)
            spans[result.key] = (result.best.p99_interval, result.best.throughput_interval)
    if not points:
        return ""
    plt.clear_figure()
    plt.limitsize(False, False)
    plt.plotsize(max(width, 30), max(height, 8))
    plt.theme("pro" if color else "clear")
    xs = [p[0] for p in points.values()]
    ys = [p[1] for p in points.values()]
    wide = [(x, y) for (x, y) in spans.values() if x.n > 1 or y.n > 1]
    if wide:
        plt.error(
            [x.mean for x, _ in wide],
            [y.mean for _, y in wide],
            xerr=[x.high - x.low for x, _ in wide],
            yerr=[y.high - y.low for _, y in wide],
            color="gray",
            label="95% interval",
        )
    plt.scatter(xs, ys, label="configs", marker="dot", color="blue+")
    front = pareto(list(points.values()))
    plt.plot([p[0] for p in front], [p[1] for p in front], label="Pareto front", color="green+")
    if selected in points:
        x, y = points[selected]
        plt.scatter([x], [y], label="selected", marker="x", color="yellow+")
    budget = record.constraints.latency_budget_ms
    if budget is not None:
        plt.vline(budget, color="red+")
        plt.text("budget", budget, max(ys), color="red+")
    lows = ys + [y.low for _, y in wide]
    highs = ys + [y.high for _, y in wide]
    # room above the highest point for the legend (top left), which would hide what it covers
    span = (max(highs) - min(lows)) or max(highs) / 10 or 1.0
    plt.ylim(max(0.0, min(lows) - span / 20), max(highs) + span * 5 / max(height - 8, 4))
    lefts = xs + [x.low for x, _ in wide]
    rights = xs + [x.high for x, _ in wide]
    if budget is not None:
        rights.append(budget)
    xspan = (max(rights) - min(lefts)) or max(rights) / 10 or 1.0
    plt.xlim(max(0.0, min(lefts) - xspan / 20), max(rights) + xspan / 20)
    plt.xlabel("p99 latency ms")
    plt.ylabel("infer/s")
    return plt.build()
