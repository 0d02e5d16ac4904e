"""SQLite: the zero-setup default. Loads with `executemany` in large transactions."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

# Importing Tortoise's SQLite executor registers the adapters (Decimal, date, datetime)
# it writes with, so raw inserts store exactly what the ORM stores.
import tortoise.backends.sqlite.executor  # noqa: F401

from toolkit.backends.base import (
    Backend,
    BulkLoad,
    Connection,
    LockHandle,
    Row,
    Statement,
    Tx,
    migration_running,
    quote_ident,
    seeds_running,
    wait_for_lock,
)
from toolkit.errors import DatabaseUnavailable, LockTimeout

# Tortoise registers no adapter for times, so its own SQLite inserts of a TimeField fail
# ("type 'datetime.time' is not supported"). Store the ISO text, which its TimeField reads.
sqlite3.register_adapter(datetime.time, lambda value: value.isoformat())


class _SqliteTx(Tx):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    async def execute(self, sql: str, *args: Any) -> None:
        self.db.execute(sql, args)

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return list(self.db.execute(sql, args).fetchall())


class SqliteConnection(Connection):
    def __init__(self, path: str) -> None:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a batch and its
        # ledger entry share one transaction.
        try:
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA foreign_keys = ON")
        except sqlite3.OperationalError as exc:
            raise DatabaseUnavailable(_needs_write(Path(path), str(exc))) from None
        # 64 MB of page cache keeps the unique indexes' hot pages in memory while loading:
        # measured 14 s -> 11 s for 1M users. It bounds memory; it is not per-row.
        self.db.execute("PRAGMA cache_size = -64000")

    async def execute(self, sql: str, *args: Any) -> None:
        self.db.execute(sql, args)

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return list(self.db.execute(sql, args).fetchall())

    async def load(
        self, table: str, columns: Sequence[str], rows: Sequence[Row], then: Sequence[Statement] = ()
    ) -> None:
        cols = ", ".join(quote_ident(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {quote_ident(table)} ({cols}) VALUES ({marks})"
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(sql, rows)
            for stmt, args in then:
                self.db.execute(stmt, args)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany(sql, rows)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    @asynccontextmanager
    async def serialized(self) -> AsyncIterator[Tx]:
        # BEGIN IMMEDIATE takes SQLite's write lock now, so no other writer interleaves.
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTx(self.db)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def bulk_load(self, table: str, columns: Sequence[str]) -> AbstractAsyncContextManager[BulkLoad | None]:
        from toolkit.backends.sqlite_bulk import bulk_load

        return bulk_load(self.db, table, columns)

    async def table_exists(self, table: str) -> bool:
        found = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return found is not None

    async def close(self) -> None:
        self.db.close()


def _open_lock_file(path: str) -> int:
    """The lock file beside the database, with the database file's mode and group: whoever
    may write the database may take its migration lock (a second user of the group too)."""
    lock = f"{path}.lock"
    try:
        db = os.stat(path)
    except OSError:
        db = None
    existed = os.path.exists(lock)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except PermissionError:
        raise DatabaseUnavailable(
            f"cannot open the lock file {lock}: permission denied; the user running toolkit "
            f"needs write access to {os.path.dirname(os.path.abspath(lock))} and to the lock file"
        ) from None
    if db is not None and not existed:
        with contextlib.suppress(OSError):  # not the owner of the folder's group: keep ours
            os.fchown(fd, -1, db.st_gid)
        with contextlib.suppress(OSError):
            os.fchmod(fd, db.st_mode & 0o666)  # past the umask, which would drop group write
    return fd


def _try_flock(fd: int, kind: int) -> bool:
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _open_seed_lock_file(path: str) -> int | None:
    """The lock file for a seed's shared lock. A file we may only read locks as well; none,
    and none can be made, and no migration can hold it: None, the seed needs no lock (its
    own writes then fail with the permission they need)."""
    try:
        return _open_lock_file(path)
    except DatabaseUnavailable:
        try:
            return os.open(f"{path}.lock", os.O_RDONLY)
        except OSError:
            return None


def _writable(path: Path, *, folder: bool = False) -> bool:
    """Whether this process can write `path`: tried, not guessed from the mode bits (root
    passes those, and an immutable or read-only-mounted file fails anyway)."""
    if folder:
        if not path.is_dir():
            return True  # said elsewhere: the folder does not exist
        probe = path / f".toolkit-write-check-{os.getpid()}"
        try:
            probe.touch()
            probe.unlink()
            return True
        except OSError:
            return False
    try:
        with open(path, "r+b"):
            return True
    except OSError:
        return False


def _needs_write(path: Path, reason: str) -> str:
    return (
        f"cannot use SQLite database {path} ({reason}); the user running toolkit needs read "
        f"and write permission on the file and on its folder {path.parent or '.'} (SQLite "
        "writes its journal beside the file)"
    )


class SqliteBackend(Backend):
    dialect = "sqlite"
    label = "SQLite"
    # Fewer, larger transactions: each commit syncs the file.
    default_batch_size = 50_000
    checks_foreign_keys_after_migration = True
    is_local = True
    executescript_commits = True

    @property
    def path(self) -> str:
        """The database file; a `?option=...` query is for Tortoise, not part of the name."""
        return self.url.split("://", 1)[1].split("?", 1)[0]

    def explain(self, exc: BaseException) -> str | None:
        text = str(exc).lower()
        path = Path(self.path)
        if "readonly database" in text or "unable to open database file" in text:
            return _needs_write(path, str(exc).strip())
        if "disk is full" in text or "disk i/o error" in text:
            return (
                f"the disk holding {path} is full ({str(exc).strip()}); the open transaction was "
                "rolled back and committed work stays; free some space and run the command again"
            )
        if "file is not a database" in text:
            return (
                f"{path} is not an SQLite database (file is not a database); point the database "
                "URL at an SQLite file, or move that file away for toolkit to create one"
            )
        return None

    def disk_full_here(self, exc: BaseException) -> bool:
        # SQLITE_FULL: "database or disk is full".
        return "disk is full" in str(exc).lower() or super().disk_full_here(exc)

    def tortoise_url(self) -> str:
        return "sqlite://" + self.url.split("://", 1)[1]

    @staticmethod
    def offline_client() -> Any:
        from tortoise.backends.sqlite.client import SqliteClient

        return SqliteClient(file_path=":memory:", connection_name="toolkit_offline_sqlite")

    async def ensure_reachable(self, *, timeout: float, create: bool) -> bool:
        if self.path == ":memory:":
            return True
        path = Path(self.path)
        if path.is_dir():
            raise DatabaseUnavailable(
                f"{path} is a folder, not an SQLite database file; point the database URL at a "
                f"file, such as sqlite://{path / 'dev.sqlite3'}"
            )
        if path.exists():
            if create and not _writable(path):
                raise DatabaseUnavailable(_needs_write(path, "the file is read-only"))
            return True
        if create and not _writable(path.parent, folder=True):
            raise DatabaseUnavailable(_needs_write(path, f"folder {path.parent} is read-only"))
        if not path.parent.is_dir():
            raise DatabaseUnavailable(
                f"cannot create SQLite database {path}: folder {path.parent} does not exist; "
                "create it or fix the database URL"
            )
        return False

    async def connect(self, concurrency: int) -> Connection:
        return SqliteConnection(self.path)

    async def columns(self, conn: Connection, table: str) -> dict[str, bool]:
        rows = await conn.fetch(f"PRAGMA table_info({self.quote(table)})")
        # An INTEGER PRIMARY KEY is never NULL, whatever its declaration says.
        return {r[1]: not r[3] and not r[5] for r in rows}

    async def indexes(self, conn: Connection, table: str) -> list[tuple[bool, tuple[str, ...]]]:
        found = []
        for _, name, unique, *_ in await conn.fetch(f"PRAGMA index_list({self.quote(table)})"):
            cols = await conn.fetch(f"PRAGMA index_info({self.quote(name)})")
            found.append((bool(unique), tuple(c[2] for c in sorted(cols))))
        return found

    async def not_null_columns(self, conn: Connection, table: str) -> set[str]:
        return {r[1] for r in await conn.fetch(f"PRAGMA table_info({self.quote(table)})") if r[3]}

    @asynccontextmanager
    async def migration_lock(self, timeout: float) -> AsyncIterator[LockHandle]:
        path = self.path
        # An flock lives as long as this process keeps the descriptor: nothing to verify.
        if path in ("", ":memory:"):
            yield LockHandle(path)
            return
        fd = _open_lock_file(path)
        try:
            async def try_once() -> bool:
                return _try_flock(fd, fcntl.LOCK_EX)

            async def held_by() -> LockTimeout:
                # Its shared side free to us: seeds hold it, not another migration.
                if _try_flock(fd, fcntl.LOCK_SH):
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    return seeds_running(path, timeout)
                return LockTimeout.waited(path, timeout)

            await wait_for_lock(try_once, timeout, path, held_by)
            try:
                yield LockHandle(path)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    @asynccontextmanager
    async def seed_lock(self, timeout: float) -> AsyncIterator[None]:
        path = self.path
        fd = None if path in ("", ":memory:") else _open_seed_lock_file(path)
        if fd is None:
            yield
            return
        try:
            async def try_once() -> bool:
                return _try_flock(fd, fcntl.LOCK_SH)

            async def held_by() -> LockTimeout:
                return migration_running(path, timeout)

            await wait_for_lock(try_once, timeout, path, held_by)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


    async def referencing_tables(self, conn: Connection, table: str) -> list[str]:
        found = []
        for (name,) in await conn.fetch("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            if name.lower() == table.lower():
                continue
            keys = await conn.fetch("SELECT * FROM pragma_foreign_key_list(?)", name)
            if any(k[2].lower() == table.lower() for k in keys):
                found.append(name)
        return found

    async def empty_table(self, tx: Tx, table: str) -> None:
        # RESTRICT acts row by row (NO ACTION waits for the statement's end): a row deleted
        # before the rows of its own table that point at it fails. A row pointing at itself
        # doesn't hold itself back, so each is pointed at itself first; other tables' rows
        # still hold theirs back.
        for _, _, parent, column, key, _, on_delete, _ in await tx.fetch(
            "SELECT * FROM pragma_foreign_key_list(?)", table
        ):
            if parent.lower() == table.lower() and on_delete == "RESTRICT":
                if key is None:  # REFERENCES t without a column: its primary key
                    pk = "SELECT name FROM pragma_table_info(?) WHERE pk = 1"
                    key = (await tx.fetch(pk, table))[0][0]
                col, q = self.quote(column), self.quote(table)
                await tx.execute(f"UPDATE {q} SET {col} = {self.quote(key)} WHERE {col} IS NOT NULL")
        await tx.execute(f"DELETE FROM {self.quote(table)}")
        # AUTOINCREMENT remembers the largest key ever used; forget it with the rows.
        if await tx.fetch("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"):
            await tx.execute("DELETE FROM sqlite_sequence WHERE name = ?", table)

    async def drop_tables(self, conn: Connection, tables: Sequence[str]) -> None:
        # The checks are off while dropping: SQLite would otherwise delete the rows first
        # and refuse to orphan the rows of a table not yet dropped.
        await conn.execute("PRAGMA foreign_keys = OFF")
        try:
            for table in tables:
                await conn.execute(f"DROP TABLE IF EXISTS {self.quote(table)}")
        finally:
            await conn.execute("PRAGMA foreign_keys = ON")

    def sync_sequence_sql(self, table: str, column: str, at_least: int = 0) -> list[str]:
        return []  # AUTOINCREMENT already tracks explicitly inserted keys
