"""Parse config.pbtxt text into Triton's `ModelConfig` protobuf."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from google.protobuf import text_format

from tui.core.modelconfig import fastparse, proto
from tui.core.modelconfig.diagnostics import ERROR, Diagnostic
from tui.core.modelconfig.locate import Locator

ModelConfig = proto.ModelConfig

# text_format prefixes its messages with "L:C : " and often with the offending line in quotes.
_POSITION_PREFIX = re.compile(r"^\d+:\d+ : ")
_LINE_ECHO = re.compile(r"^'.*?': (?=[A-Z])", re.DOTALL)


@dataclass
class ParseResult:
    config: ModelConfig | None
    diagnostics: list[Diagnostic]
    locator: Locator | None

    @property
    def ok(self) -> bool:
        return self.config is not None


def parse_config(text: str, path: str = "config.pbtxt") -> ParseResult:
    """Parse text; a syntax error becomes one error Diagnostic with its 1-based line and column.

    The common shape goes through the linear fast path; text_format parses the rest and reports
    every error."""
    nul = text.find("\0")
    if nul >= 0:  # Python's text_format lets one pass in a comment or a string; Triton does not
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        message = "NUL byte (\\0) in the file: Triton refuses a config.pbtxt that holds one"
        return ParseResult(None, [Diagnostic(path, line, col, ERROR, message)], None)
    with contextlib.suppress(fastparse.Unsupported):
        return ParseResult(fastparse.parse(text, ModelConfig), [], Locator(text))
    config = ModelConfig()
    try:
        text_format.Parse(text, config)
    except text_format.ParseError as exc:
        message = _POSITION_PREFIX.sub("", str(exc))
        message = _LINE_ECHO.sub("", message)
        line = exc.GetLine() or 1
        col = exc.GetColumn() or 1
        return ParseResult(None, [Diagnostic(path, line, col, ERROR, message)], None)
    except (ValueError, UnicodeError, RecursionError) as exc:
        return ParseResult(None, [Diagnostic(path, 1, 1, ERROR, str(exc))], None)
    return ParseResult(config, [], Locator(text))
