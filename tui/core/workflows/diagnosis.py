"""Read the reasons Triton gives only in its log: why a model failed, why the server stopped.

The repository index shows a model whose config does not parse with a name and nothing else; the
reason is in an `E` line of the server's log. `ModelErrorTracker` consumes log lines (subscribe it
to the launcher's LineBuffer) and keeps the latest reason per model.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass

# Default format: `E1126 11:35:03.283379 2279 model_repository_manager.cc:1460] "msg"`;
# ISO8601: `2024-05-20T20:03:25Z E 3355 model_lifecycle.cc:441] "msg"`.
_DEFAULT = re.compile(r"^(?P<level>[IWEV])\d{4} [\d:.]+\s+\d+ (?P<src>[^\]\s]+)\] ?(?P<msg>.*)$")
_ISO = re.compile(
    r"^\d{4}-\d\d-\d\dT[\d:.]+Z (?P<level>[IWEV]) \d+ (?P<src>[^\]\s]+)\] ?(?P<msg>.*)$"
)
_PROTOBUF = re.compile(r"^\[libprotobuf ERROR [^\]]*\] (?P<msg>.*)$")

_POLL_FAILED = re.compile(
    r"^Poll failed for model directory '(?P<name>[^']+)': (?P<reason>.*)$", re.S
)
_LOAD_FAILED = re.compile(r"^failed to load '(?P<name>[^']+)' version \d+: (?P<reason>.*)$", re.S)
_LOADED = re.compile(r"^successfully loaded '(?P<name>[^']+)'")
_UNLOADED = re.compile(r"^successfully unloaded '(?P<name>[^']+)'")
_SERVICE_FAILED = re.compile(r"^failed to start (?P<what>.*)$", re.S)


def unquote(msg: str) -> str:
    """Triton quotes log messages as JSON strings; undo that when it did."""
    if len(msg) >= 2 and msg[0] == '"' and msg[-1] == '"':
        try:
            return str(json.loads(msg))
        except json.JSONDecodeError:
            return msg[1:-1]
    return msg


@dataclass(frozen=True)
class LogRecord:
    level: str  # I, W, E, V, or "" for a line in no known format
    source: str
    message: str


def parse_line(line: str) -> LogRecord:
    for pattern in (_DEFAULT, _ISO):
        m = pattern.match(line)
        if m:
            return LogRecord(m["level"], m["src"], unquote(m["msg"].rstrip()))
    m = _PROTOBUF.match(line)
    if m:
        return LogRecord("E", "libprotobuf", m["msg"])
    return LogRecord("", "", line)


def first_line(reason: str, limit: int = 300) -> str:
    text = reason.strip().split("\n", 1)[0]
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ModelErrorTracker:
    """Latest failure reason per model, and server-level startup failures, from log lines."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reasons: dict[str, str] = {}
        self._server_errors: list[str] = []
        self._pending_parse_error = ""

    def forget(self) -> None:
        """Start afresh (the server was restarted: its earlier failures are history)."""
        with self._lock:
            self._reasons.clear()
            self._server_errors.clear()
            self._pending_parse_error = ""

    def feed(self, _seq: int, line: str) -> None:
        record = parse_line(line)
        if not record.level:
            return
        msg = record.message
        with self._lock:
            if record.source == "libprotobuf":
                self._pending_parse_error = msg
                return
            m = _POLL_FAILED.match(msg) or _LOAD_FAILED.match(msg)
            if m:
                reason = m["reason"].strip()
                if "text proto" in reason and self._pending_parse_error:
                    reason = f"{reason}: {self._pending_parse_error}"
                self._pending_parse_error = ""
                self._reasons[m["name"]] = reason
                return
            m = _LOADED.match(msg) or _UNLOADED.match(msg)
            if m:
                self._reasons.pop(m["name"], None)
                return
            m = _SERVICE_FAILED.match(msg)
            if m and record.level == "E":
                self._server_errors.append(msg)

    def reason(self, model: str) -> str | None:
        with self._lock:
            return self._reasons.get(model)

    def reasons(self) -> dict[str, str]:
        with self._lock:
            return dict(self._reasons)

    def server_errors(self) -> list[str]:
        with self._lock:
            return list(self._server_errors)
