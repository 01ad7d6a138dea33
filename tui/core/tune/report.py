"""What a tune found, in words and files: the ranked table, one-line reasons, Model Analyzer's
`metrics-model-inference.csv`, the summary paragraph, and the winner as config.pbtxt text."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tui.core.modelconfig.diff import normalize_json
from tui.core.tune.record import CandidateResult, TuneRecord
from tui.core.tune.space import override
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
        return f"misses the constraints ({record.constraints.words()}) at every concurrency"
    winner = record.winner
    gain = gain_pct(record, result)
    head = "wins" if winner is result else "ranks lower"
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


def table(record: TuneRecord) -> str:
    rows = [("#", "config", "conc", "infer/s", "p99 ms", "GPU %", "GPU MB", "ok", "reason")]
    for i, result in enumerate(record.ranked(), 1):
        best = result.best
        rows.append(
            (
                str(i),
                result.candidate.words(),
                str(best.concurrency) if best else "—",
                fmt(best.throughput if best else None),
                fmt(best.p99_ms if best else None, 2),
                fmt(100 * best.gpu_util if best and best.gpu_util is not None else None, 0),
                fmt(best.gpu_mem_mb if best else None, 0),
                "yes" if result.satisfies else "no",
                reason(record, result),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=False)) + "  " + r[-1]
        for r in rows
    )


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
    """One paragraph in Model Analyzer's spirit."""
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
    gain = gain_pct(record, winner)
    best = winner.best
    assert best is not None
    figures = (
        f"{best.throughput:,.1f} infer/sec at concurrency {best.concurrency}, "
        f"p99 {best.p99_ms:.2f} ms"
    )
    if winner.candidate.default or gain is None or gain <= 0:
        text = f"{head}, the default configuration of {record.model} is the best at {goal}{budget}"
    else:
        text = (
            f"{head}, {winner.candidate.words()} is {gain:.0f}% better than the default "
            f"configuration of {record.model} at {goal}{budget}"
        )
    text += f" ({figures})."
    if not winner.satisfies:
        text += " No configuration met the constraints; this is the closest."
    return " ".join([text, *remeasure_note(record), *not_measured(record)])


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
    """plotext's drawing of each candidate's best level, throughput against p99, with the Pareto
    front and the latency budget (call from one thread only: plotext keeps global state)."""
    import plotext as plt

    points = {}
    for result in record.results:
        record.score(result)
        if result.best is not None:
            points[result.key] = (result.best.p99_ms, result.best.throughput)
    if not points:
        return ""
    plt.clear_figure()
    plt.limitsize(False, False)
    plt.plotsize(max(width, 30), max(height, 8))
    plt.theme("pro" if color else "clear")
    xs = [p[0] for p in points.values()]
    ys = [p[1] for p in points.values()]
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
    # room above the highest point for the legend (top left), which would hide what it covers
    span = (max(ys) - min(ys)) or max(ys) / 10 or 1.0
    plt.ylim(min(ys) - span / 20, max(ys) + span * 4 / max(height - 8, 4))
    plt.xlabel("p99 latency ms")
    plt.ylabel("infer/s")
    drawn: str = plt.build()
    return drawn
