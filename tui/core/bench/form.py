"""The Benchmark pane's logic, no Textual: its form read from the fields' text and checked (a
field that does not parse raises ValueError, RangeError and InputError among them, with the words
the pane shows), a model's inputs described, a sweep's progress and time left, how a run ended in
words, and the export of a run."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tui.core.bench import report
from tui.core.bench.engine import LevelStarted, WindowMeasured
from tui.core.bench.options import BenchOptions
from tui.core.bench.ranges import STABILITY_PCT, WINDOW_MS, check_window, parse_range
from tui.core.bench.results import BenchConfig, BenchResult
from tui.core.bench.stats import STABILITY_WINDOW
from tui.core.server.endpoints import UsageError
from tui.core.util.export import safe_name
from tui.core.util.paths import cache_dir
from tui.core.util.units import clock, positive

FIELDS = ("range", "window", "percentile", "stability", "shapes")  # the form's text fields


def read_config(
    model: str, fields: dict[str, str], url: str, metrics_url: str | None
) -> BenchConfig:
    """The form as a BenchConfig, from its fields' text by name (see FIELDS): each field read in
    the form's words, then checked and assembled as the bench command's flags are
    (BenchOptions); its defaults are the command's."""
    text = {name: value.strip() for name, value in fields.items()}
    rng = parse_range(fields.get("range") or "1", flag="the concurrency range")
    if rng.unbounded:
        raise ValueError("give an end to the concurrency range (e.g. 1:8)")
    window = check_window(
        positive(text.get("window"), str(WINDOW_MS), "the window", "ms"), "the window"
    )
    percentile = int(text["percentile"]) if text.get("percentile") else None
    if percentile is not None and not 0 < percentile < 100:
        raise ValueError("the percentile must be in 1..99 (or empty for the average)")
    stability = positive(text.get("stability"), f"{STABILITY_PCT:g}", "the stability percentage")
    options = BenchOptions(
        model,
        concurrency_range=fields.get("range") or "1",
        measurement_interval=window,
        percentile=percentile,
        stability_percentage=stability,
        shape=text.get("shapes", "").split(),
    )
    try:
        return options.config(url, metrics_url)
    except UsageError as exc:  # the pane shows ValueErrors' words
        raise ValueError(str(exc)) from None


def describe_inputs(metadata: dict[str, Any], config: dict[str, Any]) -> tuple[str, str]:
    """The model's inputs in one line, and the shapes field's template for its variable dims
    (`NAME:N,4`: each N to replace), empty when it has none."""
    batching = int(config.get("max_batch_size", 0) or 0) > 0
    parts, shapes = [], []
    for t in metadata.get("inputs", []):
        dims = [int(d) for d in t.get("shape", [])][1 if batching else 0 :]
        parts.append(f"{t['name']} {t['datatype']} {dims}")
        if any(d < 0 for d in dims):
            shapes.append(f"{t['name']}:" + ",".join("N" if d < 0 else str(d) for d in dims))
    batch = f"max batch {config.get('max_batch_size')}" if batching else "no batching"
    return f"inputs: {'; '.join(parts)} ({batch})", " ".join(shapes)


class SweepProgress:
    """What the status line says of a sweep under way, with the time left: the levels to come at
    the pace so far (STABILITY_WINDOW windows each until a level is done)."""

    def __init__(self, label: str, config: BenchConfig) -> None:
        self.label, self.config = label, config
        self.total = len(list(config.load_range.levels()))
        self.done = 0  # levels measured
        self.level = ""  # the level under way, in words
        self.started = time.monotonic()

    def starting(self) -> str:
        window = self.total * self.config.window_ms / 1000
        least, most = window * STABILITY_WINDOW, window * self.config.max_trials
        return (
            f"{self.label}: starting {self.config.model} at {self.config.load_range}"
            f" · ETA {clock(least)} (up to {clock(most)} if unstable) …"
        )

    def level_started(self, event: LevelStarted) -> str:
        total = str(event.total) if event.total else "∞"
        self.level = (
            f"{self.config.model} level {event.index + 1} of {total} (concurrency {event.value:g})"
        )
        return f"{self.label}: {self.level}, measuring … · ETA {clock(self.eta(0))}"

    def window_measured(self, event: WindowMeasured) -> str:
        what = f"p{self.config.percentile}" if self.config.percentile else "avg"
        return (
            f"{self.label}: {self.level} · window {event.trial}"
            f" · {event.throughput:,.0f} infer/s · {what} {event.latency_us:,} µs"
            f" · ETA {clock(self.eta(event.trial))}"
        )

    def eta(self, trial: int) -> float:
        """Seconds left, the level under way being at window `trial`."""
        window = self.config.window_ms / 1000
        elapsed = time.monotonic() - self.started
        per_level = elapsed / self.done if self.done else STABILITY_WINDOW * window
        this_level = max(STABILITY_WINDOW - trial, 0) * window
        return this_level + max(self.total - self.done - 1, 0) * per_level


def outcome(
    label: str, levels: int, result: BenchResult, windows: list[WindowMeasured] | None = None
) -> tuple[str, str]:
    """How a run ended, in words, and its severity ("", "warning" or "error"). For an unstable
    level, `windows` (the level's windows) give how far apart its last ones were, and the words
    name the pane's fields (ms, stab%), not perf_analyzer's flags."""
    done = f"{label}: {levels} level(s) measured"
    if result.warnings:
        done += " (" + "; ".join(result.warnings) + ")"
    if result.status == "ok":
        return f"{done}. Done.", ""
    if result.status == "cancelled":
        return f"{done}; cancelled.", "warning"
    if result.status == "unstable":
        return f"{done}; {unstable_words(result.config, windows or [])}", "warning"
    if result.status == "threshold":
        return f"{done}; {result.message}", "warning"
    return f"{done}; error: {result.message}", "error"


def spread(values: list[float]) -> float:
    """How far apart positive figures are: max/min - 1 (perf_analyzer's stability measure)."""
    low = min(values)
    return max(values) / low - 1 if low > 0 else float("inf")


def unstable_words(config: BenchConfig, windows: list[WindowMeasured]) -> str:
    """Why a level did not count, in the pane's words: its last windows' spread against the
    stab% field, and which fields to raise."""
    last = windows[-STABILITY_WINDOW:]
    level = f"concurrency {last[0].value:g}" if last else "a level"
    what = f"p{config.percentile}" if config.percentile else "avg"
    words = f"{level} never held still within {len(windows) or config.max_trials} windows"
    if len(last) == STABILITY_WINDOW and min(w.throughput for w in last) <= 0:
        words += ": some of its last windows got no answer at all"
    elif len(last) == STABILITY_WINDOW:
        ips = spread([w.throughput for w in last])
        lat = spread([float(w.latency_us) for w in last])
        words += (
            f": its last {len(last)} were {ips:.0%} apart in infer/s and {lat:.0%} in {what}"
            f" latency (stab% allows {config.stability_pct:g}%)"
        )
    return (
        words + f". Its windows are in the table (✗). Raise ms (now {config.window_ms}) for "
        "longer windows, or stab% to accept more spread; a busy host swings more."
    )


def export(result: BenchResult, kind: str, path: Path | None, tag: str) -> Path:
    """Write `result` as perf_analyzer CSV (`kind` "csv") or our JSON to `path`, or, without one,
    into the cache dir as MODEL-TIMESTAMP-TAG.KIND; the path written. OSError when it cannot be."""
    if path is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        folder = cache_dir() / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{safe_name(result.config.model)}-{stamp}-{safe_name(tag)}.{kind}"
    if kind == "csv":
        report.write_csv(result, path)
    else:
        report.write_json(result, path)
    return path
