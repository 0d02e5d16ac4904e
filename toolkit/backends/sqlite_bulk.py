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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Swap:
    """How `table`'s rows are loaded into a bare copy whose B-trees then become the table's.

    A UNIQUE or non-rowid PRIMARY KEY in CREATE TABLE keeps an index SQLite maintains row by
    row (no statement can drop it), which makes a live load about twice as slow (measured:
    1M users 8.7 s against 2.6 s + 2.0 s for load then index). So the rows go into a copy
    with the same columns and no constraints, each such index is built there by sorting,
    and the schema's root pages are exchanged (PRAGMA writable_schema, in the load's own
    transaction): the table keeps its exact CREATE TABLE text and index names.
    """

    copy: str
    create_copy: str
    autoindexes: list[tuple[str, str]]  # (autoindex name, CREATE UNIQUE INDEX on the copy)
    not_null: list[str]


def _swap_plan(db: sqlite3.Connection, table: str) -> _Swap | None:
    """The swap for `table`, or None where it can't be done safely (then indexes stay live)."""
    ddl = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    text = (ddl[0] or "").upper() if ddl else ""
    if not text or "WITHOUT ROWID" in text or "CHECK" in text or "GENERATED" in text:
        return None
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)).fetchone():
        return None
    listed = db.execute(f"PRAGMA index_list({quote_ident(table)})").fetchall()
    autos = [r[1] for r in listed if r[3] in ("u", "pk")]
    if not autos:
        return None
    columns = db.execute(f"PRAGMA table_xinfo({quote_ident(table)})").fetchall()
    if any(c[6] for c in columns):  # hidden or generated columns
        return None
    keys = [c for c in columns if c[5]]
    rowid_alias = len(keys) == 1 and keys[0][2].upper() == "INTEGER" and not any(r[3] == "pk" for r in listed)
    copy = f"{table}__toolkit_load"
    defs = ", ".join(
        f"{quote_ident(c[1])} {c[2]}{' PRIMARY KEY' if rowid_alias and c[5] else ''}" for c in columns
    )
    made = []
    for number, name in enumerate(sorted(autos), 1):
        parts = [
            f"{quote_ident(k[2])} COLLATE {k[4]}{' DESC' if k[3] else ''}"
            for k in db.execute(f"PRAGMA index_xinfo({quote_ident(name)})") if k[5]
        ]
        made.append((name, f"CREATE UNIQUE INDEX {quote_ident(f'{copy}_{number}')} "
                           f"ON {quote_ident(copy)} ({', '.join(parts)})"))
    return _Swap(copy, f"CREATE TABLE {quote_ident(copy)} ({defs})", made,
                 [c[1] for c in columns if c[3] and not c[5]])


def _writable_schema(db: sqlite3.Connection) -> bool:
    """Whether this connection may edit sqlite_master (not in SQLite's defensive mode)."""
    try:
        db.execute("PRAGMA writable_schema = ON")
        db.execute("UPDATE sqlite_master SET rootpage = rootpage WHERE 0")
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        db.execute("PRAGMA writable_schema = OFF")


def _exchange(db: sqlite3.Connection, table: str, swap: _Swap) -> None:
    """Give `table` and its autoindexes the copy's loaded B-trees, and the copy theirs."""
    def root(name: str) -> int:
        return int(db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0])

    pairs = [(table, swap.copy)] + [
        (auto, f"{swap.copy}_{number}") for number, (auto, _) in enumerate(swap.autoindexes, 1)
    ]
    version = int(db.execute("PRAGMA schema_version").fetchone()[0])
    db.execute("PRAGMA writable_schema = ON")
    try:
        for mine, theirs in pairs:
            a, b = root(mine), root(theirs)
            db.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (b, mine))
            db.execute("UPDATE sqlite_master SET rootpage = ? WHERE name = ?", (a, theirs))
        db.execute(f"PRAGMA schema_version = {version + 1}")
    finally:
        db.execute("PRAGMA writable_schema = OFF")
    db.execute(f"DROP TABLE {quote_ident(swap.copy)}")


def _check_swapped(db: sqlite3.Connection, table: str, swap: _Swap) -> None:
    """What the copy didn't enforce while loading: NOT NULL and the table's foreign keys."""
    q = quote_ident(table)
    for column in swap.not_null:
        if db.execute(f"SELECT 1 FROM {q} WHERE {quote_ident(column)} IS NULL LIMIT 1").fetchone():
            raise ToolkitError(f"{table}.{column}: the loaded rows hold NULL in a NOT NULL column; "
                               f"nothing of {table} was kept (its load was rolled back)")
    broken = db.execute(f"PRAGMA foreign_key_check({q})").fetchone()
    if broken:
        raise ToolkitError(f"{table}: a loaded row points at a missing row of {broken[2]}; "
                           f"nothing of {table} was kept (its load was rolled back)")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
        _remember_keys(db, table, swap.copy)


def _remember_keys(db: sqlite3.Connection, table: str, copy: str) -> None:
    """AUTOINCREMENT's record of the largest key: the copy's rows were the table's."""
    db.execute("DELETE FROM sqlite_sequence WHERE name = ?", (copy,))
    ddl = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0] or ""
    if "AUTOINCREMENT" not in ddl.upper():
        return
    top = db.execute(f"SELECT MAX(rowid) FROM {quote_ident(table)}").fetchone()[0] or 0
    if not db.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (top, table)).rowcount:
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, top))


@asynccontextmanager
async def bulk_load(
    db: sqlite3.Connection, table: str, columns: Sequence[str]
) -> AsyncIterator[SqliteBulkLoad | None]:
    """Yield a load into empty `table` with its indexes off, or None if the table holds
    rows. Makes the indexes again and commits on exit; rolls back on any failure."""
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
        swap = _swap_plan(db, table) if _writable_schema(db) else None
        if swap is not None:
            db.execute(swap.create_copy)
        yield SqliteBulkLoad(db, swap.copy if swap else table, columns)
        try:
            if swap is not None:
                for _, sql in swap.autoindexes:
                    db.execute(sql)
                _exchange(db, table, swap)
                _check_swapped(db, table, swap)
            for _, sql in indexes:
                db.execute(sql)
        except sqlite3.IntegrityError as exc:
            raise _duplicate(table, exc) from None
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
