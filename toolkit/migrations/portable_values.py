"""A field's default as the constant existing rows get, and as an SQL literal per dialect.

Model descriptions (Aerich's MODELS_STATE) keep a default as JSON can hold it: a callable is
its name ("<function builtins.dict>"), a dict its repr. When a migration has to give the
rows already in a table a value, these turn that back into the constant the ORM would have
written, where one exists.
"""

from __future__ import annotations

import ast
import json
import re
from typing import Any

Describe = dict[str, Any]

_FUNCTION = re.compile(r"^<function (.+)>$")
# Callables whose result is the same every time: their value is a constant.
_CONSTANT_CALLS: dict[str, Any] = {
    "builtins.dict": {}, "builtins.list": [], "builtins.str": "", "builtins.int": 0,
    "builtins.float": 0.0, "builtins.bool": False,
}
_INTERVAL = re.compile(r"^(?:(-?\d+) days?, )?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$")


def microseconds(text: str) -> int | None:
    """`str(timedelta)` ("1 day, 0:15:00") as microseconds, as Tortoise stores a TimeDeltaField."""
    m = _INTERVAL.match(text)
    if m is None:
        return None
    days, hours, minutes, seconds, fraction = m.groups()
    total = ((int(days or 0) * 24 + int(hours)) * 60 + int(minutes)) * 60 + int(seconds)
    return total * 1_000_000 + int((fraction or "0").ljust(6, "0"))


def python_default(field: Describe) -> tuple[bool, Any]:
    """(True, value) when the ORM gives a new row of this field a known constant, as stored.

    (False, None) when there is no default, or it is a callable such as `uuid4` or `now`
    whose value no migration can know in advance.
    """
    default = field.get("default")
    if default is None:
        return False, None
    value = default
    if isinstance(default, str) and (m := _FUNCTION.match(default)):
        if m.group(1) not in _CONSTANT_CALLS:
            return False, None
        value = _CONSTANT_CALLS[m.group(1)]
    elif field.get("field_type") == "JSONField" and isinstance(default, str):
        try:
            value = ast.literal_eval(default)  # a dict or list default is kept as its repr
        except (ValueError, SyntaxError):
            value = default
    if field.get("field_type") == "JSONField":
        return True, json.dumps(value)
    if field.get("field_type") == "TimeDeltaField" and isinstance(value, str):
        number = microseconds(value)
        return (True, number) if number is not None else (False, None)
    return True, value


def sql_literal(value: Any, dialect: str) -> str:
    """`value` as a literal in a statement (not DDL) of `dialect`."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE") if dialect == "postgres" else str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if dialect == "mysql":
        text = text.replace("\\", "\\\\")  # a backslash escapes in MySQL's default mode
    return "'" + text.replace("'", "''") + "'"
