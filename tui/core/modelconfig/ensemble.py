"""Ensemble rules: the scheduling graph of one ensemble, and tensors across its steps.

`validate_scheduling` needs only the ensemble's config (Triton's config validation).
`validate_steps` needs the composing models' configs (Triton's check once they are loaded):
unknown or unmapped tensors, shape and data-type agreement, batch sizes, decoupled branches.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from tui.core.modelconfig import proto as pb
from tui.core.modelconfig.diagnostics import Finding, MapKey

WILDCARD = -1


def _step(i: int, *rest: object) -> tuple[object, ...]:
    return ("ensemble_scheduling", "step", i, *rest)


@dataclass(eq=False)
class _FlowNode:
    name: str
    ready: bool = False
    prev: list[_FlowNode] = field(default_factory=list)
    next: list[_FlowNode] = field(default_factory=list)
    is_output: bool = False
    where: tuple[object, ...] = ()


def _flow_graph(config: pb.ModelConfig) -> tuple[dict[str, _FlowNode], Finding | None]:
    tensors: dict[str, _FlowNode] = {}
    ensemble = config.name
    for i, step in enumerate(config.ensemble_scheduling.step):
        if not step.model_name:
            return tensors, Finding(
                f"must specify 'model_name' in step {i} of ensemble '{ensemble}'", _step(i)
            )
        if not step.input_map:
            return tensors, Finding(
                f"must specify 'input_map' in step {i} of ensemble '{ensemble}'", _step(i)
            )
        if not step.output_map:
            return tensors, Finding(
                f"must specify 'output_map' in step {i} of ensemble '{ensemble}'", _step(i)
            )
        produced = []
        for key, tensor in step.output_map.items():
            node = tensors.get(tensor)
            if node is not None and node.is_output:
                return tensors, Finding(
                    f"ensemble tensor '{tensor}' can appear in an output map only once for "
                    f"ensemble '{ensemble}' step {i}",
                    _step(i, "output_map", MapKey(key)),
                )
            if node is None:
                node = tensors[tensor] = _FlowNode(tensor)
                node.where = _step(i, "output_map", MapKey(key))
            node.is_output = True
            produced.append(node)
        for key, tensor in step.input_map.items():
            node = tensors.get(tensor)
            if node is None:
                node = tensors[tensor] = _FlowNode(tensor, where=_step(i, "input_map", MapKey(key)))
            for out in produced:
                out.prev.append(node)
                node.next.append(out)
    return tensors, None


def validate_scheduling(config: pb.ModelConfig) -> Iterator[Finding]:
    """Triton's ValidateEnsembleSchedulingConfig."""
    name = config.name
    if config.platform != "ensemble":
        yield Finding(
            f"ensemble scheduling cannot be set for model '{name}' whose platform is not ensemble",
            ("ensemble_scheduling",),
        )
        return
    if config.instance_group:
        yield Finding(
            f"instance group should not be specified for ensemble '{name}'", ("instance_group",)
        )
    if config.HasField("optimization"):
        yield Finding(
            f"optimization should not be specified for ensemble '{name}'", ("optimization",)
        )
    if config.model_warmup:
        yield Finding(f"model_warmup can not be specified for ensemble '{name}'", ("model_warmup",))
    if not config.ensemble_scheduling.step:
        yield Finding(f"must specify 'step' for ensemble '{name}'", ("ensemble_scheduling", "step"))
        return
    tensors, error = _flow_graph(config)
    if error is not None:
        yield error
        return
    queue: deque[_FlowNode] = deque()
    for i, io in enumerate(config.input):
        node = tensors.get(io.name)
        if node is None:
            yield Finding(
                f"ensemble input '{io.name}' for ensemble {name}' is not used", ("input", i)
            )
            continue
        node.ready = True
        queue.append(node)
    while queue:
        for nxt in queue.popleft().next:
            if not nxt.ready and all(p.ready for p in nxt.prev):
                nxt.ready = True
                queue.append(nxt)
    outputs: set[str] = set()
    for i, out in enumerate(config.output):
        node = tensors.get(out.name)
        if node is None:
            yield Finding(
                f"ensemble output '{out.name}' for ensemble {name}' is not used", ("output", i)
            )
            continue
        if not node.ready:
            message = f"output '{out.name}' for ensemble '{name}' is not written"
            source = _not_ready_source(node)
            if source is not node:
                message += (
                    f": at least one of its depending tensors, '{source.name}', is not connected"
                )
            yield Finding(message, ("output", i))
            continue
        outputs.add(out.name)
    for tensor, node in tensors.items():
        if tensor in outputs:
            continue
        if not node.ready or not node.next:
            yield Finding(f"ensemble tensor '{tensor}' is unused in ensemble '{name}'", node.where)


def _not_ready_source(node: _FlowNode) -> _FlowNode:
    """Walk back through not-ready producers to the tensor nothing writes."""
    last, seen = node, set()
    candidates: list[_FlowNode] | None = node.prev
    while candidates:
        following = None
        for prev in candidates:
            if not prev.ready and prev.name not in seen:
                seen.add(prev.name)
                last, following = prev, prev.prev
                break
        candidates = following
    return last


# ---------------------------------------------------------------- across the composing models


def dims_text(dims: Sequence[int]) -> str:
    return "[" + ",".join(str(d) for d in dims) + "]"


def _dims_match(a: Sequence[int], b: Sequence[int]) -> bool:
    return len(a) == len(b) and all(x == y or WILDCARD in (x, y) for x, y in zip(a, b, strict=True))


@dataclass(eq=False)
class _Tensor:
    model: str
    data_type: int = 0
    dims: tuple[int, ...] = ()
    full_dims: tuple[int, ...] = ()
    decoupled: bool = False
    label: int = 0
    visited: bool = False
    prev: list[_Tensor] = field(default_factory=list)
    next: list[_Tensor] = field(default_factory=list)
    sibling: _Tensor | None = None

    @classmethod
    def of(cls, model: str, batching: bool, data_type: int, dims: Sequence[int]) -> _Tensor:
        full = ((WILDCARD,) if batching else ()) + tuple(dims)
        return cls(model, data_type, tuple(dims), full)


def _type_name(data_type: int) -> str:
    """TYPE_FP32 and the like; a number the enum does not define (a mutated config) as itself."""
    value = pb.DataType.DESCRIPTOR.values_by_number.get(data_type)
    return value.name if value is not None else f"data type {data_type}"


def _consistency(lhs: _Tensor, rhs: _Tensor, prefix: str) -> str | None:
    if lhs.data_type != rhs.data_type:
        return (
            f"{prefix}inconsistent data type: {_type_name(lhs.data_type)} is inferred from "
            f"model {lhs.model} while {_type_name(rhs.data_type)} is inferred from model "
            f"{rhs.model}"
        )
    if not _dims_match(lhs.dims, rhs.dims) and not _dims_match(lhs.full_dims, rhs.full_dims):
        return (
            f"{prefix}inconsistent shape: {dims_text(lhs.full_dims)} is inferred from model "
            f"{lhs.model} while {dims_text(rhs.full_dims)} is inferred from model {rhs.model}"
        )
    return None


def _map_step(
    ensemble: str,
    index: int,
    step: pb.ModelEnsembling.Step,
    model: pb.ModelConfig,
    decoupled: bool,
    tensors: dict[str, _Tensor],
) -> Finding | None:
    """Triton's ValidateTensorMapping for one step: returns the first problem."""
    where = _step(index)
    step_id = step.model_name
    batching = model.max_batch_size > 0
    input_names = {io.name for io in model.input}
    for key, tensor in step.input_map.items():
        if key not in input_names:
            return Finding(
                f"in ensemble {ensemble}, ensemble tensor {tensor} is mapping to non-existing "
                f"input {key} in model {step_id}",
                _step(index, "input_map", MapKey(key)),
            )
    for io in model.input:
        mapped = step.input_map.get(io.name)
        if mapped is None:
            if io.optional:
                continue
            return Finding(
                f"in ensemble {ensemble}, input {io.name} in model {step_id} is not mapped to "
                "any ensemble tensors",
                where,
            )
        node = _Tensor.of(step_id, batching, io.data_type, io.dims)
        existing = tensors.get(mapped)
        if existing is None:
            tensors[mapped] = node
        elif problem := _consistency(
            existing, node, f"in ensemble {ensemble}, ensemble tensor {mapped}: "
        ):
            return Finding(problem, _step(index, "input_map", MapKey(io.name)))
    output_names = {io.name: io for io in model.output}
    for key, tensor in step.output_map.items():
        if key not in output_names:
            return Finding(
                f"in ensemble {ensemble}, ensemble tensor {tensor} is mapped from non-existing "
                f"output {key} in model {step.model_name}",
                _step(index, "output_map", MapKey(key)),
            )
    sibling = _Tensor(step_id)
    for key, tensor in step.output_map.items():
        out = output_names[key]
        node = _Tensor.of(step_id, batching, out.data_type, out.dims)
        existing = tensors.get(tensor)
        if existing is None:
            existing = tensors[tensor] = node
        elif problem := _consistency(
            existing, node, f"in ensemble {ensemble}, ensemble tensor {tensor}: "
        ):
            return Finding(problem, _step(index, "output_map", MapKey(key)))
        existing.sibling = sibling
    for tensor in step.output_map.values():
        node = tensors[tensor]
        node.decoupled = decoupled
        for source in step.input_map.values():
            prev = tensors[source]
            node.prev.append(prev)
            prev.next.append(node)
    return None


@dataclass
class Composing:
    """What the ensemble rules need to know of a composing model (its completed config)."""

    config: pb.ModelConfig
    decoupled: bool


def validate_steps(
    config: pb.ModelConfig, composing: Mapping[str, Composing]
) -> tuple[list[Finding], bool]:
    """Triton's ValidateEnsembleConfig. Returns findings and whether the ensemble is decoupled.

    `composing` maps step model names to their configs; steps whose model is absent are skipped
    by the caller's choice (it reports them itself).
    """
    ensemble = config.name
    batching = config.max_batch_size > 0
    tensors: dict[str, _Tensor] = {}
    for io in config.input:
        dims = io.reshape.shape if io.HasField("reshape") else io.dims
        tensors[io.name] = _Tensor.of(ensemble, batching, io.data_type, dims)
    sink = _Tensor(ensemble)
    for out in config.output:
        dims = out.reshape.shape if out.HasField("reshape") else out.dims
        node = tensors.setdefault(out.name, _Tensor.of(ensemble, batching, out.data_type, dims))
        sink.prev.append(node)
        node.next.append(sink)
    for i, step in enumerate(config.ensemble_scheduling.step):
        part = composing.get(step.model_name)
        if part is None:
            return [], False
        model = part.config
        if 0 < model.max_batch_size < config.max_batch_size:
            return [
                Finding(
                    f"ensemble {ensemble} allows maximum batch size {config.max_batch_size}, but "
                    f"it contains model {step.model_name} which only allows maximum batch size "
                    f"to be {model.max_batch_size}",
                    _step(i, "model_name"),
                )
            ], False
        problem = _map_step(ensemble, i, step, model, part.decoupled, tensors)
        if problem is not None:
            return [problem], False
    return _decoupled_flow(config, tensors)


def _step_of_model(config: pb.ModelConfig, model: str) -> tuple[object, ...]:
    for i, step in enumerate(config.ensemble_scheduling.step):
        if step.model_name == model:
            return _step(i, "model_name")
    return ("ensemble_scheduling",)


def _decoupled_flow(
    config: pb.ModelConfig, tensors: dict[str, _Tensor]
) -> tuple[list[Finding], bool]:
    label = 0
    queue: deque[_Tensor] = deque()
    for io in config.input:
        node = tensors[io.name]
        node.visited = True
        queue.append(node)
    while queue:
        for nxt in queue.popleft().next:
            if nxt.visited or not all(p.visited for p in nxt.prev):
                continue
            first = nxt.prev[0].label
            if any(p.label != first for p in nxt.prev):
                return [
                    Finding(
                        f"in ensemble {config.name}, step of model '{nxt.model}' receives inputs "
                        "originated from different decoupled models",
                        _step_of_model(config, nxt.model),
                    )
                ], False
            if nxt.sibling is not None and nxt.sibling.visited:
                nxt.label = nxt.sibling.label
            else:
                if nxt.decoupled:
                    label += 1
                    nxt.label = label
                else:
                    nxt.label = first
                if nxt.sibling is not None:
                    nxt.sibling.label = nxt.label
                    nxt.sibling.visited = True
            nxt.visited = True
            queue.append(nxt)
    return [], label != 0
