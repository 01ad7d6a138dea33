"""Parse Triton's log lines fast, and group multi-line output into entries.

Triton prints one line per message in one of two formats:

- default: ``I1126 11:17:57.643029 2623 model_lifecycle.cc:839] "successfully loaded 'add_sub'"``
- ``--log-format ISO8601``: ``2026-11-26T11:41:35Z I 7917 model_lifecycle.cc:472] "loading: x:1"``

and some messages run over several lines: the start-up tables (``server.cc:674]`` followed by
``+---+`` and ``| ... |`` rows and a blank line), auto-completed configs, unescaped messages
of older servers followed by ``At:``/traceback lines, and raw lines a backend prints itself.
`LogParser.feed` keeps such lines with the entry they belong to.

Speed matters (a verbose server under load prints thousands of lines a second): one precompiled
regex per format, chosen by the first character, and one small slotted object per entry. The
message is unquoted and the timestamp decoded only when asked for.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from tui.core.workflows.diagnosis import unquote

_DEFAULT = re.compile(r"([IWEV])\d{4} [\d:.]+ +\d+ ([^\]\s]+)\] ?")
_ISO = re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+Z ([IWEV]) \d+ ([^\]\s]+)\] ?")
_DEFAULT_TS = re.compile(r"[IWEV](\d\d)(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))?")
_ISO_TS = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z")

# Errors a machine without a usable GPU prints at every start: harmless there, real on a GPU box.
NO_GPU_ERRORS = (
    "CudaDriverHelper has not been initialized",
    "Failed to initialize NVML",
    "DCGM unable to start",
    "CUDA driver version is insufficient",
    "unable to create stream",
)
# Errors that only repeat another one: the model's own "failed to load" line says why.
CONSEQUENCE_ERRORS = ("failed to load all models",)

# Triton prints verbose messages (--log-verbose=N) with the letter I. These statements only log
# at verbose level (tritonserver 2.51, found by diffing a verbose and a plain start-up); files
# that log nothing else count as verbose whatever their line numbers in other versions.
VERBOSE_SOURCES = frozenset(
    [
        "backend_manager.cc:138",
        "backend_model.cc:503",
        "backend_model_instance.cc:69",
        "backend_model_instance.cc:783",
        "backend_model_instance.cc:806",
        "cache_manager.cc:480",
        "dynamic_batch_scheduler.cc:306",
        "dynamic_batch_scheduler.cc:445",
        "grpc_server.cc:102",
        "grpc_server.cc:152",
        "grpc_server.cc:2370",
        "grpc_server.cc:358",
        "grpc_server.cc:366",
        "grpc_server.cc:376",
        "http_server.cc:1184",
        "http_server.cc:1280",
        "http_server.cc:1354",
        "http_server.cc:317",
        "http_server.cc:4599",
        "model_config_utils.cc:1941",
        "model_config_utils.cc:1943",
        "model_config_utils.cc:716",
        "python_be.cc:1310",
        "python_be.cc:1900",
        "python_be.cc:1944",
        "python_be.cc:1966",
        "python_be.cc:2104",
        "python_be.cc:2185",
        "python_be.cc:2190",
        "python_be.cc:2205",
        "python_be.cc:2228",
        "python_be.cc:2270",
        "python_be.cc:2369",
        "python_be.cc:2387",
        "python_be.cc:2401",
        "server.cc:351",
    ]
)
VERBOSE_FILES = frozenset(
    [
        "infer_request.cc",
        "infer_response.cc",
        "infer_handler.cc",
        "infer_handler.h",
        "stream_infer_handler.cc",
        "shared_library.cc",
        "stub_launcher.cc",
    ]
)

_CLOSED, _OPEN, _TRACEBACK = 0, 1, 2
# Continuation lines kept in one entry's `more` (an endless header-less stream, e.g. a model's own
# prints after a line ending in ':', would otherwise keep every line alive past the store's cap).
MAX_CONTINUATION = 2_000


class Entry:
    """One log message: its first line, any continuation lines, and the parsed header.

    `level` is I, W, E or V, or "" for a line in no known format (e.g. a backend's own print).
    `harmless` holds why an E/W entry does not matter ("" when it does)."""

    __slots__ = ("level", "src", "head", "more", "offset", "iso", "harmless", "shown", "seq")

    def __init__(self, level: str, src: str, head: str, offset: int, iso: bool) -> None:
        self.level = level
        self.src = src
        self.head = head
        self.more: list[str] | None = None
        self.offset = offset  # where the message starts in `head`
        self.iso = iso
        self.harmless = ""
        self.shown = True  # set by the store's filter
        self.seq = 0  # number of the entry's first line in its store

    @property
    def lines(self) -> list[str]:
        return [self.head, *self.more] if self.more else [self.head]

    @property
    def raw_message(self) -> str:
        return self.head[self.offset :]

    @property
    def message(self) -> str:
        """The message text, unquoted, with its continuation lines."""
        text = unquote(self.raw_message.rstrip())
        if self.more:
            text = "\n".join([text, *self.more]).rstrip("\n")
        return text

    @property
    def timestamp(self) -> float | None:
        """Seconds since the epoch (local time; default-format lines carry no year: this one)."""
        if not self.src:
            return None
        return parse_timestamp(self.head, self.iso)

    @property
    def matters(self) -> bool:
        return self.level in ("E", "W") and not self.harmless

    def __repr__(self) -> str:
        return f"Entry({self.level!r}, {self.src!r}, {self.head[:60]!r}, +{len(self.more or ())})"


def parse_timestamp(line: str, iso: bool, year: int | None = None) -> float | None:
    if iso:
        m = _ISO_TS.match(line)
        if not m:
            return None
        y, mo, d, h, mi, s, frac = m.groups()
    else:
        m = _DEFAULT_TS.match(line)
        if not m:
            return None
        mo, d, h, mi, s, frac = m.groups()
        y = str(year or datetime.now().year)
    try:
        base = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s)).timestamp()
    except ValueError:
        return None
    return base + (int(frac) / 10 ** len(frac) if frac else 0.0)


def _raw_level(line: str) -> str:
    low = line[:24].lower()
    if low.startswith(("error", "[libprotobuf error", "fatal", "terminate called")):
        return "E"
    if low.startswith(("warning", "[libprotobuf warning")):
        return "W"
    return ""


def harmless_reason(text: str, gpu_host: bool = False) -> str:
    for needle in CONSEQUENCE_ERRORS:
        if needle in text:
            return "a consequence: the failing model's own error says why"
    if not gpu_host:
        for needle in NO_GPU_ERRORS:
            if needle in text:
                return "harmless on a machine without a GPU"
    return ""


class LogParser:
    """Turns lines into entries; `feed` returns the entry the line was added to.

    A line that starts a new entry returns a new object; a continuation line returns the
    previous entry again (with the line appended to `entry.more`)."""

    __slots__ = ("gpu_host", "_last", "_state")

    def __init__(self, gpu_host: bool | None = None) -> None:
        self.gpu_host = has_local_gpu() if gpu_host is None else gpu_host
        self._last: Entry | None = None
        self._state = _CLOSED

    def feed(self, line: str) -> Entry:
        c = line[:1]
        m = None
        if c in "IWEV" and c:
            m = _DEFAULT.match(line)
            iso = False
        elif c.isdigit():
            m = _ISO.match(line)
            iso = True
        if m is not None:
            level, src = m.groups()
            if level == "I" and (src in VERBOSE_SOURCES or src.partition(":")[0] in VERBOSE_FILES):
                level = "V"
            end = m.end()
            entry = Entry(level, src, line, end, iso)
            if level == "E" or level == "W":
                entry.harmless = harmless_reason(line, self.gpu_host)
            # A message that announces what follows: a table, a config, an unescaped traceback.
            tail = line[-1:] if len(line) > end else ""
            if not tail or tail == ":" or line.endswith(': "'):
                self._state = _OPEN
            else:
                self._state = _CLOSED
            self._last = entry
            return entry
        return self._continuation(line)

    def _continuation(self, line: str) -> Entry:
        last = self._last
        state = self._state
        if last is not None:
            if not line.strip():
                if state != _CLOSED:
                    self._state = _CLOSED
                return self._append(last, line)
            if state == _OPEN:
                return self._append(last, line)
            if state == _TRACEBACK:
                if not line[0].isspace():
                    self._state = _CLOSED
                return self._append(last, line)
            if line[0] in " \t" or line.startswith(("At:", "+-", "| ")):
                return self._append(last, line)
        level = _raw_level(line)
        entry = Entry(level, "", line, 0, False)
        if line.startswith("Traceback (most recent call last)"):
            entry.level = "E"
            self._state = _TRACEBACK
        else:
            self._state = _CLOSED
        if entry.level:
            entry.harmless = harmless_reason(line, self.gpu_host)
        self._last = entry
        return entry

    @staticmethod
    def _append(entry: Entry, line: str) -> Entry:
        if entry.more is None:
            entry.more = [line]
        elif len(entry.more) < MAX_CONTINUATION:  # the store holds every line; this is a summary
            entry.more.append(line)
        return entry


def parse_lines(lines: list[str] | tuple[str, ...], gpu_host: bool | None = None) -> list[Entry]:
    """Group `lines` into entries (a convenience for tests and one-shot reads)."""
    parser = LogParser(gpu_host)
    entries: list[Entry] = []
    last = None
    for line in lines:
        entry = parser.feed(line)
        if entry is not last:
            entries.append(entry)
            last = entry
    return entries


def has_local_gpu() -> bool:
    """Whether this host has an NVIDIA driver: decides if no-GPU errors are harmless here."""
    return Path("/dev/nvidiactl").exists() or Path("/proc/driver/nvidia/version").exists()
