"""What the Tune pane's form asks for, read from its fields' text and checked: the model, the
budget, the measurement settings, the axes as MIN:MAX ranges, the search mode and the objective.
A field that does not parse raises ValueError with the words the pane shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.core.bench.ranges import check_concurrency, check_window
from tui.core.tune.space import SearchSpace, powers_of_two
from tui.core.util.units import positive

if TYPE_CHECKING:
    from tui.core.modelconfig.served import ServedConfig


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

    @classmethod
    def parse(cls, model: str, mode: str, objective: str, fields: dict[str, str]) -> TuneForm:
        """From the fields' text, by name: budget, window, stability, counts, batch, concurrency."""
        text = {name: value.strip() for name, value in fields.items()}
        budget = (
            positive(text["budget"], "", "the p99 budget", "ms") if text.get("budget") else None
        )
        window = check_window(
            positive(text.get("window"), "1000", "the window", "ms"), "the window"
        )
        stability = positive(text.get("stability"), "20", "the stability percentage")
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
        )

    def space(self, config: ServedConfig, gpu: bool) -> SearchSpace:
        can_batch = int(config.get("max_batch_size") or 0) > 0
        return SearchSpace.for_model(
            config,
            has_gpu=gpu,
            counts=list(range(self.counts[0], self.counts[1] + 1)),
            batch_sizes=powers_of_two(*self.batch) if can_batch else None,
            concurrency=powers_of_two(*self.concurrency),
        )
