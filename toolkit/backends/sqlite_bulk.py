"""SQLite's bulk path: an empty table's run in one transaction, its indexes made after.

`BEGIN IMMEDIATE` holds the write lock from the first statement; other connections read
the last committed state until COMMIT, so none sees the table without its indexes. The
indexes a CREATE INDEX made are dropped and made again from their own SQL, built by
sorting; a UNIQUE or PRIMARY KEY written into CREATE TABLE has an index SQLite keeps with
the table itself, which no statement can drop, so those stay live while loading.

Values arrive already in the text SQLite stores (the generator process formats dates,
times and decimals as Tortoise's adapters do), so the insert runs no Python adapter.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from toolkit.backends.base import BulkLoad, quote_ident
from toolkit.errors import ToolkitError

# Tortoise's SQLite adapters (tortoise.backends.sqlite.executor) and toolkit's own for times.
_STORED: dict[type, Callable[[Any], Any]] = {
    Decimal: str,
    dt.date: dt.date.isoformat,
    dt.datetime: lambda v: v.isoformat(" "),
    dt.time: dt.time.isoformat,
}


def _stored(values: Sequence[Any]) -> Sequence[Any]:
    own = getattr(values, "sqlite_text", None)
    if own is not None:  # a column that writes its own text (times made by numpy)
        texts: list[Any] = own()
        return texts
    kinds = set(map(type, values))
    convert = {k: _STORED[k] for k in kinds if k in _STORED}
    if not convert:
        return values
    if len(kinds - {type(None)}) == 1:
        one = next(iter(convert.values()))
        return [None if v is None else one(v) for v in values]
    return [convert[type(v)](v) if type(v) in convert else v for v in values]


def encode_rows(columns: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows given column by column, as the tuples `executemany` binds without adapters."""
    return list(zip(*(_stored(c) for c in columns)))


class SqliteBulkLoad(BulkLoad):
    def __init__(self, db: sqlite3.Connection, table: str, columns: Sequence[str]) -> None:
        cols = ", ".join(quote_ident(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        self.db = db
        self.insert = f"INSERT INTO {quote_ident(table)} ({cols}) VALUES ({marks})"

    @property
    def encoder(self) -> Callable[[Sequence[Sequence[Any]]], Any]:
        return encode_rows

    async def write(self, payload: Any) -> None:
        self.db.executemany(self.insert, payload)

    async def execute(self, sql: str, *args: Any) -> None:
        self.db.execute(sql, args)


def _duplicate(table: str, exc: sqlite3.IntegrityError) -> ToolkitError:
    text = str(exc)
    column = text.split(":", 1)[1].strip() if ":" in text else "?"
    return ToolkitError(
        f"{column}: the loaded rows hold a duplicate ({text}); nothing of {table} was kept "
        "(its load was rolled back with its indexes intact); give the column distinct values in seeds/"
    )


@asynccontextmanager
async def bulk_load(
    db: sqlite3.Connection, table: str, columns: Sequence[str]
) -> AsyncIterator[SqliteBulkLoad | None]:
    """Yield a load into empty `table` with its droppable indexes off, or None if the table
    holds rows. Makes the indexes again and commits on exit; rolls back on any failure."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute(f"SELECT EXISTS (SELECT 1 FROM {quote_ident(table)})").fetchone()[0]:
            db.execute("ROLLBACK")
            yield None
            return
        indexes = db.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL ORDER BY name",
            (table,),
        ).fetchall()
        for name, _ in indexes:
            db.execute(f"DROP INDEX {quote_ident(name)}")
        yield SqliteBulkLoad(db, table, columns)
        try:
            for _, sql in indexes:
                db.execute(sql)
        except sqlite3.IntegrityError as exc:
            raise _duplicate(table, exc) from None
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
