"""Where each field of a (syntactically valid) config.pbtxt sits, for placing diagnostics.

`google.protobuf.text_format` in Python keeps no source positions, so this module tokenises the
text itself and builds a light tree of field occurrences: enough to turn a field path such as
`("input", 1, "dims")` into a line and column.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from dataclasses import dataclass, field

from tui.core.modelconfig.diagnostics import MapKey

# A string is matched as runs of plain characters between escapes: the shorter `(?:[^"\\]|\\.)*`
# made the regex engine keep a backtracking frame per character (a 5 MB string took 1 GB).
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    | (?P<comment>\#[^\n]*)
    | (?P<str>"[^"\\\n]*(?:\\.[^"\\\n]*)*"|'[^'\\\n]*(?:\\.[^'\\\n]*)*')
    | (?P<word>[A-Za-z0-9_.+\-]+)
    | (?P<punct>[{}\[\]<>:,;/])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class _Token:
    kind: str
    text: str
    line: int
    col: int


@dataclass
class Node:
    """One occurrence of a field: its position, its sub-fields, or its scalar text."""

    line: int
    col: int
    children: dict[str, list[Node]] = field(default_factory=dict)
    value: str | None = None


def _tokens(text: str) -> list[_Token]:
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out: list[_Token] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind in ("ws", "comment"):
            continue
        line = bisect.bisect_right(starts, m.start())
        out.append(_Token(kind, m.group(), line, m.start() - starts[line - 1] + 1))
    return out


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] in "\"'":
        return text[1:-1]
    return text


class _TreeBuilder:
    def __init__(self, tokens: list[_Token]) -> None:
        self.toks = tokens
        self.i = 0

    def _peek(self) -> _Token | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _take(self) -> _Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def _accept(self, text: str) -> bool:
        tok = self._peek()
        if tok is not None and tok.kind == "punct" and tok.text == text:
            self.i += 1
            return True
        return False

    def message(self, node: Node, closers: str = "") -> None:
        while (tok := self._peek()) is not None:
            if tok.kind == "punct" and tok.text in closers:
                self.i += 1
                return
            name_tok = self._take()
            name = name_tok.text
            if name_tok.kind == "punct" and name == "[":  # [extension.name]
                parts = []
                while (t := self._peek()) is not None and t.text != "]":
                    parts.append(self._take().text)
                self._accept("]")
                name = "[" + "".join(parts) + "]"
            elif name_tok.kind != "word":
                continue  # not valid text_format; skip ahead
            self._accept(":")
            bucket = node.children.setdefault(name, [])
            if self._accept("["):
                while (t := self._peek()) is not None and not self._accept("]"):
                    if self._accept(","):
                        continue
                    bucket.append(self._value(t))
            else:
                t = self._peek()
                if t is None:
                    return
                value = self._value(t)
                value.line, value.col = name_tok.line, name_tok.col
                bucket.append(value)
            if not self._accept(","):
                self._accept(";")

    def _value(self, first: _Token) -> Node:
        node = Node(first.line, first.col)
        if self._accept("{"):
            self.message(node, "}")
        elif self._accept("<"):
            self.message(node, ">")
        else:
            parts = []
            tok = self._take()
            if tok.text == "-" and (nxt := self._peek()) is not None:
                parts.append("-" + self._take().text)
            else:
                parts.append(_unquote(tok.text))
                while tok.kind == "str" and (nxt := self._peek()) is not None and nxt.kind == "str":
                    tok = self._take()
                    parts.append(_unquote(tok.text))
            node.value = "".join(parts)
        return node


class Locator:
    """Maps field paths of a parsed config to 1-based (line, col).

    The map is built on the first `find`: a clean config (no finding to place) never pays for a
    second pass over the text, which for a large file costs as much as parsing it."""

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        self._root: Node | None = None

    @property
    def root(self) -> Node:
        if self._root is None:
            self._root = Node(1, 1)
            with contextlib.suppress(IndexError, ValueError):  # best effort: positions only
                _TreeBuilder(_tokens(self._text or "")).message(self._root)
            self._text = None
        return self._root

    def find(self, path: tuple[object, ...]) -> tuple[int, int]:
        """Position of the deepest existing node along `path` (0, 0 for the whole file)."""
        node = self.root
        best = (0, 0)
        pending: str | None = None
        for element in path:
            if isinstance(element, str):
                if pending is not None:
                    found = node.children.get(pending)
                    if not found:
                        return best
                    node = found[0]
                    best = (node.line, node.col)
                pending = element
                continue
            if pending is None:
                return best
            items = node.children.get(pending, [])
            pending = None
            if isinstance(element, int):
                if element >= len(items):
                    if items:
                        best = (items[-1].line, items[-1].col)
                    return best
                node = items[element]
            elif isinstance(element, MapKey):
                match = [n for n in items if _entry_key(n) == element.key]
                if not match:
                    return best
                node = match[-1]  # text_format keeps the last entry of a duplicated key
            else:
                return best
            best = (node.line, node.col)
        if pending is not None:
            found = node.children.get(pending)
            if found:
                best = (found[0].line, found[0].col)
        return best


def _entry_key(node: Node) -> str | None:
    keys = node.children.get("key")
    return keys[0].value if keys else None
