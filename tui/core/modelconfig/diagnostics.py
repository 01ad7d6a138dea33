"""Diagnostics: what the linter reports, with a place in the file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]

ERROR: Severity = "error"
WARNING: Severity = "warning"
MESSAGE_LIMIT = 1000  # characters of a diagnostic's message


@dataclass(frozen=True)
class Diagnostic:
    """One finding. `line` and `col` are 1-based; 0 means "the file as a whole"."""

    path: str
    line: int
    col: int
    severity: Severity
    message: str

    def __post_init__(self) -> None:
        # A finding may quote the config (a name of megabytes): keep its start, say what was cut.
        if len(self.message) > MESSAGE_LIMIT:
            cut = len(self.message) - MESSAGE_LIMIT
            object.__setattr__(
                self, "message", f"{self.message[:MESSAGE_LIMIT]}… ({cut} characters cut)"
            )

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def format(self) -> str:
        """`path:line:col: message` (warnings say so)."""
        prefix = "" if self.is_error else "warning: "
        return f"{self.path}:{max(self.line, 1)}:{max(self.col, 1)}: {prefix}{self.message}"


@dataclass(frozen=True)
class Finding:
    """A rule's result before it is placed: `where` is a field path into the config.

    Path elements: a field name, an int index into a repeated field, or `MapKey(k)` for the
    entry of a map field whose key is k.
    """

    message: str
    where: tuple[object, ...] = ()
    severity: Severity = ERROR


@dataclass(frozen=True)
class MapKey:
    key: str


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
