"""Concurrency (x) against throughput (left axis) and latency (right axis), drawn with plotext.

Returns plotext's ANSI text; the pane turns it into a Rich Text. plotext keeps global state, so
call this from one thread (the UI's) only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui.core.bench.engine import LevelResult


@dataclass
class PlotRun:
    label: str
    levels: Sequence[LevelResult]


def latency_percentiles(percentile: int | None) -> list[int]:
    """p50 and p99 by default; p50 and the chosen percentile otherwise."""
    chosen = percentile or 99
    return [50] if chosen == 50 else [50, chosen]


def render(
    current: PlotRun,
    overlay: PlotRun | None,
    *,
    width: int,
    height: int,
    percentile: int | None = None,
    x_label: str = "concurrency",
    color: bool = True,
) -> str:
    import plotext as plt

    plt.clear_figure()
    plt.limitsize(False, False)  # the widget's size, not the (possibly smaller) real terminal's
    plt.plotsize(max(width, 30), max(height, 8))
    plt.theme("pro" if color else "clear")
    xs: set[float] = set()
    top = {"left": 0.0, "right": 0.0}  # the highest figure on each axis
    runs = [(current, ("blue+", "green+", "red+"))]
    if overlay is not None and overlay.levels:
        runs.append((overlay, ("cyan", "gray", "magenta")))
    for run, colors in runs:
        if not run.levels:
            continue
        x = [lv.value for lv in run.levels]
        xs.update(x)
        prefix = f"{run.label} " if overlay is not None else ""
        throughput = [lv.throughput for lv in run.levels]
        top["left"] = max(top["left"], *throughput)
        plt.plot(
            x,
            throughput,
            label=f"{prefix}infer/s",
            marker="braille",
            color=colors[0],
        )
        for p, c in zip(latency_percentiles(percentile), colors[1:], strict=False):
            ms = [lv.latency.percentiles_ns[p] / 1e6 for lv in run.levels]
            top["right"] = max(top["right"], *ms)
            plt.plot(x, ms, label=f"{prefix}p{p} ms", marker="braille", color=c, yside="right")
    if not xs:
        return ""
    ticks = sorted(xs)
    if len(ticks) > 12:
        ticks = ticks[:: max(1, len(ticks) // 12)]
    plt.xticks(ticks, [f"{t:g}" for t in ticks])
    # Both axes start at zero: a flat throughput (32.8 to 36.1 infer/s) drawn from its own
    # minimum looked like big swings.
    for side, highest in top.items():
        if highest > 0:
            plt.ylim(0, highest * 1.1, yside=side)
    plt.xlabel(x_label)
    plt.ylabel("infer/s", yside="left")
    plt.ylabel("latency ms", yside="right")
    return plt.build()
