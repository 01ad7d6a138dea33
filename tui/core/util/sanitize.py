"""Make text from a server, a log or a file safe to show on a terminal.

Such text may carry terminal control sequences: an OSC that sets the window title, a CSI that
moves the cursor or clears the screen, a DCS, a bare carriage return that overwrites what came
before. `clean` removes them all, keeps tab, newline and every printable character (any script,
emoji), and is the one function every display path uses: the server's log lines on arrival
(`LineBuffer`), every answer of the HTTP client, text read from files, and the CLI's output.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from typing import TextIO

_STRING_END = r"(?:\x07|\x1b\\|\x9c|$)"  # BEL, ST (7-bit or 8-bit), or the end of the text
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI ... final byte
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    rf"|\x1b[\]PX^_].*?{_STRING_END}"  # OSC, DCS, SOS, PM, APC: up to their terminator
    rf"|[\x90\x98\x9d\x9e\x9f].*?{_STRING_END}"  # their 8-bit forms
    r"|\x1b[ -/]*[0-~]?"  # any other escape sequence, or a lone ESC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # C0 except tab and newline, DEL, C1
    r"|[\u202a-\u202e\u2066-\u2069]",  # bidirectional overrides (text that reads reversed)
    re.DOTALL,
)


_IN_FILE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def first_control(text: str) -> tuple[int, int, str] | None:
    """(line, column, U+XXXX) of the first control character a text file should not hold (tab,
    newline and carriage return are fine), or None. For text that is edited, not just shown:
    there, removing characters would change the file behind the user's back."""
    found = _IN_FILE.search(text)
    if found is None:
        return None
    at = found.start()
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1, f"U+{ord(found.group()):04X}"


def clean(text: str) -> str:
    """`text` without terminal control sequences or control characters (tab, newline kept)."""
    if text.isprintable():  # the common case, checked in C
        return text
    return _CONTROL.sub("", text)


def clean_line(text: str) -> str:
    """One line for a header, a list row or a notification title: newlines and tabs are spaces."""
    return " ".join(clean(text).split())


def clean_bytes(data: bytes) -> str:
    """Bytes of unknown origin (a server that may not be Triton) as safe text."""
    return clean(data.decode("utf-8", errors="replace"))


def clean_json(value: object) -> object:
    """Every string of a decoded JSON document (keys too) cleaned; other values unchanged."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [clean_json(v) for v in value]
    if isinstance(value, dict):
        return {clean(str(k)): clean_json(v) for k, v in value.items()}
    return value


class CleanStream(io.TextIOBase):
    """A text stream that cleans what is written before passing it on (headless commands)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(clean(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding


def guard_stdio() -> None:
    """Route the process's stdout and stderr through `clean` (the CLI calls it once)."""
    if not isinstance(sys.stdout, CleanStream):
        sys.stdout = CleanStream(sys.stdout)
    if not isinstance(sys.stderr, CleanStream):
        sys.stderr = CleanStream(sys.stderr)


def say(text: str, stream: TextIO | None = None) -> None:
    """Print, but never fail: after a hang-up the terminal is gone (EIO on every write), and
    nothing that must happen next (stopping a server) may depend on it."""
    with contextlib.suppress(OSError, ValueError):
        print(text, file=stream or sys.stderr, flush=True)
