"""A config.pbtxt that is not UTF-8 (a Latin-1 editor's é), shown and saved without loss.

Triton reads the file as bytes: such a model may well be READY. To edit it, each undecodable byte
is shown as U+FFFD (�) and the lines holding one are remembered with their original bytes. On
save, a line still as it was shown is written back with its original bytes, so nothing the user
did not touch changes; a line the user edited is written as UTF-8 (its � marks included: the user
saw them). `describe` names the lines and the bytes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tui.core.modelconfig.diagnostics import WARNING, Diagnostic

MARK = "\ufffd"
SHOWN_LINES = 3  # named in `describe`; the rest are counted


@dataclass(frozen=True)
class ForeignBytes:
    """The lines (0-based) of a file that hold bytes UTF-8 cannot decode."""

    originals: dict[int, bytes] = field(default_factory=dict)  # line → its bytes, no newline
    shown: dict[int, str] = field(default_factory=dict)  # line → as shown (bytes → MARK)
    bad: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # line → (col, byte)

    def describe(self) -> str:
        """E.g. 'not UTF-8: line 1 has byte 0xe9 at column 5 (shown as �) …'."""
        parts = []
        for line in sorted(self.bad)[:SHOWN_LINES]:
            found = self.bad[line]
            col, byte = found[0]
            more = f" and {len(found) - 1} more" if len(found) > 1 else ""
            parts.append(f"line {line + 1} has byte 0x{byte:02x} at column {col}{more}")
        left = len(self.bad) - SHOWN_LINES
        if left > 0:
            parts.append(f"{left} more line{'s' * (left != 1)}")
        return (
            f"not UTF-8: {'; '.join(parts)} (shown as {MARK}); lines you do not edit keep "
            "their bytes when saved"
        )


def foreign_diagnostics(
    foreign: ForeignBytes | None, path: str, limit: int = 50
) -> list[Diagnostic]:
    """One warning per line holding undecodable bytes (the first `limit` lines)."""
    if foreign is None:
        return []
    out = []
    for line in sorted(foreign.bad)[:limit]:
        col, byte = foreign.bad[line][0]
        bytes_ = ", ".join(f"0x{b:02x}" for _, b in foreign.bad[line])
        words = f"not UTF-8: byte {bytes_} shown as {MARK}; kept as it is unless you edit this line"
        out.append(Diagnostic(path, line + 1, col, WARNING, words))
    return out


def decode_config(data: bytes) -> tuple[str, ForeignBytes | None]:
    """The text to edit and, when the file is not UTF-8, what saving must put back."""
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    originals: dict[int, bytes] = {}
    shown: dict[int, str] = {}
    bad: dict[int, list[tuple[int, int]]] = {}
    lines = []
    for number, raw in enumerate(data.split(b"\n")):
        try:
            lines.append(raw.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        escaped = raw.decode("utf-8", errors="surrogateescape")
        text, marks, col = [], [], 1
        for char in escaped:
            if 0xDC80 <= ord(char) <= 0xDCFF:  # one undecodable byte
                marks.append((col, ord(char) - 0xDC00))
                char = MARK
            text.append(char)
            col += 1
        line = "".join(text)
        originals[number], shown[number], bad[number] = raw, line, marks
        lines.append(line)
    return "\n".join(lines), ForeignBytes(originals, shown, bad)


def encode_config(text: str, foreign: ForeignBytes | None) -> bytes:
    """`text` as bytes to save: the lines still as shown get their original bytes back."""
    if foreign is None or not foreign.originals:
        return text.encode("utf-8")
    waiting: dict[str, list[bytes]] = defaultdict(list)
    for number in sorted(foreign.shown):
        waiting[foreign.shown[number]].append(foreign.originals[number])
    out = []
    for line in text.split("\n"):
        same = waiting.get(line) if MARK in line else None
        out.append(same.pop(0) if same else line.encode("utf-8"))
    return b"\n".join(out)
