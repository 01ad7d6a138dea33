"""A linear fast path for parsing large config.pbtxt files.

`google.protobuf.text_format` parses in pure Python at 2-3 MB/s. This module reads the common
shape of a config (names, `{}` messages, `[...]` lists, decimal numbers, plain double-quoted
strings, enum names, maps) with one compiled regex, builds nested dicts guided by the message
descriptors, and hands them to the message constructor (C, in protobuf's upb implementation).

It is strict on purpose: anything it does not fully understand (escapes, single quotes, hex or
octal numbers, `<>` messages, extensions, duplicate singular fields, unknown names, values out of
range...) raises `Unsupported`, and the caller parses with text_format instead, so errors keep
their wording and position and the result is always text_format's.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar, cast

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

# One token per match: whitespace and comments match with an empty group (dropped); anything
# else that is not a plain string or word is a one-character token the parser refuses.
_TOKENS = re.compile(r'\s+|#[^\n]*|("[^"\\\n]*"|[A-Za-z0-9_.+\-]+|\S)')
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")

_INTS = {
    FieldDescriptor.TYPE_INT32,
    FieldDescriptor.TYPE_INT64,
    FieldDescriptor.TYPE_UINT32,
    FieldDescriptor.TYPE_UINT64,
    FieldDescriptor.TYPE_SINT32,
    FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED32,
    FieldDescriptor.TYPE_FIXED64,
    FieldDescriptor.TYPE_SFIXED32,
    FieldDescriptor.TYPE_SFIXED64,
}
_FLOATS = {FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE}
_BOOLS = {"true": True, "True": True, "false": False, "False": False}


class Unsupported(Exception):
    """The text uses something the fast path leaves to text_format."""


class _Field:
    """What the parser needs to know about one field."""

    __slots__ = ("enum", "kind", "map", "message", "name", "repeated")

    def __init__(self, fd: FieldDescriptor) -> None:
        self.name = fd.name
        if hasattr(fd, "is_repeated"):  # protobuf >= 6 (label is deprecated there)
            self.repeated = bool(fd.is_repeated)
        else:
            self.repeated = fd.label == FieldDescriptor.LABEL_REPEATED
        self.message: dict[str, _Field] | None = None
        self.map = False
        self.enum: frozenset[str] = frozenset()
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            self.kind = "message"
            self.map = fd.message_type.GetOptions().map_entry
        elif fd.type == FieldDescriptor.TYPE_ENUM:
            self.kind = "enum"
            self.enum = frozenset(fd.enum_type.values_by_name)
        elif fd.type in _INTS:
            self.kind = "int"
        elif fd.type in _FLOATS:
            self.kind = "float"
        elif fd.type == FieldDescriptor.TYPE_BOOL:
            self.kind = "bool"
        elif fd.type == FieldDescriptor.TYPE_STRING:
            self.kind = "string"
        else:  # bytes, groups: left to text_format
            self.kind = "other"


class _Schema:
    """Per message type: its fields by name and its oneof groups (of two fields or more)."""

    def __init__(self, desc: Descriptor, cache: dict[str, _Schema]) -> None:
        cache[desc.full_name] = self
        self.fields: dict[str, _Field] = {}
        self.subs: dict[str, _Schema] = {}
        self.oneofs = [
            frozenset(f.name for f in o.fields) for o in desc.oneofs if len(o.fields) > 1
        ]
        for fd in desc.fields:
            info = _Field(fd)
            self.fields[fd.name] = info
            if fd.type == FieldDescriptor.TYPE_MESSAGE:
                sub = fd.message_type
                self.subs[fd.name] = cache.get(sub.full_name) or _Schema(sub, cache)


_SCHEMAS: dict[str, _Schema] = {}


def _schema(desc: Descriptor) -> _Schema:
    return _SCHEMAS.get(desc.full_name) or _Schema(desc, _SCHEMAS)


M = TypeVar("M", bound=Message)


def parse(text: str, message_class: type[M]) -> M:
    """Parse `text` into a new message, or raise Unsupported."""
    tokens = list(filter(None, _TOKENS.findall(text)))
    tokens.append("")  # the end of the text closes the top-level message
    try:
        descriptor = cast(Descriptor, message_class.DESCRIPTOR)  # the C (upb) one, same API
        fields, end = _message(tokens, 0, _schema(descriptor), "")
    except IndexError as exc:
        raise Unsupported("unexpected end of text") from exc
    if end != len(tokens):
        raise Unsupported("text after the end")
    try:
        return message_class(**fields)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise Unsupported(str(exc)) from exc


def _message(toks: list[str], i: int, schema: _Schema, closer: str) -> tuple[dict[str, Any], int]:
    """The fields of one message from token `i` to its closer, and the index after it."""
    out: dict[str, Any] = {}
    fields = schema.fields
    while True:
        tok = toks[i]
        i += 1
        if tok == closer:
            break
        info = fields.get(tok)
        if info is None:
            raise Unsupported(f"field {tok!r}")
        colon = toks[i] == ":"
        if colon:
            i += 1
        if toks[i] == "[":  # text_format's short form of a repeated field: [a, b, c]
            if not info.repeated:
                raise Unsupported("a list for a singular field")
            i += 1
            values = out.setdefault(tok, {} if info.map else [])
            if toks[i] == "]":
                if not colon and info.kind != "message":
                    raise Unsupported("a scalar without ':'")
                i += 1
            else:
                while True:
                    value, i = _value(toks, i, schema, info, colon)
                    _add(values, value, info.map)
                    sep = toks[i]
                    i += 1
                    if sep == "]":
                        break
                    if sep != ",":
                        raise Unsupported("list separator")
        elif info.repeated:
            value, i = _value(toks, i, schema, info, colon)
            _add(out.setdefault(tok, {} if info.map else []), value, info.map)
        elif tok in out:  # text_format.Parse refuses it, with its own message
            raise Unsupported("a singular field given twice")
        else:
            out[tok], i = _value(toks, i, schema, info, colon)
        if toks[i] in (",", ";"):
            i += 1
    for group in schema.oneofs:
        if len(group.intersection(out)) > 1:
            raise Unsupported("two members of a oneof")
    return out, i


def _add(values: Any, value: Any, is_map: bool) -> None:
    if not is_map:
        values.append(value)
    elif "key" in value and "value" in value:  # text_format: the last entry of a key wins
        values[value["key"]] = value["value"]
    else:
        raise Unsupported("a map entry without its key or value")


def _value(toks: list[str], i: int, schema: _Schema, info: _Field, colon: bool) -> tuple[Any, int]:
    tok = toks[i]
    kind = info.kind
    if kind == "message":
        if tok != "{":
            raise Unsupported("message delimiter")
        return _message(toks, i + 1, schema.subs[info.name], "}")
    if not colon:
        raise Unsupported("a scalar without ':'")
    if kind == "int":
        if not _INT.match(tok):
            raise Unsupported("integer")
        return int(tok), i + 1
    if kind == "string":
        if len(tok) < 2 or tok[0] != '"' or not tok.isascii():
            raise Unsupported("string")
        return tok[1:-1], i + 1
    if kind == "enum":
        if tok not in info.enum:
            raise Unsupported("enum")
        return tok, i + 1
    if kind == "float":
        if not _FLOAT.match(tok):
            raise Unsupported("float")
        return float(tok), i + 1
    if kind == "bool" and tok in _BOOLS:
        return _BOOLS[tok], i + 1
    raise Unsupported(kind)
