"""What a run reads from the database before it writes: the tables as migrated, row counts
and free one-to-one parents for the planner, the highest generated key of a table."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from toolkit.backends.base import Backend, Connection
from toolkit.seed.plan import Facts
from toolkit.seed.table import Table


async def read_facts(
    conn: Connection, backend: Backend, tables: Mapping[str, Table], emptied: set[str]
) -> Facts:
    """The planner's facts; tables in `emptied` count as empty (--truncate empties them)."""
    q = backend.quote
    rows: dict[str, int] = {}
    for t in tables.values():
        if t.name in emptied:
            rows[t.name] = 0
            continue
        found = await conn.fetch(f"SELECT COUNT(*) FROM {q(t.name)}")
        rows[t.name] = int(found[0][0])
    by_name = {t.name: t for t in tables.values()}
    free: dict[tuple[str, str], int] = {}
    for t in tables.values():
        for col in t.foreign_keys:
            if not (col.one_to_one or col.unique):
                continue
            assert col.references is not None
            parent, key = col.references
            if parent not in by_name:
                continue
            if parent in emptied:
                free[(t.name, col.name)] = 0
            elif t.name in emptied:
                free[(t.name, col.name)] = rows[parent]
            else:
                found = await conn.fetch(
                    f"SELECT COUNT(*) FROM {q(parent)} p WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {q(t.name)} c WHERE c.{q(col.name)} = p.{q(key)})"
                )
                free[(t.name, col.name)] = int(found[0][0])
    return Facts(rows=rows, free=free)


async def as_in_database(
    conn: Connection, backend: Backend, tables: Mapping[str, Table]
) -> dict[str, Table]:
    """The tables with the database's own NOT NULLs: a migration that made a column
    nullable leaves SQLite's NOT NULL in place, and no NULL may be written there."""
    out = {}
    for model, t in tables.items():
        strict = await backend.not_null_columns(conn, t.name)
        columns = tuple(
            dataclasses.replace(c, nullable=False) if c.nullable and c.name in strict else c
            for c in t.columns
        )
        out[model] = dataclasses.replace(t, columns=columns) if columns != t.columns else t
    return out


async def max_id(conn: Connection, backend: Backend, table: Table) -> int:
    """The highest generated key of `table` (0 if its key is not generated)."""
    pk = table.primary_key
    if pk is None or not pk.db_generated:
        return 0
    rows = await conn.fetch(
        f"SELECT COALESCE(MAX({backend.quote(pk.name)}), 0) FROM {backend.quote(table.name)}"
    )
    return int(rows[0][0])
