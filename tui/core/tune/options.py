"""What a tune asks for, as typed options: the model, the objective and constraints, the search
axes as MIN:MAX ranges and the measurement settings, with their defaults owned here (axes in
space.py, measurement in measure.py). The tune command fills one from its flags, the Tune pane
from its form (tui/core/tune/form.py); both turn it into the search space and the record the
tuner runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tui.core.tune.compare import MIN_MARGIN_PCT, MIN_ROUNDS
from tui.core.tune.measure import MAX_TRIALS, STABILITY_PCT, WINDOW_MS, MeasureSettings
from tui.core.tune.record import Constraints, TuneRecord
from tui.core.tune.space import CONCURRENCY, INSTANCE_COUNTS, SearchSpace, powers_of_two


@dataclass
class TuneOptions:
    model: str
    search: str = "quick"  # hill climbing from the model's own config, or "brute": every point
    objective: str = "throughput"  # or "latency", "throughput_per_gb"
    constraints: Constraints = field(default_factory=Constraints)
    counts: tuple[int, int] = INSTANCE_COUNTS
    kinds: list[str] | None = None  # KIND_CPU, KIND_GPU; None: GPU where the server has GPUs
    batch: tuple[int, int] | None = None  # max_batch_size MIN:MAX; None: the space's default
    dynamic: list[bool] | None = None  # dynamic batching on, off; None: both where it can batch
    queue_delays_us: list[int] | None = None
    concurrency: tuple[int, int] = CONCURRENCY
    window_ms: int = WINDOW_MS
    stability_pct: float = STABILITY_PCT
    max_trials: int = MAX_TRIALS
    min_gain_pct: float = MIN_MARGIN_PCT  # a winner beats the current config by this, beyond noise
    final_rounds: int = MIN_ROUNDS  # of the interleaved final comparison
    concurrency_formula: bool = False  # sweeps start at 2 x max batch x instances
    load: str = "concurrency"  # or "request_rate": `concurrency` then holds requests per second
    intra_op: list[int] | None = None  # onnxruntime thread counts; None: the model's own
    inter_op: list[int] | None = None

    def space(self, config: dict[str, Any], gpu: bool) -> SearchSpace:
        """The search space for the model's `config` on a server with (or without) GPUs
        (SpaceError, in words, when these axes do not fit it)."""
        return SearchSpace.for_model(
            config,
            has_gpu=gpu,
            kinds=self.kinds,
            counts=list(range(self.counts[0], self.counts[1] + 1)),
            batch_sizes=powers_of_two(*self.batch) if self.batch is not None else None,
            dynamic=self.dynamic,
            queue_delays_us=self.queue_delays_us,
            concurrency=powers_of_two(*self.concurrency),
            intra_op=self.intra_op,
            inter_op=self.inter_op,
        )

    def new_record(self, url: str, config: dict[str, Any], gpu: bool) -> TuneRecord:
        """A new tune of the model served at `url` whose effective config is `config`."""
        return TuneRecord(
            model=self.model,
            url=url,
            space=self.space(config, gpu),
            mode=self.search,
            objective=self.objective,
            constraints=self.constraints,
            window_ms=self.window_ms,
            base_config=config,
            min_gain_pct=self.min_gain_pct,
            final_rounds=self.final_rounds,
            concurrency_formula=self.concurrency_formula,
            load=self.load,
        )

    def measure_settings(self) -> MeasureSettings:
        return MeasureSettings(
            self.window_ms,
            self.stability_pct,
            self.max_trials,
            request_rate=self.load == "request_rate",
        )
