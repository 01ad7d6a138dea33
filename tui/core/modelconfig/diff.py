"""The file on disk against the server's effective config, both normalised.

Triton returns the config it actually uses (`GET /v2/models/<m>/config`, JSON), with what its
auto-complete filled in. Printing both through the same protobuf message and printer leaves only
real differences in a unified diff.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, text_format

from tui.core.modelconfig import proto as pb
from tui.core.modelconfig.pretty import pretty


class NormalizeError(ValueError):
    pass


def normalize_text(text: str) -> str:
    config = pb.ModelConfig()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError as exc:
        raise NormalizeError(f"config.pbtxt does not parse: {exc}") from exc
    return pretty(config)


def normalize_json(server_config: Mapping[str, Any] | str | bytes) -> str:
    """Server JSON (a dict or its text); fields this client's schema lacks are ignored."""
    config = pb.ModelConfig()
    try:
        data = (
            json.loads(server_config) if isinstance(server_config, str | bytes) else server_config
        )
        json_format.ParseDict(dict(data), config, ignore_unknown_fields=True)
    except (ValueError, TypeError) as exc:  # json_format.ParseError is a ValueError
        raise NormalizeError(f"server config does not match the ModelConfig schema: {exc}") from exc
    return pretty(config)


def config_diff(
    file_text: str,
    server_config: Mapping[str, Any] | str | bytes,
    *,
    fromfile: str = "config.pbtxt",
    tofile: str = "server (effective)",
) -> str:
    """Unified diff from the file to the server's config; "" when they agree."""
    left = normalize_text(file_text).splitlines(keepends=True)
    right = normalize_json(server_config).splitlines(keepends=True)
    return "".join(difflib.unified_diff(left, right, fromfile=fromfile, tofile=tofile))
