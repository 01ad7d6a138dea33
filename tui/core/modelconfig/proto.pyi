"""Typing of tritonclient.grpc.model_config_pb2 (Triton's model config protobuf), generated with
mypy-protobuf 5.1 from the module's own descriptor (see proto.py); regenerate, never edit.
"""

from collections import abc as _abc
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
import builtins as _builtins
import sys
import typing as _typing

if sys.version_info >= (3, 11):
    from typing import TypeAlias as _TypeAlias, Never as _Never
else:
    from typing_extensions import TypeAlias as _TypeAlias, Never as _Never

DESCRIPTOR: _descriptor.FileDescriptor

class _DataType:
    ValueType = _typing.NewType("ValueType", _builtins.int)
    V: _TypeAlias = ValueType  # noqa: Y015

class _DataTypeEnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[_DataType.ValueType], _builtins.type):
    DESCRIPTOR: _descriptor.EnumDescriptor
    TYPE_INVALID: _DataType.ValueType  # 0
    TYPE_BOOL: _DataType.ValueType  # 1
    TYPE_UINT8: _DataType.ValueType  # 2
    TYPE_UINT16: _DataType.ValueType  # 3
    TYPE_UINT32: _DataType.ValueType  # 4
    TYPE_UINT64: _DataType.ValueType  # 5
    TYPE_INT8: _DataType.ValueType  # 6
    TYPE_INT16: _DataType.ValueType  # 7
    TYPE_INT32: _DataType.ValueType  # 8
    TYPE_INT64: _DataType.ValueType  # 9
    TYPE_FP16: _DataType.ValueType  # 10
    TYPE_FP32: _DataType.ValueType  # 11
    TYPE_FP64: _DataType.ValueType  # 12
    TYPE_STRING: _DataType.ValueType  # 13
    TYPE_BF16: _DataType.ValueType  # 14

class DataType(_DataType, metaclass=_DataTypeEnumTypeWrapper): ...

TYPE_INVALID: DataType.ValueType  # 0
TYPE_BOOL: DataType.ValueType  # 1
TYPE_UINT8: DataType.ValueType  # 2
TYPE_UINT16: DataType.ValueType  # 3
TYPE_UINT32: DataType.ValueType  # 4
TYPE_UINT64: DataType.ValueType  # 5
TYPE_INT8: DataType.ValueType  # 6
TYPE_INT16: DataType.ValueType  # 7
TYPE_INT32: DataType.ValueType  # 8
TYPE_INT64: DataType.ValueType  # 9
TYPE_FP16: DataType.ValueType  # 10
TYPE_FP32: DataType.ValueType  # 11
TYPE_FP64: DataType.ValueType  # 12
TYPE_STRING: DataType.ValueType  # 13
TYPE_BF16: DataType.ValueType  # 14
Global___DataType: _TypeAlias = DataType  # noqa: Y015

@_typing.final
class ModelRateLimiter(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    @_typing.final
    class Resource(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        NAME_FIELD_NUMBER: _builtins.int
        GLOBAL_FIELD_NUMBER: _builtins.int
        COUNT_FIELD_NUMBER: _builtins.int
        name: _builtins.str
        count: _builtins.int
        def __init__(
            self,
            *,
            name: _builtins.str = ...,
            count: _builtins.int = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["count", b"count", "global", b"global", "name", b"name"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    RESOURCES_FIELD_NUMBER: _builtins.int
    PRIORITY_FIELD_NUMBER: _builtins.int
    priority: _builtins.int
    @_builtins.property
    def resources(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelRateLimiter.Resource]: ...
    def __init__(
        self,
        *,
        resources: _abc.Iterable[Global___ModelRateLimiter.Resource] | None = ...,
        priority: _builtins.int = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["priority", b"priority", "resources", b"resources"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelRateLimiter: _TypeAlias = ModelRateLimiter  # noqa: Y015

@_typing.final
class ModelInstanceGroup(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    class _Kind:
        ValueType = _typing.NewType("ValueType", _builtins.int)
        V: _TypeAlias = ValueType  # noqa: Y015

    class _KindEnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[ModelInstanceGroup._Kind.ValueType], _builtins.type):
        DESCRIPTOR: _descriptor.EnumDescriptor
        KIND_AUTO: ModelInstanceGroup._Kind.ValueType  # 0
        KIND_GPU: ModelInstanceGroup._Kind.ValueType  # 1
        KIND_CPU: ModelInstanceGroup._Kind.ValueType  # 2
        KIND_MODEL: ModelInstanceGroup._Kind.ValueType  # 3

    class Kind(_Kind, metaclass=_KindEnumTypeWrapper): ...
    KIND_AUTO: ModelInstanceGroup.Kind.ValueType  # 0
    KIND_GPU: ModelInstanceGroup.Kind.ValueType  # 1
    KIND_CPU: ModelInstanceGroup.Kind.ValueType  # 2
    KIND_MODEL: ModelInstanceGroup.Kind.ValueType  # 3

    @_typing.final
    class SecondaryDevice(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        class _SecondaryDeviceKind:
            ValueType = _typing.NewType("ValueType", _builtins.int)
            V: _TypeAlias = ValueType  # noqa: Y015

        class _SecondaryDeviceKindEnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[ModelInstanceGroup.SecondaryDevice._SecondaryDeviceKind.ValueType], _builtins.type):
            DESCRIPTOR: _descriptor.EnumDescriptor
            KIND_NVDLA: ModelInstanceGroup.SecondaryDevice._SecondaryDeviceKind.ValueType  # 0

        class SecondaryDeviceKind(_SecondaryDeviceKind, metaclass=_SecondaryDeviceKindEnumTypeWrapper): ...
        KIND_NVDLA: ModelInstanceGroup.SecondaryDevice.SecondaryDeviceKind.ValueType  # 0

        KIND_FIELD_NUMBER: _builtins.int
        DEVICE_ID_FIELD_NUMBER: _builtins.int
        kind: Global___ModelInstanceGroup.SecondaryDevice.SecondaryDeviceKind.ValueType
        device_id: _builtins.int
        def __init__(
            self,
            *,
            kind: Global___ModelInstanceGroup.SecondaryDevice.SecondaryDeviceKind.ValueType = ...,
            device_id: _builtins.int = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["device_id", b"device_id", "kind", b"kind"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    NAME_FIELD_NUMBER: _builtins.int
    KIND_FIELD_NUMBER: _builtins.int
    COUNT_FIELD_NUMBER: _builtins.int
    RATE_LIMITER_FIELD_NUMBER: _builtins.int
    GPUS_FIELD_NUMBER: _builtins.int
    SECONDARY_DEVICES_FIELD_NUMBER: _builtins.int
    PROFILE_FIELD_NUMBER: _builtins.int
    PASSIVE_FIELD_NUMBER: _builtins.int
    HOST_POLICY_FIELD_NUMBER: _builtins.int
    name: _builtins.str
    kind: Global___ModelInstanceGroup.Kind.ValueType
    count: _builtins.int
    passive: _builtins.bool
    host_policy: _builtins.str
    @_builtins.property
    def rate_limiter(self) -> Global___ModelRateLimiter: ...
    @_builtins.property
    def gpus(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
    @_builtins.property
    def secondary_devices(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelInstanceGroup.SecondaryDevice]: ...
    @_builtins.property
    def profile(self) -> _containers.RepeatedScalarFieldContainer[_builtins.str]: ...
    def __init__(
        self,
        *,
        name: _builtins.str = ...,
        kind: Global___ModelInstanceGroup.Kind.ValueType = ...,
        count: _builtins.int = ...,
        rate_limiter: Global___ModelRateLimiter | None = ...,
        gpus: _abc.Iterable[_builtins.int] | None = ...,
        secondary_devices: _abc.Iterable[Global___ModelInstanceGroup.SecondaryDevice] | None = ...,
        profile: _abc.Iterable[_builtins.str] | None = ...,
        passive: _builtins.bool = ...,
        host_policy: _builtins.str = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _typing.Literal["rate_limiter", b"rate_limiter"]  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["count", b"count", "gpus", b"gpus", "host_policy", b"host_policy", "kind", b"kind", "name", b"name", "passive", b"passive", "profile", b"profile", "rate_limiter", b"rate_limiter", "secondary_devices", b"secondary_devices"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelInstanceGroup: _TypeAlias = ModelInstanceGroup  # noqa: Y015

@_typing.final
class ModelTensorReshape(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    SHAPE_FIELD_NUMBER: _builtins.int
    @_builtins.property
    def shape(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
    def __init__(
        self,
        *,
        shape: _abc.Iterable[_builtins.int] | None = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["shape", b"shape"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelTensorReshape: _TypeAlias = ModelTensorReshape  # noqa: Y015

@_typing.final
class ModelInput(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    class _Format:
        ValueType = _typing.NewType("ValueType", _builtins.int)
        V: _TypeAlias = ValueType  # noqa: Y015

    class _FormatEnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[ModelInput._Format.ValueType], _builtins.type):
        DESCRIPTOR: _descriptor.EnumDescriptor
        FORMAT_NONE: ModelInput._Format.ValueType  # 0
        FORMAT_NHWC: ModelInput._Format.ValueType  # 1
        FORMAT_NCHW: ModelInput._Format.ValueType  # 2

    class Format(_Format, metaclass=_FormatEnumTypeWrapper): ...
    FORMAT_NONE: ModelInput.Format.ValueType  # 0
    FORMAT_NHWC: ModelInput.Format.ValueType  # 1
    FORMAT_NCHW: ModelInput.Format.ValueType  # 2

    NAME_FIELD_NUMBER: _builtins.int
    DATA_TYPE_FIELD_NUMBER: _builtins.int
    FORMAT_FIELD_NUMBER: _builtins.int
    DIMS_FIELD_NUMBER: _builtins.int
    RESHAPE_FIELD_NUMBER: _builtins.int
    IS_SHAPE_TENSOR_FIELD_NUMBER: _builtins.int
    ALLOW_RAGGED_BATCH_FIELD_NUMBER: _builtins.int
    OPTIONAL_FIELD_NUMBER: _builtins.int
    IS_NON_LINEAR_FORMAT_IO_FIELD_NUMBER: _builtins.int
    name: _builtins.str
    data_type: Global___DataType.ValueType
    format: Global___ModelInput.Format.ValueType
    is_shape_tensor: _builtins.bool
    allow_ragged_batch: _builtins.bool
    optional: _builtins.bool
    is_non_linear_format_io: _builtins.bool
    @_builtins.property
    def dims(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
    @_builtins.property
    def reshape(self) -> Global___ModelTensorReshape: ...
    def __init__(
        self,
        *,
        name: _builtins.str = ...,
        data_type: Global___DataType.ValueType = ...,
        format: Global___ModelInput.Format.ValueType = ...,
        dims: _abc.Iterable[_builtins.int] | None = ...,
        reshape: Global___ModelTensorReshape | None = ...,
        is_shape_tensor: _builtins.bool = ...,
        allow_ragged_batch: _builtins.bool = ...,
        optional: _builtins.bool = ...,
        is_non_linear_format_io: _builtins.bool = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _typing.Literal["reshape", b"reshape"]  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["allow_ragged_batch", b"allow_ragged_batch", "data_type", b"data_type", "dims", b"dims", "format", b"format", "is_non_linear_format_io", b"is_non_linear_format_io", "is_shape_tensor", b"is_shape_tensor", "name", b"name", "optional", b"optional", "reshape", b"reshape"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelInput: _TypeAlias = ModelInput  # noqa: Y015

@_typing.final
class ModelOutput(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    NAME_FIELD_NUMBER: _builtins.int
    DATA_TYPE_FIELD_NUMBER: _builtins.int
    DIMS_FIELD_NUMBER: _builtins.int
    RESHAPE_FIELD_NUMBER: _builtins.int
    LABEL_FILENAME_FIELD_NUMBER: _builtins.int
    IS_SHAPE_TENSOR_FIELD_NUMBER: _builtins.int
    IS_NON_LINEAR_FORMAT_IO_FIELD_NUMBER: _builtins.int
    name: _builtins.str
    data_type: Global___DataType.ValueType
    label_filename: _builtins.str
    is_shape_tensor: _builtins.bool
    is_non_linear_format_io: _builtins.bool
    @_builtins.property
    def dims(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
    @_builtins.property
    def reshape(self) -> Global___ModelTensorReshape: ...
    def __init__(
        self,
        *,
        name: _builtins.str = ...,
        data_type: Global___DataType.ValueType = ...,
        dims: _abc.Iterable[_builtins.int] | None = ...,
        reshape: Global___ModelTensorReshape | None = ...,
        label_filename: _builtins.str = ...,
        is_shape_tensor: _builtins.bool = ...,
        is_non_linear_format_io: _builtins.bool = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _typing.Literal["reshape", b"reshape"]  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["data_type", b"data_type", "dims", b"dims", "is_non_linear_format_io", b"is_non_linear_format_io", "is_shape_tensor", b"is_shape_tensor", "label_filename", b"label_filename", "name", b"name", "reshape", b"reshape"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelOutput: _TypeAlias = ModelOutput  # noqa: Y015

@_typing.final
class BatchInput(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    class _Kind:
        ValueType = _typing.NewType("ValueType", _builtins.int)
        V: _TypeAlias = ValueType  # noqa: Y015

    class _KindEnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[BatchInput._Kind.ValueType], _builtins.type):
        DESCRIPTOR: _descriptor.EnumDescriptor
        BATCH_ELEMENT_COUNT: BatchInput._Kind.ValueType  # 0
        BATCH_ACCUMULATED_ELEMENT_COUNT: BatchInput._Kind.ValueType  # 1
        BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO: BatchInput._Kind.ValueType  # 2
        BATCH_MAX_ELEMENT_COUNT_AS_SHAPE: BatchInput._Kind.ValueType  # 3
        BATCH_ITEM_SHAPE: BatchInput._Kind.ValueType  # 4
        BATCH_ITEM_SHAPE_FLATTEN: BatchInput._Kind.ValueType  # 5

    class Kind(_Kind, metaclass=_KindEnumTypeWrapper): ...
    BATCH_ELEMENT_COUNT: BatchInput.Kind.ValueType  # 0
    BATCH_ACCUMULATED_ELEMENT_COUNT: BatchInput.Kind.ValueType  # 1
    BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO: BatchInput.Kind.ValueType  # 2
    BATCH_MAX_ELEMENT_COUNT_AS_SHAPE: BatchInput.Kind.ValueType  # 3
    BATCH_ITEM_SHAPE: BatchInput.Kind.ValueType  # 4
    BATCH_ITEM_SHAPE_FLATTEN: BatchInput.Kind.ValueType  # 5

    KIND_FIELD_NUMBER: _builtins.int
    TARGET_NAME_FIELD_NUMBER: _builtins.int
    DATA_TYPE_FIELD_NUMBER: _builtins.int
    SOURCE_INPUT_FIELD_NUMBER: _builtins.int
    kind: Global___BatchInput.Kind.ValueType
    data_type: Global___DataType.ValueType
    @_builtins.property
    def target_name(self) -> _containers.RepeatedScalarFieldContainer[_builtins.str]: ...
    @_builtins.property
    def source_input(self) -> _containers.RepeatedScalarFieldContainer[_builtins.str]: ...
    def __init__(
        self,
        *,
        kind: Global___BatchInput.Kind.ValueType = ...,
        target_name: _abc.Iterable[_builtins.str] | None = ...,
        data_type: Global___DataType.ValueType = ...,
        source_input: _abc.Iterable[_builtins.str] | None = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["data_type", b"data_type", "kind", b"kind", "source_input", b"source_input", "target_name", b"target_name"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___BatchInput: _TypeAlias = BatchInput  # noqa: Y015

@_typing.final
class BatchOutput(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    class _Kind:
        ValueType = _typing.NewType("ValueType", _builtins.int)
        V: _TypeAlias = ValueType  # noqa: Y015

    class _KindEnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[BatchOutput._Kind.ValueType], _builtins.type):
        DESCRIPTOR: _descriptor.EnumDescriptor
        BATCH_SCATTER_WITH_INPUT_SHAPE: BatchOutput._Kind.ValueType  # 0

    class Kind(_Kind, metaclass=_KindEnumTypeWrapper): ...
    BATCH_SCATTER_WITH_INPUT_SHAPE: BatchOutput.Kind.ValueType  # 0

    TARGET_NAME_FIELD_NUMBER: _builtins.int
    KIND_FIELD_NUMBER: _builtins.int
    SOURCE_INPUT_FIELD_NUMBER: _builtins.int
    kind: Global___BatchOutput.Kind.ValueType
    @_builtins.property
    def target_name(self) -> _containers.RepeatedScalarFieldContainer[_builtins.str]: ...
    @_builtins.property
    def source_input(self) -> _containers.RepeatedScalarFieldContainer[_builtins.str]: ...
    def __init__(
        self,
        *,
        target_name: _abc.Iterable[_builtins.str] | None = ...,
        kind: Global___BatchOutput.Kind.ValueType = ...,
        source_input: _abc.Iterable[_builtins.str] | None = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["kind", b"kind", "source_input", b"source_input", "target_name", b"target_name"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___BatchOutput: _TypeAlias = BatchOutput  # noqa: Y015

@_typing.final
class ModelVersionPolicy(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    @_typing.final
    class Latest(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        NUM_VERSIONS_FIELD_NUMBER: _builtins.int
        num_versions: _builtins.int
        def __init__(
            self,
            *,
            num_versions: _builtins.int = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["num_versions", b"num_versions"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class All(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        def __init__(
            self,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class Specific(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        VERSIONS_FIELD_NUMBER: _builtins.int
        @_builtins.property
        def versions(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
        def __init__(
            self,
            *,
            versions: _abc.Iterable[_builtins.int] | None = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["versions", b"versions"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    LATEST_FIELD_NUMBER: _builtins.int
    ALL_FIELD_NUMBER: _builtins.int
    SPECIFIC_FIELD_NUMBER: _builtins.int
    @_builtins.property
    def latest(self) -> Global___ModelVersionPolicy.Latest: ...
    @_builtins.property
    def all(self) -> Global___ModelVersionPolicy.All: ...
    @_builtins.property
    def specific(self) -> Global___ModelVersionPolicy.Specific: ...
    def __init__(
        self,
        *,
        latest: Global___ModelVersionPolicy.Latest | None = ...,
        all: Global___ModelVersionPolicy.All | None = ...,
        specific: Global___ModelVersionPolicy.Specific | None = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _typing.Literal["all", b"all", "latest", b"latest", "policy_choice", b"policy_choice", "specific", b"specific"]  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["all", b"all", "latest", b"latest", "policy_choice", b"policy_choice", "specific", b"specific"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    _WhichOneofReturnType_policy_choice: _TypeAlias = _typing.Literal["latest", "all", "specific"]  # noqa: Y015
    _WhichOneofArgType_policy_choice: _TypeAlias = _typing.Literal["policy_choice", b"policy_choice"]  # noqa: Y015
    def WhichOneof(self, oneof_group: _WhichOneofArgType_policy_choice) -> _WhichOneofReturnType_policy_choice | None: ...

Global___ModelVersionPolicy: _TypeAlias = ModelVersionPolicy  # noqa: Y015

@_typing.final
class ModelOptimizationPolicy(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    class _ModelPriority:
        ValueType = _typing.NewType("ValueType", _builtins.int)
        V: _TypeAlias = ValueType  # noqa: Y015

    class _ModelPriorityEnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[ModelOptimizationPolicy._ModelPriority.ValueType], _builtins.type):
        DESCRIPTOR: _descriptor.EnumDescriptor
        PRIORITY_DEFAULT: ModelOptimizationPolicy._ModelPriority.ValueType  # 0
        PRIORITY_MAX: ModelOptimizationPolicy._ModelPriority.ValueType  # 1
        PRIORITY_MIN: ModelOptimizationPolicy._ModelPriority.ValueType  # 2

    class ModelPriority(_ModelPriority, metaclass=_ModelPriorityEnumTypeWrapper): ...
    PRIORITY_DEFAULT: ModelOptimizationPolicy.ModelPriority.ValueType  # 0
    PRIORITY_MAX: ModelOptimizationPolicy.ModelPriority.ValueType  # 1
    PRIORITY_MIN: ModelOptimizationPolicy.ModelPriority.ValueType  # 2

    @_typing.final
    class Graph(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        LEVEL_FIELD_NUMBER: _builtins.int
        level: _builtins.int
        def __init__(
            self,
            *,
            level: _builtins.int = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["level", b"level"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class Cuda(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        @_typing.final
        class GraphSpec(_message.Message):
            DESCRIPTOR: _descriptor.Descriptor

            @_typing.final
            class Shape(_message.Message):
                DESCRIPTOR: _descriptor.Descriptor

                DIM_FIELD_NUMBER: _builtins.int
                @_builtins.property
                def dim(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
                def __init__(
                    self,
                    *,
                    dim: _abc.Iterable[_builtins.int] | None = ...,
                ) -> None: ...
                _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
                def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
                _ClearFieldArgType: _TypeAlias = _typing.Literal["dim", b"dim"]  # noqa: Y015
                def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
                def WhichOneof(self, oneof_group: _Never) -> None: ...

            @_typing.final
            class LowerBound(_message.Message):
                DESCRIPTOR: _descriptor.Descriptor

                @_typing.final
                class InputEntry(_message.Message):
                    DESCRIPTOR: _descriptor.Descriptor

                    KEY_FIELD_NUMBER: _builtins.int
                    VALUE_FIELD_NUMBER: _builtins.int
                    key: _builtins.str
                    @_builtins.property
                    def value(self) -> Global___ModelOptimizationPolicy.Cuda.GraphSpec.Shape: ...
                    def __init__(
                        self,
                        *,
                        key: _builtins.str = ...,
                        value: Global___ModelOptimizationPolicy.Cuda.GraphSpec.Shape | None = ...,
                    ) -> None: ...
                    _HasFieldArgType: _TypeAlias = _typing.Literal["value", b"value"]  # noqa: Y015
                    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
                    _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
                    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
                    def WhichOneof(self, oneof_group: _Never) -> None: ...

                BATCH_SIZE_FIELD_NUMBER: _builtins.int
                INPUT_FIELD_NUMBER: _builtins.int
                batch_size: _builtins.int
                @_builtins.property
                def input(self) -> _containers.MessageMap[_builtins.str, Global___ModelOptimizationPolicy.Cuda.GraphSpec.Shape]: ...
                def __init__(
                    self,
                    *,
                    batch_size: _builtins.int = ...,
                    input: _abc.Mapping[_builtins.str, Global___ModelOptimizationPolicy.Cuda.GraphSpec.Shape] | None = ...,
                ) -> None: ...
                _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
                def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
                _ClearFieldArgType: _TypeAlias = _typing.Literal["batch_size", b"batch_size", "input", b"input"]  # noqa: Y015
                def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
                def WhichOneof(self, oneof_group: _Never) -> None: ...

            @_typing.final
            class InputEntry(_message.Message):
                DESCRIPTOR: _descriptor.Descriptor

                KEY_FIELD_NUMBER: _builtins.int
                VALUE_FIELD_NUMBER: _builtins.int
                key: _builtins.str
                @_builtins.property
                def value(self) -> Global___ModelOptimizationPolicy.Cuda.GraphSpec.Shape: ...
                def __init__(
                    self,
                    *,
                    key: _builtins.str = ...,
                    value: Global___ModelOptimizationPolicy.Cuda.GraphSpec.Shape | None = ...,
                ) -> None: ...
                _HasFieldArgType: _TypeAlias = _typing.Literal["value", b"value"]  # noqa: Y015
                def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
                _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
                def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
                def WhichOneof(self, oneof_group: _Never) -> None: ...

            BATCH_SIZE_FIELD_NUMBER: _builtins.int
            INPUT_FIELD_NUMBER: _builtins.int
            GRAPH_LOWER_BOUND_FIELD_NUMBER: _builtins.int
            batch_size: _builtins.int
            @_builtins.property
            def input(self) -> _containers.MessageMap[_builtins.str, Global___ModelOptimizationPolicy.Cuda.GraphSpec.Shape]: ...
            @_builtins.property
            def graph_lower_bound(self) -> Global___ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound: ...
            def __init__(
                self,
                *,
                batch_size: _builtins.int = ...,
                input: _abc.Mapping[_builtins.str, Global___ModelOptimizationPolicy.Cuda.GraphSpec.Shape] | None = ...,
                graph_lower_bound: Global___ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound | None = ...,
            ) -> None: ...
            _HasFieldArgType: _TypeAlias = _typing.Literal["graph_lower_bound", b"graph_lower_bound"]  # noqa: Y015
            def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
            _ClearFieldArgType: _TypeAlias = _typing.Literal["batch_size", b"batch_size", "graph_lower_bound", b"graph_lower_bound", "input", b"input"]  # noqa: Y015
            def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
            def WhichOneof(self, oneof_group: _Never) -> None: ...

        GRAPHS_FIELD_NUMBER: _builtins.int
        BUSY_WAIT_EVENTS_FIELD_NUMBER: _builtins.int
        GRAPH_SPEC_FIELD_NUMBER: _builtins.int
        OUTPUT_COPY_STREAM_FIELD_NUMBER: _builtins.int
        graphs: _builtins.bool
        busy_wait_events: _builtins.bool
        output_copy_stream: _builtins.bool
        @_builtins.property
        def graph_spec(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelOptimizationPolicy.Cuda.GraphSpec]: ...
        def __init__(
            self,
            *,
            graphs: _builtins.bool = ...,
            busy_wait_events: _builtins.bool = ...,
            graph_spec: _abc.Iterable[Global___ModelOptimizationPolicy.Cuda.GraphSpec] | None = ...,
            output_copy_stream: _builtins.bool = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["busy_wait_events", b"busy_wait_events", "graph_spec", b"graph_spec", "graphs", b"graphs", "output_copy_stream", b"output_copy_stream"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class ExecutionAccelerators(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        @_typing.final
        class Accelerator(_message.Message):
            DESCRIPTOR: _descriptor.Descriptor

            @_typing.final
            class ParametersEntry(_message.Message):
                DESCRIPTOR: _descriptor.Descriptor

                KEY_FIELD_NUMBER: _builtins.int
                VALUE_FIELD_NUMBER: _builtins.int
                key: _builtins.str
                value: _builtins.str
                def __init__(
                    self,
                    *,
                    key: _builtins.str = ...,
                    value: _builtins.str = ...,
                ) -> None: ...
                _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
                def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
                _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
                def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
                def WhichOneof(self, oneof_group: _Never) -> None: ...

            NAME_FIELD_NUMBER: _builtins.int
            PARAMETERS_FIELD_NUMBER: _builtins.int
            name: _builtins.str
            @_builtins.property
            def parameters(self) -> _containers.ScalarMap[_builtins.str, _builtins.str]: ...
            def __init__(
                self,
                *,
                name: _builtins.str = ...,
                parameters: _abc.Mapping[_builtins.str, _builtins.str] | None = ...,
            ) -> None: ...
            _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
            def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
            _ClearFieldArgType: _TypeAlias = _typing.Literal["name", b"name", "parameters", b"parameters"]  # noqa: Y015
            def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
            def WhichOneof(self, oneof_group: _Never) -> None: ...

        GPU_EXECUTION_ACCELERATOR_FIELD_NUMBER: _builtins.int
        CPU_EXECUTION_ACCELERATOR_FIELD_NUMBER: _builtins.int
        @_builtins.property
        def gpu_execution_accelerator(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelOptimizationPolicy.ExecutionAccelerators.Accelerator]: ...
        @_builtins.property
        def cpu_execution_accelerator(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelOptimizationPolicy.ExecutionAccelerators.Accelerator]: ...
        def __init__(
            self,
            *,
            gpu_execution_accelerator: _abc.Iterable[Global___ModelOptimizationPolicy.ExecutionAccelerators.Accelerator] | None = ...,
            cpu_execution_accelerator: _abc.Iterable[Global___ModelOptimizationPolicy.ExecutionAccelerators.Accelerator] | None = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["cpu_execution_accelerator", b"cpu_execution_accelerator", "gpu_execution_accelerator", b"gpu_execution_accelerator"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class PinnedMemoryBuffer(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        ENABLE_FIELD_NUMBER: _builtins.int
        enable: _builtins.bool
        def __init__(
            self,
            *,
            enable: _builtins.bool = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["enable", b"enable"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    GRAPH_FIELD_NUMBER: _builtins.int
    PRIORITY_FIELD_NUMBER: _builtins.int
    CUDA_FIELD_NUMBER: _builtins.int
    EXECUTION_ACCELERATORS_FIELD_NUMBER: _builtins.int
    INPUT_PINNED_MEMORY_FIELD_NUMBER: _builtins.int
    OUTPUT_PINNED_MEMORY_FIELD_NUMBER: _builtins.int
    GATHER_KERNEL_BUFFER_THRESHOLD_FIELD_NUMBER: _builtins.int
    EAGER_BATCHING_FIELD_NUMBER: _builtins.int
    priority: Global___ModelOptimizationPolicy.ModelPriority.ValueType
    gather_kernel_buffer_threshold: _builtins.int
    eager_batching: _builtins.bool
    @_builtins.property
    def graph(self) -> Global___ModelOptimizationPolicy.Graph: ...
    @_builtins.property
    def cuda(self) -> Global___ModelOptimizationPolicy.Cuda: ...
    @_builtins.property
    def execution_accelerators(self) -> Global___ModelOptimizationPolicy.ExecutionAccelerators: ...
    @_builtins.property
    def input_pinned_memory(self) -> Global___ModelOptimizationPolicy.PinnedMemoryBuffer: ...
    @_builtins.property
    def output_pinned_memory(self) -> Global___ModelOptimizationPolicy.PinnedMemoryBuffer: ...
    def __init__(
        self,
        *,
        graph: Global___ModelOptimizationPolicy.Graph | None = ...,
        priority: Global___ModelOptimizationPolicy.ModelPriority.ValueType = ...,
        cuda: Global___ModelOptimizationPolicy.Cuda | None = ...,
        execution_accelerators: Global___ModelOptimizationPolicy.ExecutionAccelerators | None = ...,
        input_pinned_memory: Global___ModelOptimizationPolicy.PinnedMemoryBuffer | None = ...,
        output_pinned_memory: Global___ModelOptimizationPolicy.PinnedMemoryBuffer | None = ...,
        gather_kernel_buffer_threshold: _builtins.int = ...,
        eager_batching: _builtins.bool = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _typing.Literal["cuda", b"cuda", "execution_accelerators", b"execution_accelerators", "graph", b"graph", "input_pinned_memory", b"input_pinned_memory", "output_pinned_memory", b"output_pinned_memory"]  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["cuda", b"cuda", "eager_batching", b"eager_batching", "execution_accelerators", b"execution_accelerators", "gather_kernel_buffer_threshold", b"gather_kernel_buffer_threshold", "graph", b"graph", "input_pinned_memory", b"input_pinned_memory", "output_pinned_memory", b"output_pinned_memory", "priority", b"priority"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelOptimizationPolicy: _TypeAlias = ModelOptimizationPolicy  # noqa: Y015

@_typing.final
class ModelQueuePolicy(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    class _TimeoutAction:
        ValueType = _typing.NewType("ValueType", _builtins.int)
        V: _TypeAlias = ValueType  # noqa: Y015

    class _TimeoutActionEnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[ModelQueuePolicy._TimeoutAction.ValueType], _builtins.type):
        DESCRIPTOR: _descriptor.EnumDescriptor
        REJECT: ModelQueuePolicy._TimeoutAction.ValueType  # 0
        DELAY: ModelQueuePolicy._TimeoutAction.ValueType  # 1

    class TimeoutAction(_TimeoutAction, metaclass=_TimeoutActionEnumTypeWrapper): ...
    REJECT: ModelQueuePolicy.TimeoutAction.ValueType  # 0
    DELAY: ModelQueuePolicy.TimeoutAction.ValueType  # 1

    TIMEOUT_ACTION_FIELD_NUMBER: _builtins.int
    DEFAULT_TIMEOUT_MICROSECONDS_FIELD_NUMBER: _builtins.int
    ALLOW_TIMEOUT_OVERRIDE_FIELD_NUMBER: _builtins.int
    MAX_QUEUE_SIZE_FIELD_NUMBER: _builtins.int
    timeout_action: Global___ModelQueuePolicy.TimeoutAction.ValueType
    default_timeout_microseconds: _builtins.int
    allow_timeout_override: _builtins.bool
    max_queue_size: _builtins.int
    def __init__(
        self,
        *,
        timeout_action: Global___ModelQueuePolicy.TimeoutAction.ValueType = ...,
        default_timeout_microseconds: _builtins.int = ...,
        allow_timeout_override: _builtins.bool = ...,
        max_queue_size: _builtins.int = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["allow_timeout_override", b"allow_timeout_override", "default_timeout_microseconds", b"default_timeout_microseconds", "max_queue_size", b"max_queue_size", "timeout_action", b"timeout_action"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelQueuePolicy: _TypeAlias = ModelQueuePolicy  # noqa: Y015

@_typing.final
class ModelDynamicBatching(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    @_typing.final
    class PriorityQueuePolicyEntry(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        KEY_FIELD_NUMBER: _builtins.int
        VALUE_FIELD_NUMBER: _builtins.int
        key: _builtins.int
        @_builtins.property
        def value(self) -> Global___ModelQueuePolicy: ...
        def __init__(
            self,
            *,
            key: _builtins.int = ...,
            value: Global___ModelQueuePolicy | None = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _typing.Literal["value", b"value"]  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    PREFERRED_BATCH_SIZE_FIELD_NUMBER: _builtins.int
    MAX_QUEUE_DELAY_MICROSECONDS_FIELD_NUMBER: _builtins.int
    PRESERVE_ORDERING_FIELD_NUMBER: _builtins.int
    PRIORITY_LEVELS_FIELD_NUMBER: _builtins.int
    DEFAULT_PRIORITY_LEVEL_FIELD_NUMBER: _builtins.int
    DEFAULT_QUEUE_POLICY_FIELD_NUMBER: _builtins.int
    PRIORITY_QUEUE_POLICY_FIELD_NUMBER: _builtins.int
    max_queue_delay_microseconds: _builtins.int
    preserve_ordering: _builtins.bool
    priority_levels: _builtins.int
    default_priority_level: _builtins.int
    @_builtins.property
    def preferred_batch_size(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
    @_builtins.property
    def default_queue_policy(self) -> Global___ModelQueuePolicy: ...
    @_builtins.property
    def priority_queue_policy(self) -> _containers.MessageMap[_builtins.int, Global___ModelQueuePolicy]: ...
    def __init__(
        self,
        *,
        preferred_batch_size: _abc.Iterable[_builtins.int] | None = ...,
        max_queue_delay_microseconds: _builtins.int = ...,
        preserve_ordering: _builtins.bool = ...,
        priority_levels: _builtins.int = ...,
        default_priority_level: _builtins.int = ...,
        default_queue_policy: Global___ModelQueuePolicy | None = ...,
        priority_queue_policy: _abc.Mapping[_builtins.int, Global___ModelQueuePolicy] | None = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _typing.Literal["default_queue_policy", b"default_queue_policy"]  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["default_priority_level", b"default_priority_level", "default_queue_policy", b"default_queue_policy", "max_queue_delay_microseconds", b"max_queue_delay_microseconds", "preferred_batch_size", b"preferred_batch_size", "preserve_ordering", b"preserve_ordering", "priority_levels", b"priority_levels", "priority_queue_policy", b"priority_queue_policy"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelDynamicBatching: _TypeAlias = ModelDynamicBatching  # noqa: Y015

@_typing.final
class ModelSequenceBatching(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    @_typing.final
    class Control(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        class _Kind:
            ValueType = _typing.NewType("ValueType", _builtins.int)
            V: _TypeAlias = ValueType  # noqa: Y015

        class _KindEnumTypeWrapper(_enum_type_wrapper._EnumTypeWrapper[ModelSequenceBatching.Control._Kind.ValueType], _builtins.type):
            DESCRIPTOR: _descriptor.EnumDescriptor
            CONTROL_SEQUENCE_START: ModelSequenceBatching.Control._Kind.ValueType  # 0
            CONTROL_SEQUENCE_READY: ModelSequenceBatching.Control._Kind.ValueType  # 1
            CONTROL_SEQUENCE_END: ModelSequenceBatching.Control._Kind.ValueType  # 2
            CONTROL_SEQUENCE_CORRID: ModelSequenceBatching.Control._Kind.ValueType  # 3

        class Kind(_Kind, metaclass=_KindEnumTypeWrapper): ...
        CONTROL_SEQUENCE_START: ModelSequenceBatching.Control.Kind.ValueType  # 0
        CONTROL_SEQUENCE_READY: ModelSequenceBatching.Control.Kind.ValueType  # 1
        CONTROL_SEQUENCE_END: ModelSequenceBatching.Control.Kind.ValueType  # 2
        CONTROL_SEQUENCE_CORRID: ModelSequenceBatching.Control.Kind.ValueType  # 3

        KIND_FIELD_NUMBER: _builtins.int
        INT32_FALSE_TRUE_FIELD_NUMBER: _builtins.int
        FP32_FALSE_TRUE_FIELD_NUMBER: _builtins.int
        BOOL_FALSE_TRUE_FIELD_NUMBER: _builtins.int
        DATA_TYPE_FIELD_NUMBER: _builtins.int
        kind: Global___ModelSequenceBatching.Control.Kind.ValueType
        data_type: Global___DataType.ValueType
        @_builtins.property
        def int32_false_true(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
        @_builtins.property
        def fp32_false_true(self) -> _containers.RepeatedScalarFieldContainer[_builtins.float]: ...
        @_builtins.property
        def bool_false_true(self) -> _containers.RepeatedScalarFieldContainer[_builtins.bool]: ...
        def __init__(
            self,
            *,
            kind: Global___ModelSequenceBatching.Control.Kind.ValueType = ...,
            int32_false_true: _abc.Iterable[_builtins.int] | None = ...,
            fp32_false_true: _abc.Iterable[_builtins.float] | None = ...,
            bool_false_true: _abc.Iterable[_builtins.bool] | None = ...,
            data_type: Global___DataType.ValueType = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["bool_false_true", b"bool_false_true", "data_type", b"data_type", "fp32_false_true", b"fp32_false_true", "int32_false_true", b"int32_false_true", "kind", b"kind"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class ControlInput(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        NAME_FIELD_NUMBER: _builtins.int
        CONTROL_FIELD_NUMBER: _builtins.int
        name: _builtins.str
        @_builtins.property
        def control(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelSequenceBatching.Control]: ...
        def __init__(
            self,
            *,
            name: _builtins.str = ...,
            control: _abc.Iterable[Global___ModelSequenceBatching.Control] | None = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["control", b"control", "name", b"name"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class InitialState(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        DATA_TYPE_FIELD_NUMBER: _builtins.int
        DIMS_FIELD_NUMBER: _builtins.int
        ZERO_DATA_FIELD_NUMBER: _builtins.int
        DATA_FILE_FIELD_NUMBER: _builtins.int
        NAME_FIELD_NUMBER: _builtins.int
        data_type: Global___DataType.ValueType
        zero_data: _builtins.bool
        data_file: _builtins.str
        name: _builtins.str
        @_builtins.property
        def dims(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
        def __init__(
            self,
            *,
            data_type: Global___DataType.ValueType = ...,
            dims: _abc.Iterable[_builtins.int] | None = ...,
            zero_data: _builtins.bool = ...,
            data_file: _builtins.str = ...,
            name: _builtins.str = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _typing.Literal["data_file", b"data_file", "state_data", b"state_data", "zero_data", b"zero_data"]  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["data_file", b"data_file", "data_type", b"data_type", "dims", b"dims", "name", b"name", "state_data", b"state_data", "zero_data", b"zero_data"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        _WhichOneofReturnType_state_data: _TypeAlias = _typing.Literal["zero_data", "data_file"]  # noqa: Y015
        _WhichOneofArgType_state_data: _TypeAlias = _typing.Literal["state_data", b"state_data"]  # noqa: Y015
        def WhichOneof(self, oneof_group: _WhichOneofArgType_state_data) -> _WhichOneofReturnType_state_data | None: ...

    @_typing.final
    class State(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        INPUT_NAME_FIELD_NUMBER: _builtins.int
        OUTPUT_NAME_FIELD_NUMBER: _builtins.int
        DATA_TYPE_FIELD_NUMBER: _builtins.int
        DIMS_FIELD_NUMBER: _builtins.int
        INITIAL_STATE_FIELD_NUMBER: _builtins.int
        USE_SAME_BUFFER_FOR_INPUT_OUTPUT_FIELD_NUMBER: _builtins.int
        USE_GROWABLE_MEMORY_FIELD_NUMBER: _builtins.int
        input_name: _builtins.str
        output_name: _builtins.str
        data_type: Global___DataType.ValueType
        use_same_buffer_for_input_output: _builtins.bool
        use_growable_memory: _builtins.bool
        @_builtins.property
        def dims(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
        @_builtins.property
        def initial_state(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelSequenceBatching.InitialState]: ...
        def __init__(
            self,
            *,
            input_name: _builtins.str = ...,
            output_name: _builtins.str = ...,
            data_type: Global___DataType.ValueType = ...,
            dims: _abc.Iterable[_builtins.int] | None = ...,
            initial_state: _abc.Iterable[Global___ModelSequenceBatching.InitialState] | None = ...,
            use_same_buffer_for_input_output: _builtins.bool = ...,
            use_growable_memory: _builtins.bool = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["data_type", b"data_type", "dims", b"dims", "initial_state", b"initial_state", "input_name", b"input_name", "output_name", b"output_name", "use_growable_memory", b"use_growable_memory", "use_same_buffer_for_input_output", b"use_same_buffer_for_input_output"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class StrategyDirect(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        MAX_QUEUE_DELAY_MICROSECONDS_FIELD_NUMBER: _builtins.int
        MINIMUM_SLOT_UTILIZATION_FIELD_NUMBER: _builtins.int
        max_queue_delay_microseconds: _builtins.int
        minimum_slot_utilization: _builtins.float
        def __init__(
            self,
            *,
            max_queue_delay_microseconds: _builtins.int = ...,
            minimum_slot_utilization: _builtins.float = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["max_queue_delay_microseconds", b"max_queue_delay_microseconds", "minimum_slot_utilization", b"minimum_slot_utilization"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class StrategyOldest(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        MAX_CANDIDATE_SEQUENCES_FIELD_NUMBER: _builtins.int
        PREFERRED_BATCH_SIZE_FIELD_NUMBER: _builtins.int
        MAX_QUEUE_DELAY_MICROSECONDS_FIELD_NUMBER: _builtins.int
        PRESERVE_ORDERING_FIELD_NUMBER: _builtins.int
        max_candidate_sequences: _builtins.int
        max_queue_delay_microseconds: _builtins.int
        preserve_ordering: _builtins.bool
        @_builtins.property
        def preferred_batch_size(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
        def __init__(
            self,
            *,
            max_candidate_sequences: _builtins.int = ...,
            preferred_batch_size: _abc.Iterable[_builtins.int] | None = ...,
            max_queue_delay_microseconds: _builtins.int = ...,
            preserve_ordering: _builtins.bool = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["max_candidate_sequences", b"max_candidate_sequences", "max_queue_delay_microseconds", b"max_queue_delay_microseconds", "preferred_batch_size", b"preferred_batch_size", "preserve_ordering", b"preserve_ordering"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    DIRECT_FIELD_NUMBER: _builtins.int
    OLDEST_FIELD_NUMBER: _builtins.int
    MAX_SEQUENCE_IDLE_MICROSECONDS_FIELD_NUMBER: _builtins.int
    CONTROL_INPUT_FIELD_NUMBER: _builtins.int
    STATE_FIELD_NUMBER: _builtins.int
    ITERATIVE_SEQUENCE_FIELD_NUMBER: _builtins.int
    max_sequence_idle_microseconds: _builtins.int
    iterative_sequence: _builtins.bool
    @_builtins.property
    def direct(self) -> Global___ModelSequenceBatching.StrategyDirect: ...
    @_builtins.property
    def oldest(self) -> Global___ModelSequenceBatching.StrategyOldest: ...
    @_builtins.property
    def control_input(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelSequenceBatching.ControlInput]: ...
    @_builtins.property
    def state(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelSequenceBatching.State]: ...
    def __init__(
        self,
        *,
        direct: Global___ModelSequenceBatching.StrategyDirect | None = ...,
        oldest: Global___ModelSequenceBatching.StrategyOldest | None = ...,
        max_sequence_idle_microseconds: _builtins.int = ...,
        control_input: _abc.Iterable[Global___ModelSequenceBatching.ControlInput] | None = ...,
        state: _abc.Iterable[Global___ModelSequenceBatching.State] | None = ...,
        iterative_sequence: _builtins.bool = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _typing.Literal["direct", b"direct", "oldest", b"oldest", "strategy_choice", b"strategy_choice"]  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["control_input", b"control_input", "direct", b"direct", "iterative_sequence", b"iterative_sequence", "max_sequence_idle_microseconds", b"max_sequence_idle_microseconds", "oldest", b"oldest", "state", b"state", "strategy_choice", b"strategy_choice"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    _WhichOneofReturnType_strategy_choice: _TypeAlias = _typing.Literal["direct", "oldest"]  # noqa: Y015
    _WhichOneofArgType_strategy_choice: _TypeAlias = _typing.Literal["strategy_choice", b"strategy_choice"]  # noqa: Y015
    def WhichOneof(self, oneof_group: _WhichOneofArgType_strategy_choice) -> _WhichOneofReturnType_strategy_choice | None: ...

Global___ModelSequenceBatching: _TypeAlias = ModelSequenceBatching  # noqa: Y015

@_typing.final
class ModelEnsembling(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    @_typing.final
    class Step(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        @_typing.final
        class InputMapEntry(_message.Message):
            DESCRIPTOR: _descriptor.Descriptor

            KEY_FIELD_NUMBER: _builtins.int
            VALUE_FIELD_NUMBER: _builtins.int
            key: _builtins.str
            value: _builtins.str
            def __init__(
                self,
                *,
                key: _builtins.str = ...,
                value: _builtins.str = ...,
            ) -> None: ...
            _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
            def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
            _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
            def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
            def WhichOneof(self, oneof_group: _Never) -> None: ...

        @_typing.final
        class OutputMapEntry(_message.Message):
            DESCRIPTOR: _descriptor.Descriptor

            KEY_FIELD_NUMBER: _builtins.int
            VALUE_FIELD_NUMBER: _builtins.int
            key: _builtins.str
            value: _builtins.str
            def __init__(
                self,
                *,
                key: _builtins.str = ...,
                value: _builtins.str = ...,
            ) -> None: ...
            _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
            def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
            _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
            def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
            def WhichOneof(self, oneof_group: _Never) -> None: ...

        MODEL_NAME_FIELD_NUMBER: _builtins.int
        MODEL_VERSION_FIELD_NUMBER: _builtins.int
        INPUT_MAP_FIELD_NUMBER: _builtins.int
        OUTPUT_MAP_FIELD_NUMBER: _builtins.int
        MODEL_NAMESPACE_FIELD_NUMBER: _builtins.int
        model_name: _builtins.str
        model_version: _builtins.int
        model_namespace: _builtins.str
        @_builtins.property
        def input_map(self) -> _containers.ScalarMap[_builtins.str, _builtins.str]: ...
        @_builtins.property
        def output_map(self) -> _containers.ScalarMap[_builtins.str, _builtins.str]: ...
        def __init__(
            self,
            *,
            model_name: _builtins.str = ...,
            model_version: _builtins.int = ...,
            input_map: _abc.Mapping[_builtins.str, _builtins.str] | None = ...,
            output_map: _abc.Mapping[_builtins.str, _builtins.str] | None = ...,
            model_namespace: _builtins.str = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["input_map", b"input_map", "model_name", b"model_name", "model_namespace", b"model_namespace", "model_version", b"model_version", "output_map", b"output_map"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    STEP_FIELD_NUMBER: _builtins.int
    MAX_INFLIGHT_REQUESTS_FIELD_NUMBER: _builtins.int
    max_inflight_requests: _builtins.int
    @_builtins.property
    def step(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelEnsembling.Step]: ...
    def __init__(
        self,
        *,
        step: _abc.Iterable[Global___ModelEnsembling.Step] | None = ...,
        max_inflight_requests: _builtins.int = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["max_inflight_requests", b"max_inflight_requests", "step", b"step"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelEnsembling: _TypeAlias = ModelEnsembling  # noqa: Y015

@_typing.final
class ModelParameter(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    STRING_VALUE_FIELD_NUMBER: _builtins.int
    string_value: _builtins.str
    def __init__(
        self,
        *,
        string_value: _builtins.str = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["string_value", b"string_value"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelParameter: _TypeAlias = ModelParameter  # noqa: Y015

@_typing.final
class ModelWarmup(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    @_typing.final
    class Input(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        DATA_TYPE_FIELD_NUMBER: _builtins.int
        DIMS_FIELD_NUMBER: _builtins.int
        ZERO_DATA_FIELD_NUMBER: _builtins.int
        RANDOM_DATA_FIELD_NUMBER: _builtins.int
        INPUT_DATA_FILE_FIELD_NUMBER: _builtins.int
        data_type: Global___DataType.ValueType
        zero_data: _builtins.bool
        random_data: _builtins.bool
        input_data_file: _builtins.str
        @_builtins.property
        def dims(self) -> _containers.RepeatedScalarFieldContainer[_builtins.int]: ...
        def __init__(
            self,
            *,
            data_type: Global___DataType.ValueType = ...,
            dims: _abc.Iterable[_builtins.int] | None = ...,
            zero_data: _builtins.bool = ...,
            random_data: _builtins.bool = ...,
            input_data_file: _builtins.str = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _typing.Literal["input_data_file", b"input_data_file", "input_data_type", b"input_data_type", "random_data", b"random_data", "zero_data", b"zero_data"]  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["data_type", b"data_type", "dims", b"dims", "input_data_file", b"input_data_file", "input_data_type", b"input_data_type", "random_data", b"random_data", "zero_data", b"zero_data"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        _WhichOneofReturnType_input_data_type: _TypeAlias = _typing.Literal["zero_data", "random_data", "input_data_file"]  # noqa: Y015
        _WhichOneofArgType_input_data_type: _TypeAlias = _typing.Literal["input_data_type", b"input_data_type"]  # noqa: Y015
        def WhichOneof(self, oneof_group: _WhichOneofArgType_input_data_type) -> _WhichOneofReturnType_input_data_type | None: ...

    @_typing.final
    class InputsEntry(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        KEY_FIELD_NUMBER: _builtins.int
        VALUE_FIELD_NUMBER: _builtins.int
        key: _builtins.str
        @_builtins.property
        def value(self) -> Global___ModelWarmup.Input: ...
        def __init__(
            self,
            *,
            key: _builtins.str = ...,
            value: Global___ModelWarmup.Input | None = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _typing.Literal["value", b"value"]  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    NAME_FIELD_NUMBER: _builtins.int
    BATCH_SIZE_FIELD_NUMBER: _builtins.int
    INPUTS_FIELD_NUMBER: _builtins.int
    COUNT_FIELD_NUMBER: _builtins.int
    name: _builtins.str
    batch_size: _builtins.int
    count: _builtins.int
    @_builtins.property
    def inputs(self) -> _containers.MessageMap[_builtins.str, Global___ModelWarmup.Input]: ...
    def __init__(
        self,
        *,
        name: _builtins.str = ...,
        batch_size: _builtins.int = ...,
        inputs: _abc.Mapping[_builtins.str, Global___ModelWarmup.Input] | None = ...,
        count: _builtins.int = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["batch_size", b"batch_size", "count", b"count", "inputs", b"inputs", "name", b"name"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelWarmup: _TypeAlias = ModelWarmup  # noqa: Y015

@_typing.final
class ModelOperations(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    OP_LIBRARY_FILENAME_FIELD_NUMBER: _builtins.int
    @_builtins.property
    def op_library_filename(self) -> _containers.RepeatedScalarFieldContainer[_builtins.str]: ...
    def __init__(
        self,
        *,
        op_library_filename: _abc.Iterable[_builtins.str] | None = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["op_library_filename", b"op_library_filename"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelOperations: _TypeAlias = ModelOperations  # noqa: Y015

@_typing.final
class ModelTransactionPolicy(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    DECOUPLED_FIELD_NUMBER: _builtins.int
    decoupled: _builtins.bool
    def __init__(
        self,
        *,
        decoupled: _builtins.bool = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["decoupled", b"decoupled"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelTransactionPolicy: _TypeAlias = ModelTransactionPolicy  # noqa: Y015

@_typing.final
class ModelRepositoryAgents(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    @_typing.final
    class Agent(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        @_typing.final
        class ParametersEntry(_message.Message):
            DESCRIPTOR: _descriptor.Descriptor

            KEY_FIELD_NUMBER: _builtins.int
            VALUE_FIELD_NUMBER: _builtins.int
            key: _builtins.str
            value: _builtins.str
            def __init__(
                self,
                *,
                key: _builtins.str = ...,
                value: _builtins.str = ...,
            ) -> None: ...
            _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
            def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
            _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
            def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
            def WhichOneof(self, oneof_group: _Never) -> None: ...

        NAME_FIELD_NUMBER: _builtins.int
        PARAMETERS_FIELD_NUMBER: _builtins.int
        name: _builtins.str
        @_builtins.property
        def parameters(self) -> _containers.ScalarMap[_builtins.str, _builtins.str]: ...
        def __init__(
            self,
            *,
            name: _builtins.str = ...,
            parameters: _abc.Mapping[_builtins.str, _builtins.str] | None = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["name", b"name", "parameters", b"parameters"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    AGENTS_FIELD_NUMBER: _builtins.int
    @_builtins.property
    def agents(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelRepositoryAgents.Agent]: ...
    def __init__(
        self,
        *,
        agents: _abc.Iterable[Global___ModelRepositoryAgents.Agent] | None = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["agents", b"agents"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelRepositoryAgents: _TypeAlias = ModelRepositoryAgents  # noqa: Y015

@_typing.final
class ModelResponseCache(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    ENABLE_FIELD_NUMBER: _builtins.int
    enable: _builtins.bool
    def __init__(
        self,
        *,
        enable: _builtins.bool = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["enable", b"enable"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelResponseCache: _TypeAlias = ModelResponseCache  # noqa: Y015

@_typing.final
class ModelMetrics(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    @_typing.final
    class MetricControl(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        @_typing.final
        class MetricIdentifier(_message.Message):
            DESCRIPTOR: _descriptor.Descriptor

            FAMILY_FIELD_NUMBER: _builtins.int
            family: _builtins.str
            def __init__(
                self,
                *,
                family: _builtins.str = ...,
            ) -> None: ...
            _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
            def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
            _ClearFieldArgType: _TypeAlias = _typing.Literal["family", b"family"]  # noqa: Y015
            def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
            def WhichOneof(self, oneof_group: _Never) -> None: ...

        @_typing.final
        class HistogramOptions(_message.Message):
            DESCRIPTOR: _descriptor.Descriptor

            BUCKETS_FIELD_NUMBER: _builtins.int
            @_builtins.property
            def buckets(self) -> _containers.RepeatedScalarFieldContainer[_builtins.float]: ...
            def __init__(
                self,
                *,
                buckets: _abc.Iterable[_builtins.float] | None = ...,
            ) -> None: ...
            _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
            def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
            _ClearFieldArgType: _TypeAlias = _typing.Literal["buckets", b"buckets"]  # noqa: Y015
            def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
            def WhichOneof(self, oneof_group: _Never) -> None: ...

        METRIC_IDENTIFIER_FIELD_NUMBER: _builtins.int
        HISTOGRAM_OPTIONS_FIELD_NUMBER: _builtins.int
        @_builtins.property
        def metric_identifier(self) -> Global___ModelMetrics.MetricControl.MetricIdentifier: ...
        @_builtins.property
        def histogram_options(self) -> Global___ModelMetrics.MetricControl.HistogramOptions: ...
        def __init__(
            self,
            *,
            metric_identifier: Global___ModelMetrics.MetricControl.MetricIdentifier | None = ...,
            histogram_options: Global___ModelMetrics.MetricControl.HistogramOptions | None = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _typing.Literal["histogram_options", b"histogram_options", "metric_identifier", b"metric_identifier", "metric_options", b"metric_options"]  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["histogram_options", b"histogram_options", "metric_identifier", b"metric_identifier", "metric_options", b"metric_options"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        _WhichOneofReturnType_metric_options: _TypeAlias = _typing.Literal["histogram_options"]  # noqa: Y015
        _WhichOneofArgType_metric_options: _TypeAlias = _typing.Literal["metric_options", b"metric_options"]  # noqa: Y015
        def WhichOneof(self, oneof_group: _WhichOneofArgType_metric_options) -> _WhichOneofReturnType_metric_options | None: ...

    METRIC_CONTROL_FIELD_NUMBER: _builtins.int
    @_builtins.property
    def metric_control(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelMetrics.MetricControl]: ...
    def __init__(
        self,
        *,
        metric_control: _abc.Iterable[Global___ModelMetrics.MetricControl] | None = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["metric_control", b"metric_control"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    def WhichOneof(self, oneof_group: _Never) -> None: ...

Global___ModelMetrics: _TypeAlias = ModelMetrics  # noqa: Y015

@_typing.final
class ModelConfig(_message.Message):
    DESCRIPTOR: _descriptor.Descriptor

    @_typing.final
    class CcModelFilenamesEntry(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        KEY_FIELD_NUMBER: _builtins.int
        VALUE_FIELD_NUMBER: _builtins.int
        key: _builtins.str
        value: _builtins.str
        def __init__(
            self,
            *,
            key: _builtins.str = ...,
            value: _builtins.str = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class MetricTagsEntry(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        KEY_FIELD_NUMBER: _builtins.int
        VALUE_FIELD_NUMBER: _builtins.int
        key: _builtins.str
        value: _builtins.str
        def __init__(
            self,
            *,
            key: _builtins.str = ...,
            value: _builtins.str = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _Never  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    @_typing.final
    class ParametersEntry(_message.Message):
        DESCRIPTOR: _descriptor.Descriptor

        KEY_FIELD_NUMBER: _builtins.int
        VALUE_FIELD_NUMBER: _builtins.int
        key: _builtins.str
        @_builtins.property
        def value(self) -> Global___ModelParameter: ...
        def __init__(
            self,
            *,
            key: _builtins.str = ...,
            value: Global___ModelParameter | None = ...,
        ) -> None: ...
        _HasFieldArgType: _TypeAlias = _typing.Literal["value", b"value"]  # noqa: Y015
        def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
        _ClearFieldArgType: _TypeAlias = _typing.Literal["key", b"key", "value", b"value"]  # noqa: Y015
        def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
        def WhichOneof(self, oneof_group: _Never) -> None: ...

    NAME_FIELD_NUMBER: _builtins.int
    PLATFORM_FIELD_NUMBER: _builtins.int
    BACKEND_FIELD_NUMBER: _builtins.int
    RUNTIME_FIELD_NUMBER: _builtins.int
    VERSION_POLICY_FIELD_NUMBER: _builtins.int
    MAX_BATCH_SIZE_FIELD_NUMBER: _builtins.int
    INPUT_FIELD_NUMBER: _builtins.int
    OUTPUT_FIELD_NUMBER: _builtins.int
    BATCH_INPUT_FIELD_NUMBER: _builtins.int
    BATCH_OUTPUT_FIELD_NUMBER: _builtins.int
    OPTIMIZATION_FIELD_NUMBER: _builtins.int
    DYNAMIC_BATCHING_FIELD_NUMBER: _builtins.int
    SEQUENCE_BATCHING_FIELD_NUMBER: _builtins.int
    ENSEMBLE_SCHEDULING_FIELD_NUMBER: _builtins.int
    INSTANCE_GROUP_FIELD_NUMBER: _builtins.int
    DEFAULT_MODEL_FILENAME_FIELD_NUMBER: _builtins.int
    CC_MODEL_FILENAMES_FIELD_NUMBER: _builtins.int
    METRIC_TAGS_FIELD_NUMBER: _builtins.int
    PARAMETERS_FIELD_NUMBER: _builtins.int
    MODEL_WARMUP_FIELD_NUMBER: _builtins.int
    MODEL_OPERATIONS_FIELD_NUMBER: _builtins.int
    MODEL_TRANSACTION_POLICY_FIELD_NUMBER: _builtins.int
    MODEL_REPOSITORY_AGENTS_FIELD_NUMBER: _builtins.int
    RESPONSE_CACHE_FIELD_NUMBER: _builtins.int
    MODEL_METRICS_FIELD_NUMBER: _builtins.int
    name: _builtins.str
    platform: _builtins.str
    backend: _builtins.str
    runtime: _builtins.str
    max_batch_size: _builtins.int
    default_model_filename: _builtins.str
    @_builtins.property
    def version_policy(self) -> Global___ModelVersionPolicy: ...
    @_builtins.property
    def input(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelInput]: ...
    @_builtins.property
    def output(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelOutput]: ...
    @_builtins.property
    def batch_input(self) -> _containers.RepeatedCompositeFieldContainer[Global___BatchInput]: ...
    @_builtins.property
    def batch_output(self) -> _containers.RepeatedCompositeFieldContainer[Global___BatchOutput]: ...
    @_builtins.property
    def optimization(self) -> Global___ModelOptimizationPolicy: ...
    @_builtins.property
    def dynamic_batching(self) -> Global___ModelDynamicBatching: ...
    @_builtins.property
    def sequence_batching(self) -> Global___ModelSequenceBatching: ...
    @_builtins.property
    def ensemble_scheduling(self) -> Global___ModelEnsembling: ...
    @_builtins.property
    def instance_group(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelInstanceGroup]: ...
    @_builtins.property
    def cc_model_filenames(self) -> _containers.ScalarMap[_builtins.str, _builtins.str]: ...
    @_builtins.property
    def metric_tags(self) -> _containers.ScalarMap[_builtins.str, _builtins.str]: ...
    @_builtins.property
    def parameters(self) -> _containers.MessageMap[_builtins.str, Global___ModelParameter]: ...
    @_builtins.property
    def model_warmup(self) -> _containers.RepeatedCompositeFieldContainer[Global___ModelWarmup]: ...
    @_builtins.property
    def model_operations(self) -> Global___ModelOperations: ...
    @_builtins.property
    def model_transaction_policy(self) -> Global___ModelTransactionPolicy: ...
    @_builtins.property
    def model_repository_agents(self) -> Global___ModelRepositoryAgents: ...
    @_builtins.property
    def response_cache(self) -> Global___ModelResponseCache: ...
    @_builtins.property
    def model_metrics(self) -> Global___ModelMetrics: ...
    def __init__(
        self,
        *,
        name: _builtins.str = ...,
        platform: _builtins.str = ...,
        backend: _builtins.str = ...,
        runtime: _builtins.str = ...,
        version_policy: Global___ModelVersionPolicy | None = ...,
        max_batch_size: _builtins.int = ...,
        input: _abc.Iterable[Global___ModelInput] | None = ...,
        output: _abc.Iterable[Global___ModelOutput] | None = ...,
        batch_input: _abc.Iterable[Global___BatchInput] | None = ...,
        batch_output: _abc.Iterable[Global___BatchOutput] | None = ...,
        optimization: Global___ModelOptimizationPolicy | None = ...,
        dynamic_batching: Global___ModelDynamicBatching | None = ...,
        sequence_batching: Global___ModelSequenceBatching | None = ...,
        ensemble_scheduling: Global___ModelEnsembling | None = ...,
        instance_group: _abc.Iterable[Global___ModelInstanceGroup] | None = ...,
        default_model_filename: _builtins.str = ...,
        cc_model_filenames: _abc.Mapping[_builtins.str, _builtins.str] | None = ...,
        metric_tags: _abc.Mapping[_builtins.str, _builtins.str] | None = ...,
        parameters: _abc.Mapping[_builtins.str, Global___ModelParameter] | None = ...,
        model_warmup: _abc.Iterable[Global___ModelWarmup] | None = ...,
        model_operations: Global___ModelOperations | None = ...,
        model_transaction_policy: Global___ModelTransactionPolicy | None = ...,
        model_repository_agents: Global___ModelRepositoryAgents | None = ...,
        response_cache: Global___ModelResponseCache | None = ...,
        model_metrics: Global___ModelMetrics | None = ...,
    ) -> None: ...
    _HasFieldArgType: _TypeAlias = _typing.Literal["dynamic_batching", b"dynamic_batching", "ensemble_scheduling", b"ensemble_scheduling", "model_metrics", b"model_metrics", "model_operations", b"model_operations", "model_repository_agents", b"model_repository_agents", "model_transaction_policy", b"model_transaction_policy", "optimization", b"optimization", "response_cache", b"response_cache", "scheduling_choice", b"scheduling_choice", "sequence_batching", b"sequence_batching", "version_policy", b"version_policy"]  # noqa: Y015
    def HasField(self, field_name: _HasFieldArgType) -> _builtins.bool: ...
    _ClearFieldArgType: _TypeAlias = _typing.Literal["backend", b"backend", "batch_input", b"batch_input", "batch_output", b"batch_output", "cc_model_filenames", b"cc_model_filenames", "default_model_filename", b"default_model_filename", "dynamic_batching", b"dynamic_batching", "ensemble_scheduling", b"ensemble_scheduling", "input", b"input", "instance_group", b"instance_group", "max_batch_size", b"max_batch_size", "metric_tags", b"metric_tags", "model_metrics", b"model_metrics", "model_operations", b"model_operations", "model_repository_agents", b"model_repository_agents", "model_transaction_policy", b"model_transaction_policy", "model_warmup", b"model_warmup", "name", b"name", "optimization", b"optimization", "output", b"output", "parameters", b"parameters", "platform", b"platform", "response_cache", b"response_cache", "runtime", b"runtime", "scheduling_choice", b"scheduling_choice", "sequence_batching", b"sequence_batching", "version_policy", b"version_policy"]  # noqa: Y015
    def ClearField(self, field_name: _ClearFieldArgType) -> None: ...
    _WhichOneofReturnType_scheduling_choice: _TypeAlias = _typing.Literal["dynamic_batching", "sequence_batching", "ensemble_scheduling"]  # noqa: Y015
    _WhichOneofArgType_scheduling_choice: _TypeAlias = _typing.Literal["scheduling_choice", b"scheduling_choice"]  # noqa: Y015
    def WhichOneof(self, oneof_group: _WhichOneofArgType_scheduling_choice) -> _WhichOneofReturnType_scheduling_choice | None: ...

Global___ModelConfig: _TypeAlias = ModelConfig  # noqa: Y015
