"""Triton's ModelConfig protobuf, in text format (config.pbtxt) and JSON (the server's view)."""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format, text_format
from tritonclient.grpc import model_config_pb2

ModelConfig = model_config_pb2.ModelConfig


def config_json_to_pbtxt(config: dict[str, Any]) -> str:
    """Render a config as the server returns it (JSON) as config.pbtxt text; defaults omitted."""
    try:
        message = json_format.ParseDict(config, ModelConfig(), ignore_unknown_fields=True)
    except json_format.ParseError as exc:
        raise ValueError(str(exc)) from exc
    return text_format.MessageToString(message)
