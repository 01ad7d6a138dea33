"""Print a ModelConfig in the layout Triton's docs use (`dims: [ 3, 224, 224 ]`, `input [ ... ]`).

`text_format.MessageToString` is correct but writes one line per list element; this printer is
what generated configs, snippets and normalised diffs use. Its output parses back to the same
message.
"""

from __future__ import annotations

import struct
from typing import Any

from google.protobuf import text_encoding  # type: ignore[attr-defined]  # not in the stubs
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

_INDENT = "  "


def _float32(value: float) -> str:
    for digits in range(6, 10):
        text = f"{value:.{digits}g}"
        if struct.pack("<f", float(text)) == struct.pack("<f", value):
            return text
    return repr(value)


def _scalar(field: FieldDescriptor, value: Any) -> str:
    if field.type == FieldDescriptor.TYPE_STRING:
        return '"' + str(text_encoding.CEscape(str(value), as_utf8=True)) + '"'
    if field.type == FieldDescriptor.TYPE_BYTES:
        return '"' + str(text_encoding.CEscape(bytes(value), as_utf8=False)) + '"'
    if field.type == FieldDescriptor.TYPE_ENUM:
        enum_value = field.enum_type.values_by_number.get(int(value))
        return enum_value.name if enum_value is not None else str(value)
    if field.type == FieldDescriptor.TYPE_BOOL:
        return "true" if value else "false"
    if field.type == FieldDescriptor.TYPE_FLOAT:
        return _float32(float(value))
    if field.type == FieldDescriptor.TYPE_DOUBLE:
        return repr(float(value))
    return str(value)


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and bool(
        field.message_type.GetOptions().map_entry
    )


def _is_repeated(field: FieldDescriptor) -> bool:
    flag = getattr(field, "is_repeated", None)  # protobuf >= 5.29; `label` is deprecated there
    if isinstance(flag, bool):
        return flag
    return bool(field.label == FieldDescriptor.LABEL_REPEATED)


def _lines(message: Message, depth: int) -> list[str]:
    pad = _INDENT * depth
    out: list[str] = []
    for field, value in message.ListFields():
        name = field.name
        if _is_map(field):
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            for key in sorted(value):
                out.append(f"{pad}{name} {{")
                out.append(f"{pad}{_INDENT}key: {_scalar(key_field, key)}")
                item = value[key]
                if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    out.append(f"{pad}{_INDENT}value {{")
                    out.extend(_lines(item, depth + 2))
                    out.append(f"{pad}{_INDENT}}}")
                else:
                    out.append(f"{pad}{_INDENT}value: {_scalar(value_field, item)}")
                out.append(f"{pad}}}")
        elif _is_repeated(field):
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                out.append(f"{pad}{name} [")
                items = list(value)
                for i, item in enumerate(items):
                    out.append(f"{pad}{_INDENT}{{")
                    out.extend(_lines(item, depth + 2))
                    out.append(f"{pad}{_INDENT}}}" + ("," if i < len(items) - 1 else ""))
                out.append(f"{pad}]")
            else:
                scalars = ", ".join(_scalar(field, v) for v in value)
                out.append(f"{pad}{name}: [ {scalars} ]")
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            out.append(f"{pad}{name} {{")
            out.extend(_lines(value, depth + 1))
            out.append(f"{pad}}}")
        else:
            out.append(f"{pad}{name}: {_scalar(field, value)}")
    return out


def pretty(message: Message) -> str:
    """The message as text_format in Triton's documentation style, ending with a newline."""
    lines = _lines(message, 0)
    return "\n".join(lines) + ("\n" if lines else "")
