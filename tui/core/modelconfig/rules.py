"""Triton's validation rules for one model config (already auto-completed and normalised).

Each check yields `Finding`s in Triton's words. Triton stops at the first error; we keep going
through independent checks so an editor can show every problem at once.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Sequence

from tui.core.modelconfig import autofill
from tui.core.modelconfig import proto as pb
from tui.core.modelconfig.diagnostics import Finding, MapKey
from tui.core.modelconfig.ensemble import validate_scheduling

WILDCARD = -1
Control = pb.ModelSequenceBatching.Control
_BOOL_CONTROLS = (
    Control.CONTROL_SEQUENCE_START,
    Control.CONTROL_SEQUENCE_END,
    Control.CONTROL_SEQUENCE_READY,
)
_CORRID_TYPES = {pb.TYPE_UINT64, pb.TYPE_INT64, pb.TYPE_UINT32, pb.TYPE_INT32, pb.TYPE_STRING}


def validate_config(config: pb.ModelConfig, *, check_backend: bool = True) -> Iterator[Finding]:
    """Everything Triton checks in ValidateModelConfig, plus I/O and instance groups.

    `check_backend=False` skips the platform/backend pairing (when auto-complete already
    failed to find a backend, that would only repeat the same problem).
    """
    if check_backend:
        yield from _check_platform_backend(config)
    if config.max_batch_size < 0:
        yield Finding(
            f"'max_batch_size' must be non-negative value for {config.name}", ("max_batch_size",)
        )
    if config.HasField("dynamic_batching"):
        yield from _check_dynamic_batching(config)
    if config.HasField("sequence_batching"):
        yield from _check_sequence_batching(config)
    if config.HasField("ensemble_scheduling"):
        yield from validate_scheduling(config)
    elif config.platform == autofill.ENSEMBLE:
        yield Finding(
            f"ensemble scheduling must be set for ensemble {config.name} whose platform is "
            "ensemble",
            ("platform",),
        )
    if config.model_transaction_policy.decoupled and config.response_cache.enable:
        yield Finding(
            f"Response Cache does not currently support model {config.name} with 'decoupled' "
            "transaction policy. Please disable the response cache.",
            ("response_cache",),
        )
    if config.HasField("model_metrics"):
        yield from _check_metrics(config)
    yield from validate_io(config)
    yield from validate_instance_groups(config)
    yield from _check_warmup(config)
    yield from _check_runtime(config)


def _check_platform_backend(config: pb.ModelConfig) -> Iterator[Finding]:
    if not config.name:
        yield Finding("model configuration must specify 'name'", ("name",))
    if not config.backend:
        if config.platform != autofill.ENSEMBLE:
            yield Finding(
                f"unexpected platform type '{config.platform}' for {config.name}", ("platform",)
            )
            return
    elif config.platform == autofill.ENSEMBLE:
        yield Finding(
            f"Ensemble model '{config.name}' must have platform type '{config.platform}' and "
            "empty backend type",
            ("backend",),
        )
        return
    family = autofill.backend_family(config.backend)
    if family is not None and family != autofill.platform_family(config.platform):
        yield Finding(
            f"unexpected 'platform' and 'backend' pair, got:{config.platform}, {config.backend}",
            ("platform",),
        )


def _check_dynamic_batching(config: pb.ModelConfig) -> Iterator[Finding]:
    db = config.dynamic_batching
    name = config.name
    for i, size in enumerate(db.preferred_batch_size):
        where = ("dynamic_batching", "preferred_batch_size", i)
        if size <= 0:
            yield Finding(f"dynamic batching preferred size must be positive for {name}", where)
        elif size > config.max_batch_size:
            yield Finding(
                f"dynamic batching preferred size must be <= max batch size for {name}", where
            )
    levels = db.priority_levels
    if levels != 0:
        if db.default_priority_level == 0 or db.default_priority_level > levels:
            yield Finding(
                f"default priority level must be in range [1, {levels}] for {name}",
                ("dynamic_batching", "default_priority_level"),
            )
        for level in db.priority_queue_policy:
            if level == 0 or level > levels:
                yield Finding(
                    f"priority queue policy must have priority level in range [1, {levels}] "
                    f"for {name}",
                    ("dynamic_batching", "priority_queue_policy", MapKey(str(level))),
                )
    if db.preserve_ordering:
        if levels > 1:
            yield Finding(
                f"Only one priority level is allowed when 'preserve_ordering' is true for {name}",
                ("dynamic_batching", "preserve_ordering"),
            )
        policies = [db.default_queue_policy, *db.priority_queue_policy.values()]
        for policy in policies:
            if (
                policy.default_timeout_microseconds != 0
                and policy.timeout_action == pb.ModelQueuePolicy.DELAY
            ):
                yield Finding(
                    "Queue policy can not have DELAY as timeout action when 'preserve_ordering' "
                    f"is true for {name}",
                    ("dynamic_batching",),
                )
                break


def _control_findings(
    batcher: pb.ModelSequenceBatching,
    name: str,
    kind: pb.ModelSequenceBatching.Control.Kind.ValueType,
    typed: bool,
) -> Iterator[Finding]:
    """One control kind: no tensor twice, the kind at most once, well-formed values."""
    kind_name = Control.Kind.Name(kind)
    seen_tensors: set[str] = set()
    seen_control = False
    for i, control_input in enumerate(batcher.control_input):
        where = ("sequence_batching", "control_input", i)
        if not control_input.name:
            yield Finding(f"sequence batching control tensor must have a name for {name}", where)
            return
        if control_input.name in seen_tensors:
            yield Finding(
                f"sequence batching control tensor '{control_input.name}' is specified for "
                f"multiple control kinds for {name}",
                where,
            )
            return
        seen_tensors.add(control_input.name)
        for control in control_input.control:
            if control.kind != kind:
                continue
            if seen_control:
                yield Finding(
                    f"sequence batching specifies multiple {kind_name} tensors for {name}", where
                )
                return
            seen_control = True
            counts = [
                len(control.int32_false_true),
                len(control.fp32_false_true),
                len(control.bool_false_true),
            ]
            given = [c for c in counts if c]
            if typed:
                if given:
                    yield Finding(
                        "sequence batching must not specify either 'int32_false_true', "
                        f"'fp32_false_true' or 'bool_false_true' for {kind_name} for {name}",
                        where,
                    )
                    return
                continue
            if not given:
                yield Finding(
                    "sequence batching must specify either 'int32_false_true', "
                    f"'fp32_false_true' or 'bool_false_true' for {kind_name} for {name}",
                    where,
                )
                return
            if len(given) > 1:
                yield Finding(
                    "sequence batching specifies more than one from 'int32_false_true', "
                    f"'fp32_false_true' and 'bool_false_true' for {kind_name} for {name}",
                    where,
                )
                return
            if given[0] != 2:
                field = ("int32_false_true", "fp32_false_true", "bool_false_true")[
                    next(i for i, c in enumerate(counts) if c)
                ]
                yield Finding(
                    f"sequence batching control '{field}' must have exactly 2 entries for "
                    f"{kind_name} for {name}",
                    where,
                )
                return


def _check_sequence_batching(config: pb.ModelConfig) -> Iterator[Finding]:
    sb = config.sequence_batching
    name = config.name
    if config.response_cache.enable:
        yield Finding(
            f"Response Cache does not currently support model {name} with sequence batching "
            "scheduler. Please disable the response cache.",
            ("response_cache",),
        )
    for kind in _BOOL_CONTROLS:
        found = list(_control_findings(sb, name, kind, typed=False))
        if found:
            yield from found
            return
    corrid = Control.CONTROL_SEQUENCE_CORRID
    found = list(_control_findings(sb, name, corrid, typed=True))
    if found:
        yield from found
        return
    for i, control_input in enumerate(sb.control_input):
        for control in control_input.control:
            if control.kind == corrid and control.data_type not in _CORRID_TYPES:
                yield Finding(
                    f"unexpected data type for control CONTROL_SEQUENCE_CORRID for {name}. "
                    "Allowed data types are TYPE_UINT64, TYPE_INT64, TYPE_UINT32, TYPE_INT32 "
                    "and TYPE_STRING",
                    ("sequence_batching", "control_input", i),
                )
    if sb.HasField("oldest"):
        for i, size in enumerate(sb.oldest.preferred_batch_size):
            where = ("sequence_batching", "oldest", "preferred_batch_size", i)
            if size <= 0:
                yield Finding(
                    f"sequence batching preferred batch size must be positive for {name}", where
                )
            elif size > config.max_batch_size:
                yield Finding(
                    f"sequence batching preferred batch size must be <= max batch size for {name}",
                    where,
                )
    if sb.HasField("direct"):
        utilization = sb.direct.minimum_slot_utilization
        if utilization < 0.0 or utilization > 1.0:
            yield Finding(
                "sequence batching minimum slot utilization must be in range (0.0, 1.0] for "
                f"{name}",
                ("sequence_batching", "direct", "minimum_slot_utilization"),
            )


def _check_metrics(config: pb.ModelConfig) -> Iterator[Finding]:
    for i, control in enumerate(config.model_metrics.metric_control):
        where = ("model_metrics", "metric_control", i)
        if not control.HasField("metric_identifier"):
            yield Finding("metric control must specify 'metric_identifier'", where)
        elif not control.metric_identifier.family:
            yield Finding("metric identifier must specify non-empty 'family'", where)
        elif not control.HasField("histogram_options"):
            yield Finding("metric control must specify 'histogram_options'", where)
        elif not control.histogram_options.buckets:
            yield Finding("histogram options must specify non-empty 'buckets'", where)


def element_count(dims: Sequence[int]) -> int:
    """Product of dims; -1 when any dimension is variable-size."""
    count = 1
    for dim in dims:
        if dim == WILDCARD:
            return WILDCARD
        count *= dim
    return count


def _segments(dims: Sequence[int]) -> list[int]:
    """Element counts of the runs between variable-size dimensions."""
    counts, current = [], 1
    for dim in dims:
        if dim == WILDCARD:
            counts.append(current)
            current = 1
        else:
            current *= dim
    counts.append(current)
    return counts


def _io_shape_problem(io: pb.ModelInput | pb.ModelOutput, max_batch_size: int) -> str | None:
    """Triton's ValidateIOShape: the message after "model input 'x' ", or None."""
    if not io.data_type:
        return "must specify 'data_type'"
    if not io.dims:
        return "must specify 'dims'"
    has_reshape = io.HasField("reshape")
    if has_reshape and not io.reshape.shape and max_batch_size == 0:
        return (
            "cannot have empty reshape for non-batching model as scalar tensors are not supported"
        )
    if any(d < 1 and d != WILDCARD for d in io.dims):
        return "dimension must be integer >= 1, or -1 to indicate a variable-size dimension"
    if not has_reshape:
        return None
    shape = list(io.reshape.shape)
    if any(d < 1 and d != WILDCARD for d in shape):
        return (
            "reshape dimensions must be integer >= 1, or -1 to indicate a variable-size dimension"
        )
    dims_size = element_count(io.dims)
    reshape_size = element_count(shape) if shape else 0
    if dims_size != reshape_size and (reshape_size != 0 or dims_size != 1):
        return "has different size for dims and reshape"
    if dims_size == WILDCARD:
        dims_segments, reshape_segments = _segments(io.dims), _segments(shape)
        if len(dims_segments) != len(reshape_segments):
            return "has different number of variable-size dimensions for dims and reshape"
        if dims_segments != reshape_segments:
            return "has different size for dims and reshape"
    return None


def _io_place(where: tuple[object, ...], problem: str) -> tuple[object, ...]:
    """Point at `reshape` or `dims` when the problem is theirs."""
    if "reshape" in problem:
        return (*where, "reshape")
    if "dimension" in problem or "'dims'" in problem:
        return (*where, "dims")
    return where


def validate_io(config: pb.ModelConfig) -> Iterator[Finding]:
    """ValidateModelIOConfig: every declared input and output, then batch inputs/outputs."""
    name, platform = config.name, config.platform
    is_trt = platform == autofill.TENSORRT_PLATFORM
    for field, label in (("input", "model input "), ("output", "model output ")):
        for i, io in enumerate(getattr(config, field)):
            where = (field, i)
            if not io.name:
                yield Finding(f"{label}must specify 'name' for {name}", where)
                continue
            problem = _io_shape_problem(io, config.max_batch_size)
            if problem:
                yield Finding(f"{label}'{io.name}' {problem} for {name}", _io_place(where, problem))
                continue
            if (
                field == "input"
                and io.format in (pb.ModelInput.FORMAT_NHWC, pb.ModelInput.FORMAT_NCHW)
                and len(io.dims) != 3
            ):
                yield Finding(f"model input NHWC/NCHW require 3 dims for {name}", where)
            elif not is_trt and io.is_shape_tensor:
                yield Finding(
                    f"shape tensors are only supported for TensorRT platform for {name}", where
                )
            elif io.is_non_linear_format_io:
                if not is_trt:
                    yield Finding(
                        "Non-linear IO format is only supported for the TensorRT platform for "
                        f"{name}",
                        where,
                    )
                elif len(io.dims) != 3:
                    yield Finding(f"Non-linear IO format {field} requires 3 dims for {name}", where)
    for finding in _batch_io(config):
        yield Finding(f"{finding.message} for {name}", finding.where)


def _batch_io(config: pb.ModelConfig) -> Iterator[Finding]:
    inputs = {io.name for io in config.input}
    outputs = {io.name for io in config.output}
    for i, batch_input in enumerate(config.batch_input):
        where = ("batch_input", i)
        kind = pb.BatchInput.Kind.Name(batch_input.kind)
        if len(batch_input.source_input) != 1:
            yield Finding(
                f"batch input kind '{kind}' expects 1 source input, got "
                f"{len(batch_input.source_input)}",
                where,
            )
            return
        if batch_input.data_type not in (pb.TYPE_INT32, pb.TYPE_FP32):
            yield Finding("batch input data type must be TYPE_INT32 or TYPE_FP32", where)
            return
        for source in batch_input.source_input:
            if source not in inputs:
                yield Finding(f"unknown source input name '{source}'", where)
                return
    for i, batch_output in enumerate(config.batch_output):
        where = ("batch_output", i)
        kind = pb.BatchOutput.Kind.Name(batch_output.kind)
        if len(batch_output.source_input) != 1:
            yield Finding(
                f"batch output kind '{kind}' expects 1 source input, got "
                f"{len(batch_output.source_input)}",
                where,
            )
            return
        for source in batch_output.source_input:
            if source not in inputs:
                yield Finding(f"unknown source input name '{source}'", where)
                return
        targets: set[str] = set()
        for target in batch_output.target_name:
            if target not in outputs:
                yield Finding(f"unknown target output name '{target}'", where)
                return
            if target in targets:
                yield Finding(f"target output name '{target}' can only be specified once", where)
                return
            targets.add(target)


def validate_instance_groups(config: pb.ModelConfig) -> Iterator[Finding]:
    """ValidateInstanceGroup, minus what needs the server's GPUs."""
    if config.HasField("ensemble_scheduling"):
        return
    groups = pb.ModelInstanceGroup
    for i, group in enumerate(config.instance_group):
        where = ("instance_group", i)
        prefix = f"instance group {group.name} of model {config.name}"
        if group.kind == groups.KIND_MODEL and group.gpus:
            yield Finding(f"{prefix} has kind KIND_MODEL but specifies one or more GPUs", where)
        elif group.kind == groups.KIND_CPU and group.gpus:
            yield Finding(f"{prefix} has kind KIND_CPU but specifies one or more GPUs", where)
        elif group.kind == groups.KIND_GPU and any(g < 0 for g in group.gpus):
            bad = next(g for g in group.gpus if g < 0)
            yield Finding(f"{prefix} specifies invalid or unsupported gpu id {bad}", where)
        if group.profile and config.platform != autofill.TENSORRT_PLATFORM:
            yield Finding(
                f"{prefix} and platform {config.platform} specifies profile field which is "
                "only supported for TensorRT models",
                (*where, "profile"),
            )
        elif group.profile:
            for profile in group.profile:
                if not profile:
                    yield Finding("profile name must not be empty", (*where, "profile"))
                elif not profile.lstrip("+-").isdigit():
                    yield Finding(f"unable to parse '{profile}': stoi", (*where, "profile"))
                elif int(profile) < 0:
                    yield Finding(
                        f"{prefix} and platform {config.platform} specifies invalid profile "
                        f"{profile}. The field should contain the string representation of a "
                        "non-negative integer.",
                        (*where, "profile"),
                    )


def _check_warmup(config: pb.ModelConfig) -> Iterator[Finding]:
    if config.model_warmup and config.HasField("ensemble_scheduling"):
        return  # reported by the ensemble rules
    for i, warmup in enumerate(config.model_warmup):
        if warmup.batch_size == 0:
            continue
        for input_name, sample in warmup.inputs.items():
            where = ("model_warmup", i, "inputs", MapKey(input_name))
            if any(d == WILDCARD for d in sample.dims):
                yield Finding(
                    "warmup setting expects all variable-size dimensions are specified for "
                    f"input '{input_name}'",
                    where,
                )
            elif sample.WhichOneof("input_data_type") is None:
                yield Finding(
                    f"warmup setting expects input '{input_name}' to have input_data_type set",
                    where,
                )


def _check_runtime(config: pb.ModelConfig) -> Iterator[Finding]:
    runtime = config.runtime
    if not runtime:
        return
    base = "/backends/" + (config.backend or "backend")
    resolved = posixpath.normpath(base + "/" + runtime)
    if not resolved.startswith(base + "/"):
        yield Finding(
            f"backend library name '{runtime}' escapes backend directory, for model "
            f"'{config.name}', check model config runtime field",
            ("runtime",),
        )
