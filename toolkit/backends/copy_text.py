"""Rows written as PostgreSQL's COPY text format, column by column.

The bulk path encodes rows in the generator process, so the loading process only forwards
bytes and asyncpg does no per-value work. Each column is converted with the converter of
its values' type, found once per column rather than once per value.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

NULL = "\\N"
_SPECIAL = ("\\", "\t", "\n", "\r")


class CannotEncode(TypeError):
    """A value of a type this format has no text for (the run stops, naming the type)."""


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _texts(values: list[Any]) -> list[Any]:
    """Text fields escaped (None left for NULL). One look at the joined column decides
    whether any value needs escaping: most columns don't."""
    joined = "".join(filter(None, values))
    if "\x00" in joined:
        raise CannotEncode("text with a NUL character")
    if any(ch in joined for ch in _SPECIAL):
        return [None if v is None else _escape(v) for v in values]
    return values


def _float(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(v)


def _decimal(v: Decimal) -> str:
    if v.is_nan():
        return "NaN"
    if v.is_infinite():
        return "Infinity" if v > 0 else "-Infinity"
    return str(v)


def _interval(v: dt.timedelta) -> str:
    return f"{v.days} days {v.seconds} seconds {v.microseconds} microseconds"


def _bytes(v: bytes) -> str:
    return "\\x" + v.hex()  # escaped once more by `_texts`


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: str,
    bool: lambda v: "t" if v else "f",
    int: str,
    float: _float,
    Decimal: _decimal,
    dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat,
    dt.time: dt.time.isoformat,
    dt.timedelta: _interval,
    uuid.UUID: str,
    bytes: _bytes,
    bytearray: _bytes,
    memoryview: lambda v: _bytes(bytes(v)),
    dict: _json,
    list: _json,
}


def _converter(value: Any) -> Callable[[Any], str]:
    if isinstance(value, Enum):  # str() of an IntEnum member is its name, not its value
        inner = _converter(value.value)
        return lambda v: inner(v.value)
    for klass in type(value).__mro__:
        if klass in _BY_TYPE:
            return _BY_TYPE[klass]
    raise CannotEncode(f"no COPY text for {type(value).__name__}")


def encode_column(values: Sequence[Any]) -> list[str]:
    """One column's values as COPY text fields (escaped, NULL as \\N).

    The column is taken to hold values of its first value's type (a generator's do); a
    value of another type makes the conversion fail, and the column is written value by
    value instead."""
    own = getattr(values, "copy_text", None)
    if own is not None:  # a column that writes its own text (times made by numpy)
        texts: list[str] = own()
        return texts
    first = next((v for v in values if v is not None), None)
    if first is None:
        return [NULL] * len(values)
    has_null = None in values
    try:
        if type(first) is str:
            out: list[Any] = _texts(list(values))
        elif type(first) in _FEW_VALUES:
            # Few distinct values (days, flags): each is written once, then looked up.
            return list(map(_Memo(_converter(first)).__getitem__, values))
        else:
            convert = _converter(first)
            out = [None if v is None else convert(v) for v in values] if has_null else list(map(convert, values))
            if type(first) in _TEXTUAL or type(first) not in _BY_TYPE:
                out = _texts(out)
    except (TypeError, AttributeError, ValueError):
        out = _mixed(values)
    return [NULL if v is None else v for v in out] if has_null else out


def _mixed(values: Sequence[Any]) -> list[Any]:
    out = [v if v is None or type(v) is str else _converter(v)(v) for v in values]
    return _texts(out)


class _Memo(dict[Any, str]):
    def __init__(self, convert: Callable[[Any], str]) -> None:
        super().__init__({None: NULL})
        self.convert = convert

    def __missing__(self, value: Any) -> str:
        text = self[value] = self.convert(value)
        return text


_FEW_VALUES = {bool, dt.date, dt.time}
_TEXTUAL = {str, bytes, bytearray, memoryview, dict, list}


def encode_rows(columns: Sequence[Sequence[Any]]) -> bytes:
    """Rows given column by column, as the bytes of a COPY text stream."""
    fields = [encode_column(c) for c in columns]
    if not fields or not fields[0]:
        return b""
    return ("\n".join(map("\t".join, zip(*fields))) + "\n").encode()
