"""The search space: which configs a tune tries, built from the model's effective config.

Defaults follow Model Analyzer's automatic search (shared/reference/triton-tools.md §2.1):
instance count 1..5 per kind (KIND_GPU only where the server has GPUs), max_batch_size powers of
two 1..128 where the model can batch, dynamic batching on and off, client concurrency powers of
two 1..1024. Every axis can be narrowed. An axis is only varied where it changes something:
without dynamic batching the server never forms batches from single requests, so max_batch_size
stays at the model's own value; the queue delay only exists with dynamic batching.

A candidate becomes a full config (the effective config with the tuned fields replaced), loaded
through the load API's `parameters.config`, so nothing is written to disk while tuning.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("KIND_CPU", "KIND_GPU")
# The default axes as MIN:MAX (the tune command's flags and the Tune pane's fields show them so)
INSTANCE_COUNTS = (1, 5)  # instance_group counts tried
MAX_BATCH = (1, 128)  # max_batch_size, powers of two, where the model can batch
CONCURRENCY = (1, 1024)  # client concurrency, powers of two
DEFAULT_COUNTS = list(range(INSTANCE_COUNTS[0], INSTANCE_COUNTS[1] + 1))
DEFAULT_BATCH_SIZES = [2**i for i in range(8)]  # MAX_BATCH's powers of two
DEFAULT_CONCURRENCY = [2**i for i in range(11)]  # CONCURRENCY's powers of two
INTRA_OP, INTER_OP = "intra_op_thread_count", "inter_op_thread_count"  # onnxruntime parameters


class SpaceError(ValueError):
    """An axis that cannot be searched (said in words; exit code 3 on the command line)."""


def powers_of_two(low: int, high: int) -> list[int]:
    if low < 1 or high < low:
        raise SpaceError(f"{low}:{high}: expected 1 <= low <= high")
    out, value = [], 1
    while value <= high:
        if value >= low:
            out.append(value)
        value *= 2
    return out or [low]


@dataclass(frozen=True)
class Candidate:
    kind: str = "KIND_CPU"
    count: int = 1
    max_batch_size: int = 0
    dynamic_batching: bool = False
    queue_delay_us: int = 0
    default: bool = False  # the model's own config, measured as loaded
    # onnxruntime's thread counts (model parameters); 0 leaves the model's own setting
    intra_op: int = 0
    inter_op: int = 0

    @property
    def key(self) -> str:
        if self.default:
            return "default"
        head = f"{self.kind.removeprefix('KIND_').lower()}{self.count}-mbs{self.max_batch_size}"
        if not self.dynamic_batching:
            head += "-nodb"
        else:
            head += f"-db{self.queue_delay_us}" if self.queue_delay_us else "-db"
        return head + self._threads_key()

    def _threads_key(self) -> str:
        intra = f"-intra{self.intra_op}" if self.intra_op else ""
        return intra + (f"-inter{self.inter_op}" if self.inter_op else "")

    def _threads_words(self) -> list[str]:
        out = []
        if self.intra_op:
            out.append(f"{self.intra_op} intra-op thread{'s' if self.intra_op != 1 else ''}")
        if self.inter_op:
            out.append(f"{self.inter_op} inter-op thread{'s' if self.inter_op != 1 else ''}")
        return out

    @property
    def instance_group(self) -> str:
        """Model Analyzer's CSV spelling: `2:CPU`."""
        return f"{self.count}:{self.kind.removeprefix('KIND_')}"

    def words(self) -> str:
        kind = self.kind.removeprefix("KIND_")
        parts = [f"{self.count} instance{'s' if self.count != 1 else ''} ({kind})"]
        if self.max_batch_size:
            parts.append(f"batch ≤ {self.max_batch_size}")
        if self.dynamic_batching:
            delay = f" ({self.queue_delay_us} µs delay)" if self.queue_delay_us else ""
            parts.append("dynamic batching" + delay)
        else:
            parts.append("no dynamic batching")
        parts += self._threads_words()
        text = ", ".join(parts)
        return f"default: {text}" if self.default else text

    def brief(self) -> str:
        """`words` for a narrow column: `default 2×CPU b≤8 dyn 100µs`."""
        parts = [f"{self.count}×{self.kind.removeprefix('KIND_')}"]
        if self.max_batch_size:
            parts.append(f"b≤{self.max_batch_size}")
        parts.append("dyn" if self.dynamic_batching else "no dyn")
        if self.dynamic_batching and self.queue_delay_us:
            parts.append(f"{self.queue_delay_us}µs")
        if self.intra_op:
            parts.append(f"intra{self.intra_op}")
        if self.inter_op:
            parts.append(f"inter{self.inter_op}")
        return " ".join(["default", *parts] if self.default else parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Candidate:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def describe_config(config: dict[str, Any]) -> Candidate:
    """The tuned fields of an effective config, as a (default) candidate."""
    groups = config.get("instance_group") or [{}]
    kind = str(groups[0].get("kind") or "KIND_CPU")
    count = sum(int(g.get("count") or 1) for g in groups)
    dyn = config.get("dynamic_batching")
    return Candidate(
        kind=kind if kind in KINDS else "KIND_CPU",
        count=count,
        max_batch_size=int(config.get("max_batch_size") or 0),
        dynamic_batching=dyn is not None,
        queue_delay_us=int((dyn or {}).get("max_queue_delay_microseconds") or 0),
        default=True,
    )


def override(base: dict[str, Any], candidate: Candidate) -> dict[str, Any]:
    """The full config to load for `candidate`: `base` with the tuned fields replaced."""
    config = copy.deepcopy(base)
    if candidate.default:
        return config
    config["instance_group"] = [{"kind": candidate.kind, "count": candidate.count}]
    config["max_batch_size"] = candidate.max_batch_size
    if candidate.dynamic_batching:
        dyn = {k: v for k, v in (base.get("dynamic_batching") or {}).items()}
        dyn.pop("preferred_batch_size", None)  # the old preferred sizes may exceed the new max
        dyn["max_queue_delay_microseconds"] = candidate.queue_delay_us
        config["dynamic_batching"] = dyn
    else:
        config.pop("dynamic_batching", None)
    for name, value in ((INTRA_OP, candidate.intra_op), (INTER_OP, candidate.inter_op)):
        if value:
            params = dict(config.get("parameters") or {})
            params[name] = {"string_value": str(value)}
            config["parameters"] = params
    return config


def is_ensemble(config: dict[str, Any]) -> bool:
    return config.get("platform") == "ensemble" or bool(config.get("ensemble_scheduling"))


def composing_models(config: dict[str, Any]) -> list[str]:
    """An ensemble's composing models in step order, each once ([] for any other model)."""
    if not is_ensemble(config):
        return []
    steps = (config.get("ensemble_scheduling") or {}).get("step") or []
    return list(dict.fromkeys(str(s["model_name"]) for s in steps if s.get("model_name")))


def is_onnxruntime(config: dict[str, Any]) -> bool:
    return config.get("backend") == "onnxruntime" or config.get("platform") == "onnxruntime_onnx"


@dataclass
class SearchSpace:
    kinds: list[str]
    counts: list[int]
    batch_sizes: list[int]  # [base] when the model cannot batch (or keeps its size)
    dynamic: list[bool]
    queue_delays_us: list[int] = field(default_factory=lambda: [0])
    concurrency: list[int] = field(default_factory=lambda: list(DEFAULT_CONCURRENCY))
    base_batch_size: int = 0
    intra_op: list[int] = field(default_factory=lambda: [0])  # 0: the model's own setting
    inter_op: list[int] = field(default_factory=lambda: [0])

    @classmethod
    def for_model(
        cls,
        config: dict[str, Any],
        *,
        has_gpu: bool,
        kinds: list[str] | None = None,
        counts: list[int] | None = None,
        batch_sizes: list[int] | None = None,
        dynamic: list[bool] | None = None,
        queue_delays_us: list[int] | None = None,
        concurrency: list[int] | None = None,
        intra_op: list[int] | None = None,
        inter_op: list[int] | None = None,
    ) -> SearchSpace:
        """The default space for this model on this server, narrowed where an axis is given."""
        if is_ensemble(config):
            raise SpaceError(
                "an ensemble is tuned through its composing models: `triton-tui tune -m "
                "ENSEMBLE` tunes each one, measured end to end through the ensemble"
            )
        base_mbs = int(config.get("max_batch_size") or 0)
        can_batch = base_mbs > 0
        kinds = kinds or (["KIND_GPU"] if has_gpu else ["KIND_CPU"])
        for kind in kinds:
            if kind not in KINDS:
                raise SpaceError(f"instance kind {kind}: expected one of {', '.join(KINDS)}")
        if batch_sizes is None:
            batch_sizes = DEFAULT_BATCH_SIZES if can_batch else [0]
        if dynamic is None:
            if config.get("sequence_batching"):
                dynamic = [False]
            elif can_batch:
                dynamic = [True, False]
            else:  # sizes asked for on a model that cannot batch: try them (failures recorded)
                dynamic = [True] if batch_sizes != [0] else [False]
        space = cls(
            kinds=list(kinds),
            counts=sorted(set(counts or DEFAULT_COUNTS)),
            batch_sizes=sorted(set(batch_sizes)),
            dynamic=list(dict.fromkeys(dynamic)),
            queue_delays_us=sorted(set(queue_delays_us or [0])),
            concurrency=sorted(set(concurrency or DEFAULT_CONCURRENCY)),
            base_batch_size=base_mbs,
            intra_op=sorted(set(intra_op or [0])),
            inter_op=sorted(set(inter_op or [0])),
        )
        if min(space.counts) < 1 or min(space.concurrency) < 1 or min(space.queue_delays_us) < 0:
            raise SpaceError("instance counts and concurrency start at 1, delays at 0")
        threads = space.intra_op + space.inter_op
        if any(t != 0 for t in threads):
            if min(threads) < 0:
                raise SpaceError("thread counts start at 1")
            if not is_onnxruntime(config):
                backend = config.get("backend") or config.get("platform") or "unknown"
                raise SpaceError(
                    "intra/inter-op thread counts are onnxruntime parameters; this model's "
                    f"backend is {backend}"
                )
        return space

    # The space as coordinates (the hill climber moves one step along one axis at a time) -----
    def axes(self) -> list[list[Any]]:
        return [
            self.kinds,
            self.counts,
            self.dynamic,
            self.batch_sizes,
            self.queue_delays_us,
            self.intra_op,
            self.inter_op,
        ]

    def candidate(self, point: tuple[int, ...]) -> Candidate:
        """Without dynamic batching the batch size and delay axes change nothing: collapsed."""
        kinds, counts, dynamic, sizes, delays, intra, inter = self.axes()
        dyn = dynamic[point[2]]
        return Candidate(
            kind=kinds[point[0]],
            count=counts[point[1]],
            max_batch_size=sizes[point[3]] if dyn else self.base_batch_size,
            dynamic_batching=dyn,
            queue_delay_us=delays[point[4]] if dyn else 0,
            intra_op=intra[point[5]],
            inter_op=inter[point[6]],
        )

    def points(self) -> list[tuple[int, ...]]:
        """Every point, one per distinct candidate (brute force walks these in order)."""
        seen: set[str] = set()
        out = []
        for point in itertools.product(*(range(len(a)) for a in self.axes())):
            key = self.candidate(point).key
            if key not in seen:
                seen.add(key)
                out.append(point)
        return out

    def size(self) -> int:
        return len(self.points())

    def neighbours(self, point: tuple[int, ...]) -> list[tuple[int, ...]]:
        out = []
        for axis, values in enumerate(self.axes()):
            for step in (1, -1):
                i = point[axis] + step
                if 0 <= i < len(values):
                    out.append(point[:axis] + (i,) + point[axis + 1 :])
        return out

    def nearest(self, candidate: Candidate) -> tuple[int, ...]:
        """The point closest to `candidate` (the hill climb starts at the model's own config)."""
        kinds, counts, dynamic, sizes, delays, intra, inter = self.axes()

        def closest(values: list[Any], distance: Any) -> int:
            return min(range(len(values)), key=lambda i: distance(values[i]))

        return (
            closest(kinds, lambda k: k != candidate.kind),
            closest(counts, lambda c: abs(c - candidate.count)),
            closest(dynamic, lambda d: d != candidate.dynamic_batching),
            closest(sizes, lambda m: abs(m - candidate.max_batch_size)),
            closest(delays, lambda d: abs(d - candidate.queue_delay_us)),
            closest(intra, lambda t: abs(t - candidate.intra_op)),
            closest(inter, lambda t: abs(t - candidate.inter_op)),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchSpace:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
