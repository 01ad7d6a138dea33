"""What the Tune pane's form asks for, read from its fields' text and checked: the model, the
budget, the measurement settings, the axes as MIN:MAX ranges, the search mode and the objective.
A field that does not parse raises ValueError with the words the pane shows."""

from __future__ import annotations

from dataclasses import dataclass

from tui.core.bench.ranges import check_concurrency, check_window
from tui.core.tune.compare import MIN_MARGIN_PCT
from tui.core.tune.measure import STABILITY_PCT, WINDOW_MS
from tui.core.tune.options import TuneOptions
from tui.core.tune.record import Constraints
from tui.core.tune.space import SearchSpace
from tui.core.util.units import positive


def span(pair: tuple[int, int]) -> str:
    """A MIN:MAX field's text: (1, 1024) -> "1:1024"."""
    return f"{pair[0]}:{pair[1]}"


def parse_range(text: str, what: str) -> tuple[int, int]:
    """`MIN:MAX` (or one number) with 1 <= MIN <= MAX."""
    low, _, high = text.strip().partition(":")
    try:
        pair = int(low), int(high or low)
    except ValueError:
        raise ValueError(f"{what}: expected MIN:MAX, e.g. 1:8") from None
    if not 1 <= pair[0] <= pair[1]:
        raise ValueError(f"{what}: expected 1 <= MIN <= MAX")
    return pair


def parse_concurrency(text: str, what: str) -> tuple[int, int]:
    """`parse_range`, and a most that fits the open-file limit (RangeError, a ValueError, with
    the limit and how to raise it): one socket per request in flight."""
    pair = parse_range(text, what)
    check_concurrency(pair[1], f"{what} {text.strip()}")
    return pair


def parse_margin(text: str) -> float:
    """The min-gain margin in % (empty: the default 5); 0 to under 1000."""
    raw = text.strip().removesuffix("%").strip() or f"{MIN_MARGIN_PCT:g}"
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"the min gain must be a number of percent, not {raw!r}") from None
    if not 0 <= value < 1000:
        raise ValueError("the min gain must be from 0 to under 1000 %")
    return value


@dataclass
class TuneForm:
    model: str
    budget: float | None
    window: int
    stability: float
    counts: tuple[int, int]
    batch: tuple[int, int]
    concurrency: tuple[int, int]
    mode: str
    objective: str
    min_gain: float = MIN_MARGIN_PCT  # % a winner must gain over the current config, beyond noise

    @classmethod
    def parse(cls, model: str, mode: str, objective: str, fields: dict[str, str]) -> TuneForm:
        """From the fields' text, by name: budget, window, stability, counts, batch, concurrency,
        gain (the margin in %, 0 allowed)."""
        text = {name: value.strip() for name, value in fields.items()}
        budget = (
            positive(text["budget"], "", "the p99 budget", "ms") if text.get("budget") else None
        )
        window = check_window(
            positive(text.get("window"), str(WINDOW_MS), "the window", "ms"), "the window"
        )
        stability = positive(
            text.get("stability"), f"{STABILITY_PCT:g}", "the stability percentage"
        )
        return cls(
            model=model,
            budget=budget,
            window=window,
            stability=stability,
            counts=parse_range(text.get("counts", ""), "instances"),
            batch=parse_range(text.get("batch", ""), "max batch"),
            concurrency=parse_concurrency(text.get("concurrency", ""), "concurrency"),
            mode=mode,
            objective=objective,
            min_gain=parse_margin(text.get("gain", "")),
        )

    def options(self, config: dict) -> TuneOptions:
        """The form as the core's TuneOptions for a model whose effective config is `config`
        (its max batch range only where the model can batch)."""
        can_batch = int(config.get("max_batch_size") or 0) > 0
        return TuneOptions(
            model=self.model,
            search=self.mode,
            objective=self.objective,
            constraints=Constraints(latency_budget_ms=self.budget),
            counts=self.counts,
            batch=self.batch if can_batch else None,
            concurrency=self.concurrency,
            window_ms=self.window,
            stability_pct=self.stability,
            min_gain_pct=self.min_gain,
        )

    def space(self, config: dict, gpu: bool) -> SearchSpace:
        return self.options(config).space(config, gpu)
