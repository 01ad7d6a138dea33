"""Triton's model config protobuf classes (tritonclient's generated `model_config_pb2`), typed.

tritonclient ships the classes without type information; proto.pyi beside this module is their
stub, so that mypy checks every field a config is read or built with. Import the classes from
here (`from tui.core.modelconfig import proto as pb`), not from tritonclient.

proto.pyi is generated, not written: the module's FileDescriptorProto (`DESCRIPTOR.CopyToProto`)
is written as a descriptor set and given to `protoc --descriptor_set_in=... --mypy_out=...`
(grpcio-tools with mypy-protobuf 5.1, in a throw-away environment: neither is a dependency).
"""

from tritonclient.grpc.model_config_pb2 import *  # noqa: F403
