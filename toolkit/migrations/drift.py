"""Drift: the live database against the schema its applied migrations imply.

The last applied migration's models state (Aerich stores it with each version) says which
tables, columns, nullability and indexes the database should have; the backend reads what
it has. A column dropped by hand, a missing index or an extra NOT NULL shows up here, by
name, before `seed` or the application trips over it. Extra objects (a DBA's index, MySQL's
own index behind a foreign key) are not drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from toolkit.backends.base import Backend, Connection


@dataclass(frozen=True)
class TableShape:
    """What one table should have: column -> nullable, and indexes as (unique, columns)."""

    columns: dict[str, bool] = field(default_factory=dict)
    indexes: set[tuple[bool, tuple[str, ...]]] = field(default_factory=set)


def expected(state: dict[str, Any]) -> dict[str, TableShape]:
    """The tables a models state describes (Aerich's `describe` per model)."""
    tables: dict[str, TableShape] = {}
    for model in state.values():
        if model.get("abstract") or model.get("managed") is False or not model.get("table"):
            continue
        shape = tables.setdefault(model["table"], TableShape())
        fields = [model["pk_field"], *model.get("data_fields", [])]
        fields += [dict(f, db_column=f.get("raw_field")) for f in model.get("fk_fields", [])]
        fields += [dict(f, db_column=f.get("raw_field")) for f in model.get("o2o_fields", [])]
        for f in fields:
            column = f.get("db_column")
            if not column:
                continue
            shape.columns[column] = bool(f.get("nullable"))
            if f is not model["pk_field"] and (f.get("unique") or f.get("indexed")):
                shape.indexes.add((bool(f.get("unique")), (column,)))
        for group in model.get("unique_together") or []:
            shape.indexes.add((True, tuple(_columns_of(model, group))))
        for m2m in model.get("m2m_fields", []):
            through = m2m.get("through")
            if through and through not in tables:
                keys = [m2m.get("backward_key"), m2m.get("forward_key")]
                tables[through] = TableShape(columns={k: False for k in keys if k})
    return tables


def _columns_of(model: dict[str, Any], names: list[str]) -> list[str]:
    by_name = {f["name"]: f.get("db_column") for f in model.get("data_fields", [])}
    by_name.update({f["name"]: f.get("raw_field") for f in model.get("fk_fields", []) + model.get("o2o_fields", [])})
    return [by_name.get(n) or n for n in names]


async def find(backend: Backend, conn: Connection, state: dict[str, Any]) -> list[str]:
    """Each difference between the database and `state`, one plain sentence each."""
    found: list[str] = []
    for table, shape in sorted(expected(state).items()):
        if not await conn.table_exists(table):
            found.append(f'table "{table}" is missing')
            continue
        actual = await backend.columns(conn, table)
        for column, nullable in shape.columns.items():
            if column not in actual:
                found.append(f'column "{table}"."{column}" is missing')
            elif nullable and not actual[column]:
                found.append(f'column "{table}"."{column}" is NOT NULL, but the migrations allow NULL')
        have = await backend.indexes(conn, table)
        for unique, columns in sorted(shape.indexes):
            if not all(c in actual for c in columns):
                continue
            if not any(cols == columns and (u or not unique) for u, cols in have):
                kind = "unique index" if unique else "index"
                found.append(f'{kind} on "{table}" ({", ".join(columns)}) is missing')
    return found
