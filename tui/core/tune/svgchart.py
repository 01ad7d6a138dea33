"""A small SVG chart for the tune report: points with error bars in both directions, optional
lines through a series, a vertical marker, axes with round-number ticks, a legend. Plain strings,
every text escaped; no scripts, no external resources, so the file opens anywhere."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


@dataclass
class Point:
    x: float
    y: float
    x_low: float | None = None  # error bars (None: none drawn)
    x_high: float | None = None
    y_low: float | None = None
    y_high: float | None = None
    title: str = ""  # shown on hover


@dataclass
class Series:
    label: str
    points: list[Point] = field(default_factory=list)
    color: str = ""
    line: bool = False  # join the points in x order
    markers: bool = True
    radius: float = 4.0


@dataclass
class Marker:
    """A vertical line at `x` (a latency budget)."""

    x: float
    label: str
    color: str = "#d62728"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round-number ticks covering low..high (1, 2 or 5 times a power of ten)."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0]
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def _label(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.3g}" if abs(value) < 1 else f"{value:,.1f}"


def chart(
    series: list[Series],
    *,
    chart_id: str,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 640,
    height: int = 380,
    log2_x: bool = False,
    markers: list[Marker] | None = None,
) -> str:
    """The chart as an inline <svg> element."""
    left, right, top, bottom = 70, 20, 40, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    pts = [p for s in series for p in s.points]
    marks = markers or []

    def fx(v: float) -> float:
        return math.log2(v) if log2_x and v > 0 else v

    xs = [fx(v) for p in pts for v in (p.x, p.x_low, p.x_high) if v is not None and fx(v) == fx(v)]
    xs += [fx(m.x) for m in marks]
    ys = [v for p in pts for v in (p.y, p.y_low, p.y_high) if v is not None]
    xs, ys = xs or [0.0, 1.0], ys or [0.0, 1.0]
    if log2_x:
        x_ticks = [float(v) for v in range(math.floor(min(xs)), math.ceil(max(xs)) + 1)]
        if len(x_ticks) < 2:
            x_ticks.append(x_ticks[0] + 1)
    else:
        x_ticks = nice_ticks(min(xs), max(xs))
    y_ticks = nice_ticks(min(0.0, min(ys)), max(ys))
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]

    def sx(v: float) -> float:
        return left + (fx(v) - x0) / ((x1 - x0) or 1) * plot_w

    def sy(v: float) -> float:
        return top + plot_h - (v - y0) / ((y1 - y0) or 1) * plot_h

    out = [
        f'<svg id="{escape(chart_id)}" class="chart" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f'<text x="{width / 2:.0f}" y="22" text-anchor="middle" class="title">'
        f"{escape(title)}</text>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="frame"/>',
    ]
    for t in x_ticks:
        x = left + (t - x0) / ((x1 - x0) or 1) * plot_w
        text = _label(2**t if log2_x else t)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" class="grid"/>')
        out.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{escape(text)}</text>'
        )
    for t in y_ticks:
        y = sy(t)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" class="grid"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_label(t))}</text>'
        )
    out.append(
        f'<text x="{left + plot_w / 2:.0f}" y="{height - 10}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
    )
    out.append(
        f'<text transform="translate(16 {top + plot_h / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    for mark in marks:
        x = sx(mark.x)
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
            f'stroke="{mark.color}" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text x="{x + 4:.1f}" y="{top + 14}" fill="{mark.color}">{escape(mark.label)}</text>'
        )
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        out.append(f'<g class="series" data-label="{escape(s.label)}">')
        if s.line and len(s.points) > 1:
            path = " ".join(
                f"{sx(p.x):.1f},{sy(p.y):.1f}" for p in sorted(s.points, key=lambda p: p.x)
            )
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for p in s.points:
            out.extend(_error_bars(p, sx, sy, color))
            if s.markers:
                out.append(
                    f'<circle cx="{sx(p.x):.1f}" cy="{sy(p.y):.1f}" r="{s.radius:g}" '
                    f'fill="{color}"><title>{escape(p.title or s.label)}</title></circle>'
                )
        out.append("</g>")
    out.extend(_legend(series, left + plot_w, top))
    out.append("</svg>")
    return "\n".join(out)


def _error_bars(p: Point, sx, sy, color: str) -> list[str]:  # noqa: ANN001
    bars = []
    x, y = sx(p.x), sy(p.y)
    if p.y_low is not None and p.y_high is not None and p.y_high > p.y_low:
        lo, hi = sy(p.y_low), sy(p.y_high)
        bars.append(
            f'<path d="M{x:.1f},{lo:.1f}V{hi:.1f}M{x - 4:.1f},{lo:.1f}h8M{x - 4:.1f},{hi:.1f}h8" '
            f'stroke="{color}" class="errorbar"/>'
        )
    if p.x_low is not None and p.x_high is not None and p.x_high > p.x_low:
        lo, hi = sx(p.x_low), sx(p.x_high)
        bars.append(
            f'<path d="M{lo:.1f},{y:.1f}H{hi:.1f}M{lo:.1f},{y - 4:.1f}v8M{hi:.1f},{y - 4:.1f}v8" '
            f'stroke="{color}" class="errorbar"/>'
        )
    return bars


def _legend(series: list[Series], right: float, top: float) -> list[str]:
    out = []
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        y = top + 14 + 16 * i
        out.append(f'<circle cx="{right - 150:.0f}" cy="{y - 4:.0f}" r="4" fill="{color}"/>')
        out.append(
            f'<text x="{right - 142:.0f}" y="{y:.0f}" class="legend">{escape(s.label)}</text>'
        )
    return out
