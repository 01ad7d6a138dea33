"""The tune as a self-contained HTML page to hand on (`--report DIR`, `r` in the pane): the verdict
and summary in words, throughput-against-p99 and throughput-against-concurrency charts (SVG drawn
by svgchart.py) with every figure's interval, the ranked table, the final comparison's rounds,
the winner's config diff, and what was not measured. One file, no scripts, no external resources:
it opens in any browser after `scp`. Every text from the record is escaped."""

from __future__ import annotations

import difflib
from html import escape
from pathlib import Path

from tui.core.modelconfig.diff import normalize_json
from tui.core.tune import report
from tui.core.tune.record import CandidateResult, TuneRecord
from tui.core.tune.space import override
from tui.core.tune.svgchart import Marker, Point, Series, chart
from tui.core.util.export import write_export

REPORT_NAME = "index.html"
MAX_CURVES = 8  # configurations drawn in the concurrency chart (the top of the ranking)
VERDICT_WORDS = {
    "better": "A configuration is better than yours beyond noise",
    "no_better_beyond_noise": "No configuration is better than yours beyond noise",
    "none_met_constraints": "No configuration met the constraints",
    None: "No verdict (the tune did not finish)",
}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.verdict { padding: .8em 1em; border-left: 6px solid #888; background: #f4f4f4; }
.verdict.better { border-color: #2ca02c; } .verdict.none_met_constraints { border-color: #d62728; }
.verdict.no_better_beyond_noise { border-color: #1f77b4; }
table { border-collapse: collapse; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
tr.pick td { background: #eef7ee; }
svg.chart { background: #fff; margin: .5em 1em .5em 0; font-size: 11px; }
svg .frame { fill: none; stroke: #999; } svg .grid { stroke: #eee; }
svg .title { font-size: 14px; font-weight: bold; } svg .errorbar { fill: none; stroke-width: 1.2; }
pre { background: #f7f7f7; padding: .6em; overflow-x: auto; }
.meta { color: #555; font-size: .9em; }
"""


def render(record: TuneRecord) -> str:
    """The whole page."""
    verdict = record.verdict
    kind = verdict.verdict if verdict else None
    title = f"Tune report: {record.model}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">{escape(_meta(record))}</p>',
        f'<div id="verdict" class="verdict {escape(kind or "none")}">'
        f"<strong>{escape(VERDICT_WORDS.get(kind, str(kind)))}.</strong> "
        f"{escape(verdict.words if verdict else record.message)}</div>",
        f'<p id="summary">{escape(report.summary(record))}</p>',
        "<h2>Charts</h2>",
        _latency_chart(record),
        _concurrency_chart(record),
        '<p class="meta">Error bars: the 95 % Student-t interval over each figure\'s '
        "measurement windows (3 per figure).</p>",
        "<h2>Configurations, ranked</h2>",
        _table(record),
        f'<p class="meta">{escape(report.INTERVAL_WORDS)}</p>',
        "<h2>Final comparison</h2>",
        _final(record),
        "<h2>Configuration change</h2>",
        _diff(record),
        "<h2>What was not measured</h2>",
        _not_measured(record),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write(record: TuneRecord, folder: Path) -> Path:
    """Write the page as `folder/index.html` (the folder is made when missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_export(folder / REPORT_NAME, render(record).encode())


def _meta(record: TuneRecord) -> str:
    return (
        f"server {record.url} · {record.mode} search · objective {record.objective} · "
        f"constraints {record.constraints.words()} · margin {record.min_gain_pct:g} % · "
        f"window {record.window_ms} ms · {record.measurements} measurements across "
        f"{len(record.results)} configurations · {record.wall_s:.0f} s · started "
        f"{record.started_at} · status {record.status}"
    )


def _scored(record: TuneRecord) -> list[CandidateResult]:
    return [r for r in record.ranked() if r.best is not None]


def _latency_chart(record: TuneRecord) -> str:
    pick = record.verdict.pick if record.verdict else None
    configs, chosen, default = (
        Series("configurations"),
        Series("verdict's pick", color="#2ca02c", radius=6),
        Series("current config", color="#ff7f0e", radius=6),
    )
    for result in _scored(record):
        best = result.best
        assert best is not None
        tput, p99 = best.throughput_interval, best.p99_interval
        point = Point(
            best.p99_ms,
            best.throughput,
            p99.low,
            p99.high,
            tput.low,
            tput.high,
            f"{result.candidate.words()}: {tput.words(1, 'infer/s')}, p99 {p99.words(2, 'ms')}, "
            f"concurrency {best.concurrency}",
        )
        target = default if result.candidate.default else chosen if result.key == pick else configs
        target.points.append(point)
    front = report.pareto([(p.x, p.y) for s in (configs, chosen, default) for p in s.points])
    pareto = Series(
        "Pareto front", [Point(x, y) for x, y in front], "#9467bd", line=True, markers=False
    )
    budget = record.constraints.latency_budget_ms
    return chart(
        [s for s in (configs, pareto, default, chosen) if s.points],
        chart_id="chart-latency",
        title="Throughput against p99 latency (each configuration at its best concurrency)",
        x_label="p99 latency (ms)",
        y_label="throughput (infer/s)",
        markers=[Marker(budget, f"budget {budget:g} ms")] if budget is not None else None,
    )


def _concurrency_chart(record: TuneRecord) -> str:
    load = "request rate (/s)" if record.load == "request_rate" else "client concurrency"
    series = []
    for result in _scored(record)[:MAX_CURVES]:
        points = []
        for level in result.levels:
            if not level.ok:
                continue
            tput = level.throughput_interval
            points.append(
                Point(
                    level.concurrency,
                    level.throughput,
                    y_low=tput.low,
                    y_high=tput.high,
                    title=f"{result.candidate.brief()} at concurrency {level.concurrency}: "
                    f"{tput.words(1, 'infer/s')}",
                )
            )
        if points:
            series.append(Series(result.candidate.brief(), points, line=True))
    return chart(
        series,
        chart_id="chart-concurrency",
        title=f"Throughput against {load} (top {min(MAX_CURVES, len(series))})",
        x_label=f"{load} (log scale)",
        y_label="throughput (infer/s)",
        log2_x=True,
    )


def _table(record: TuneRecord) -> str:
    pick = record.verdict.pick if record.verdict else None
    head = (
        "<tr><th>#</th><th>configuration</th><th>concurrency</th><th>throughput (infer/s)</th>"
        "<th>95 % interval</th><th>p99 (ms)</th><th>95 % interval</th><th>meets constraints</th>"
        "<th>why</th></tr>"
    )
    rows = []
    for i, result in enumerate(record.ranked(), 1):
        best = result.best
        cells = [str(i), result.candidate.words()]
        if best is not None:
            tput, p99 = best.throughput_interval, best.p99_interval
            cells += [
                str(best.concurrency),
                report.fmt(best.throughput),
                f"{report.fmt(tput.low)} – {report.fmt(tput.high)}",
                report.fmt(best.p99_ms, 2),
                f"{report.fmt(p99.low, 2)} – {report.fmt(p99.high, 2)}",
            ]
        else:
            cells += ["—"] * 5
        cells += ["yes" if result.satisfies else "no", report.reason(record, result)]
        numeric = {2, 3, 4, 5, 6}
        tds = "".join(
            f'<td class="num">{escape(c)}</td>' if j in numeric else f"<td>{escape(c)}</td>"
            for j, c in enumerate(cells)
        )
        css = ' class="pick"' if result.key == pick else ""
        rows.append(f"<tr{css}>{tds}</tr>")
    return f'<table id="ranked">{head}{"".join(rows)}</table>'


def _final(record: TuneRecord) -> str:
    verdict = record.verdict
    final = verdict.final if verdict else None
    if not final or not final.get("rounds"):
        text = "Not run: " + (verdict.words if verdict else "the tune did not reach its verdict")
        return f'<p id="final">{escape(text)}</p>'
    assert verdict is not None
    unit = "p99 ms" if verdict.objective == "p99" else "infer/s"
    rows = []
    for i, (cur, cand) in enumerate(zip(final["current"], final["candidate"], strict=False), 1):
        better, worse = (cur, cand) if verdict.objective == "p99" else (cand, cur)
        gain = 100 * (better / worse - 1) if worse else 0.0
        rows.append(
            f'<tr><td>{i}</td><td class="num">{cur:,.2f}</td><td class="num">{cand:,.2f}</td>'
            f'<td class="num">{gain:+.1f} %</td></tr>'
        )
    low, high = final["gain_pct"]
    return (
        f"<p>The pick and the current config, measured alternately (the order alternating per "
        f"round) at concurrency {verdict.concurrency}, {escape(unit)}: gain {low:+.1f} to "
        f"{high:+.1f} % (95 % interval of the per-round gains, taken over their logarithms), "
        f"margin {verdict.min_gain_pct:g} %.</p>"
        f'<table id="final"><tr><th>round</th><th>current</th><th>candidate</th><th>gain</th></tr>'
        f"{''.join(rows)}</table>"
    )


def _diff(record: TuneRecord) -> str:
    chosen = record.chosen
    if chosen is None:
        return '<p id="diff">Nothing to apply: keep the current config.</p>'
    before = normalize_json(record.base_config)
    after = normalize_json(override(record.base_config, chosen.candidate))
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "current config.pbtxt", "tuned", lineterm=""
    )
    return f'<pre id="diff">{escape(chr(10).join(lines)) or "(no change)"}</pre>'


def _not_measured(record: TuneRecord) -> str:
    space = record.space
    items = [
        *report.not_measured(record),
        f"Only these axes were searched: instance kinds {', '.join(space.kinds)}; counts "
        f"{', '.join(map(str, space.counts))}; max batch sizes "
        f"{', '.join(map(str, space.batch_sizes))}; dynamic batching "
        f"{', '.join('on' if d else 'off' for d in space.dynamic)}; queue delays "
        f"{', '.join(map(str, space.queue_delays_us))} µs; onnxruntime threads (0: as the "
        "model's) "
        f"intra-op {', '.join(map(str, space.intra_op))}, inter-op "
        f"{', '.join(map(str, space.inter_op))}; client concurrency "
        f"{', '.join(map(str, space.concurrency))}.",
        "Figures are for one request shape (the model's own, random data) from a load "
        "generator on the same machine as the server.",
        *record.notes,
    ]
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"
