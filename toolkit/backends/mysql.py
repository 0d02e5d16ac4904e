"""MySQL and MariaDB through aiomysql. Loads with multi-row INSERTs in one transaction per batch.

toolkit's own SQL quotes identifiers with double quotes, so every raw connection here runs
with `ANSI_QUOTES` added to its `sql_mode` (Tortoise and Aerich use their own connections
and write backticks).

What MySQL can't give: DDL commits implicitly, so a migration is not atomic (statements
before an error stay), and emptying a table with `--truncate` does not restart its
AUTO_INCREMENT (InnoDB moves it past explicitly inserted keys by itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import aiomysql
import pymysql

from toolkit.backends import mysql_locks
from toolkit.backends.base import (
    Backend,
    Connection,
    LockHandle,
    Row,
    Statement,
    Tx,
    quote_ident,
    sql_literal,
    with_placeholders,
)
from toolkit.errors import DatabaseUnavailable, LockTimeout

# MySQL reports notes such as "Table ... already exists" (for CREATE TABLE IF NOT EXISTS)
# as Python warnings; they would reach stderr as noise.
warnings.filterwarnings("ignore", category=pymysql.Warning)

# MySQL's named locks: one for migrations, one serializing the seed ledger's allocations.
# They are server-wide, so each names its database (a lock name holds at most 64 characters).
MIGRATION_LOCK_NAME = "toolkit_migrations"
LEDGER_LOCK_NAME = "toolkit_ledger"
# Held by the connection that runs one migration, from its first statement to its record.
STEP_LOCK_NAME = "toolkit_step"
# Prefix of the seeds' slot locks (`mysql_locks`); the migration lock is their gate.
SEED_LOCK_NAME = "toolkit_seed"
STEP_LOCK_WAIT_SECONDS = 300


def lock_name(kind: str, database: str) -> str:
    """`toolkit_migrations:<database>`: one lock per database, not per server."""
    return f"{kind}:{database[:44]}"
_INIT = "SET SESSION sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES'), time_zone = '+00:00'"
# Server error numbers (ER_*) and client ones (CR_*) that mean the session is gone.
_LOST = {2006, 2013, 2055, 1927, 4031}
_BAD_DB, _ACCESS_DENIED, _DISK_FULL = 1049, 1045, {1021, 1114}


def _pyformat(sql: str) -> str:
    """`sql` for pymysql's `%` formatting: every `%` doubled (names and literals too, as
    pymysql formats the whole text), each `?` parameter outside quotes made `%s`."""
    return with_placeholders(sql.replace("%", "%%"), lambda _: "%s")


def _format(sql: str, args: Sequence[Any]) -> tuple[str, Sequence[Any] | None]:
    # Without args pymysql doesn't format: the text goes as it is.
    if not args:
        return sql, None
    return _pyformat(sql), tuple(args)


class _MysqlTx(Tx):
    def __init__(self, conn: aiomysql.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, *args: Any) -> None:
        async with self.conn.cursor() as cur:
            await cur.execute(*_format(sql, args))

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self.conn.cursor() as cur:
            await cur.execute(*_format(sql, args))
            return [tuple(r) for r in await cur.fetchall()]


class MysqlConnection(Connection):
    def __init__(self, pool: aiomysql.Pool, database: str) -> None:
        self.pool = pool
        self.ledger_lock = lock_name(LEDGER_LOCK_NAME, database)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiomysql.Connection]:
        async with self.pool.acquire() as conn:
            await conn.begin()
            try:
                yield conn
                await conn.commit()
            except BaseException:
                with contextlib.suppress(Exception):
                    await conn.rollback()
                raise

    async def execute(self, sql: str, *args: Any) -> None:
        async with self._transaction() as conn:
            await _MysqlTx(conn).execute(sql, *args)

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self._transaction() as conn:
            return await _MysqlTx(conn).fetch(sql, *args)

    async def load(
        self, table: str, columns: Sequence[str], rows: Sequence[Row], then: Sequence[Statement] = ()
    ) -> None:
        # pymysql turns executemany of one INSERT ... VALUES into multi-row INSERTs.
        sql = _pyformat(f"INSERT INTO {quote_ident(table)} ({', '.join(map(quote_ident, columns))}) VALUES ")
        sql += "(" + ", ".join("%s" for _ in columns) + ")"
        async with self._transaction() as conn:
            async with conn.cursor() as cur:
                await cur.executemany(sql, [tuple(r) for r in rows])
            tx = _MysqlTx(conn)
            for stmt, args in then:
                await tx.execute(stmt, *args)

    async def reserve_keys(self, table: str, column: str, at_least: int) -> None:
        # The ALTER commits, and takes the table's metadata lock for a moment: behind a long
        # transaction every query on the table would queue behind it, so it waits 1 s at most.
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute("SET SESSION lock_wait_timeout = 1")
            with contextlib.suppress(aiomysql.OperationalError):  # waited, or no ALTER right: skip
                await cur.execute(f"ALTER TABLE {quote_ident(table)} AUTO_INCREMENT = {int(at_least) + 1}")
            await cur.execute("SET SESSION lock_wait_timeout = DEFAULT")

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        async with self._transaction() as conn, conn.cursor() as cur:
            await cur.executemany(_pyformat(sql), [tuple(r) for r in rows])

    @asynccontextmanager
    async def serialized(self) -> AsyncIterator[Tx]:
        async with self.pool.acquire() as conn:
            tx = _MysqlTx(conn)
            # A named lock is held by the session, not the transaction: release it after.
            got = await tx.fetch("SELECT GET_LOCK(?, 60)", self.ledger_lock)
            if not got or got[0][0] != 1:
                raise LockTimeout("another toolkit seed held the seed ledger's lock for 60s; try again")
            try:
                await conn.begin()
                try:
                    yield tx
                    await conn.commit()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await conn.rollback()
                    raise
            finally:
                with contextlib.suppress(Exception):
                    await tx.fetch("SELECT RELEASE_LOCK(?)", self.ledger_lock)

    async def table_exists(self, table: str) -> bool:
        found = await self.fetch(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
            table,
        )
        return bool(found)

    async def close(self) -> None:
        self.pool.close()
        await self.pool.wait_closed()


class MysqlBackend(Backend):
    dialect = "mysql"
    label = "MySQL"
    transactional_ddl = False  # each DDL statement commits by itself

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 3306
        self.user = unquote(parts.username or "root")
        self.password = unquote(parts.password or "")
        self.database = (parts.path or "/").lstrip("/")
        self.options = dict(parse_qsl(parts.query))

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def tortoise_url(self) -> str:
        return "mysql://" + self.url.split("://", 1)[1]

    @staticmethod
    def offline_client() -> Any:
        from tortoise.backends.mysql.client import MySQLClient

        return MySQLClient(
            user="toolkit", password="", database="toolkit", host="localhost", port=3306,
            connection_name="toolkit_offline_mysql", charset="utf8mb4",
        )

    def is_connection_lost(self, exc: BaseException) -> bool:
        if isinstance(exc, pymysql.err.OperationalError) and exc.args and exc.args[0] in _LOST:
            return True
        return isinstance(exc, (ConnectionError, OSError, pymysql.err.InterfaceError))

    def disk_full_here(self, exc: BaseException) -> bool:
        if not isinstance(exc, pymysql.err.MySQLError) or not exc.args:
            return super().disk_full_here(exc)
        # ER_DISK_FULL, ER_RECORD_FILE_FULL, or OS error 28 (ENOSPC) writing a file.
        text = str(exc.args[-1]).lower()
        return exc.args[0] in _DISK_FULL or "errcode: 28" in text or "error 28 " in text

    def is_server_reason(self, exc: BaseException) -> bool:
        return isinstance(exc, pymysql.err.MySQLError) and not self.is_connection_lost(exc)

    def _connect_kwargs(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password": self.password,
            "db": self.database,
            "charset": self.options.get("charset", "utf8mb4"),
            "autocommit": False,
            "init_command": _INIT,
        }

    async def _connect_one(self, timeout: float) -> aiomysql.Connection:
        async with self._explained(timeout):
            return await asyncio.wait_for(
                aiomysql.connect(connect_timeout=timeout, **self._connect_kwargs()), timeout + 1
            )

    @asynccontextmanager
    async def _explained(self, timeout: float) -> AsyncIterator[None]:
        """A failure to connect, as one line with the fix."""
        if not self.database:
            raise DatabaseUnavailable(
                f"the MySQL URL names no database ({self.where}); use mysql://user:password@host:port/DATABASE"
            )
        try:
            yield
        except pymysql.err.OperationalError as exc:
            code = exc.args[0] if exc.args else None
            if code == _BAD_DB:
                raise DatabaseUnavailable(
                    f"database {self.database!r} does not exist on MySQL at {self.where}; "
                    f"create it (CREATE DATABASE `{self.database}`) or fix the database URL"
                ) from None
            if code == _ACCESS_DENIED:
                raise DatabaseUnavailable.refused(self.label, self.where, self.user) from None
            reason = str(exc.args[1] if len(exc.args) > 1 else exc)
            raise DatabaseUnavailable.unreachable(self.label, self.where, reason) from None
        except (TimeoutError, OSError) as exc:
            reason = str(exc) or f"no answer within {timeout:g}s"
            raise DatabaseUnavailable.unreachable(self.label, self.where, reason) from None

    async def server_execute(self, sql: str) -> None:
        """Run one statement on the server, outside any database (CREATE / DROP DATABASE)."""
        kwargs = {**self._connect_kwargs(), "db": None, "autocommit": True}
        try:
            conn = await aiomysql.connect(connect_timeout=5, **kwargs)
        except (pymysql.err.OperationalError, OSError) as exc:
            raise DatabaseUnavailable(f"cannot reach MySQL at {self.where} ({exc})") from None
        try:
            async with conn.cursor() as cur:
                await cur.execute(sql)
        except pymysql.err.MySQLError as exc:
            raise DatabaseUnavailable(f"{' '.join(sql.split()[:2])} on {self.where} failed: {exc}") from None
        finally:
            conn.close()

    async def ensure_reachable(self, *, timeout: float, create: bool) -> bool:
        conn = await self._connect_one(timeout)
        conn.close()
        return True

    async def connect(self, concurrency: int) -> Connection:
        async with self._explained(5):
            pool = await aiomysql.create_pool(
                minsize=0, maxsize=concurrency, connect_timeout=5, **self._connect_kwargs()
            )
            try:
                # The pool's first connection, opened now so a failure is explained; it
                # stays in the pool for the queries that follow.
                async with pool.acquire():
                    pass
            except BaseException:
                pool.close()
                await pool.wait_closed()
                raise
        return MysqlConnection(pool, self.database)

    async def columns(self, conn: Connection, table: str) -> dict[str, bool]:
        rows = await conn.fetch(
            "SELECT column_name, is_nullable = 'YES' FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND table_name = ?",
            table,
        )
        return {r[0]: bool(r[1]) for r in rows}

    async def indexes(self, conn: Connection, table: str) -> list[tuple[bool, tuple[str, ...]]]:
        rows = await conn.fetch(
            "SELECT index_name, non_unique = 0, column_name FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() AND table_name = ? ORDER BY index_name, seq_in_index",
            table,
        )
        grouped: dict[str, tuple[bool, list[str]]] = {}
        for name, unique, column in rows:
            grouped.setdefault(name, (bool(unique), []))[1].append(column)
        return [(unique, tuple(cols)) for unique, cols in grouped.values()]

    async def not_null_columns(self, conn: Connection, table: str) -> set[str]:
        rows = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = DATABASE() "
            "AND table_name = ? AND is_nullable = 'NO'",
            table,
        )
        return {r[0] for r in rows}

    def placeholder(self, i: int) -> str:
        return "%s"

    async def create_database(self, name: str) -> None:
        await self.server_execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")

    async def drop_database(self, name: str) -> None:
        await self.server_execute(f"DROP DATABASE IF EXISTS `{name}`")

    def table_exists_sql(self, table: str) -> str:
        # Table names hold no backslash here: they come from models and toolkit itself.
        return (
            "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() "
            f"AND table_name = {sql_literal(table)}"
        )

    def step_lock_sql(self) -> tuple[str, str] | None:
        name = "'" + lock_name(STEP_LOCK_NAME, self.database).replace("\\", "\\\\").replace("'", "''") + "'"
        return f"SELECT GET_LOCK({name}, {STEP_LOCK_WAIT_SECONDS})", f"SELECT RELEASE_LOCK({name})"

    def migration_lock(self, timeout: float) -> AbstractAsyncContextManager[LockHandle]:
        return mysql_locks.migration_lock(*self._lock_names(timeout))

    def seed_lock(self, timeout: float) -> AbstractAsyncContextManager[None]:
        return mysql_locks.seed_lock(*self._lock_names(timeout))

    def _lock_names(self, timeout: float) -> tuple[Any, str, str, str, float]:
        gate, seeds = lock_name(MIGRATION_LOCK_NAME, self.database), lock_name(SEED_LOCK_NAME, self.database)
        return lambda: self._connect_one(timeout=max(timeout, 5)), gate, seeds, self.where, timeout

    async def referencing_tables(self, conn: Connection, table: str) -> list[str]:
        rows = await conn.fetch(
            "SELECT DISTINCT TABLE_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME = ? AND TABLE_NAME <> ?",
            table, table,
        )
        return sorted(r[0] for r in rows)

    async def empty_table(self, tx: Tx, table: str) -> None:
        # TRUNCATE would commit the ledger's transaction (it is DDL in MySQL); DELETE doesn't.
        # InnoDB checks a foreign key row by row, so a row that points at a row of its own
        # table (a tree's parent) blocks the DELETE under RESTRICT and NO ACTION, even one
        # pointing at itself: such references are cut first.
        q, required = self.quote(table), False
        for column, nullable in await tx.fetch(
            "SELECT k.COLUMN_NAME, c.IS_NULLABLE FROM information_schema.KEY_COLUMN_USAGE k "
            "JOIN information_schema.COLUMNS c USING (TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME) "
            "WHERE k.TABLE_SCHEMA = DATABASE() AND k.TABLE_NAME = ? "
            "AND k.REFERENCED_TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME = k.TABLE_NAME",
            table,
        ):
            if nullable == "YES":
                await tx.execute(f"UPDATE {q} SET {self.quote(column)} = NULL")
            required = required or nullable != "YES"
        if not required or await self._pointed_at_from_elsewhere(tx, table):
            await tx.execute(f"DELETE FROM {q}")  # other tables' rows still hold theirs back
            return
        # A NOT NULL reference can't be cut: the checks are off for this one DELETE, as no
        # row of another table points at this one.
        await tx.execute("SET SESSION foreign_key_checks = 0")
        try:
            await tx.execute(f"DELETE FROM {q}")
        finally:
            await tx.execute("SET SESSION foreign_key_checks = 1")

    async def _pointed_at_from_elsewhere(self, tx: Tx, table: str) -> bool:
        """Whether a row of another table (in any schema) points at `table`."""
        for schema, other, column in await tx.fetch(
            "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
            "WHERE REFERENCED_TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME = ? "
            "AND NOT (TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?)",
            table, table,
        ):
            where, col = f"{self.quote(schema)}.{self.quote(other)}", self.quote(column)
            if await tx.fetch(f"SELECT 1 FROM {where} WHERE {col} IS NOT NULL LIMIT 1"):
                return True
        return False

    async def drop_tables(self, conn: Connection, tables: Sequence[str]) -> None:
        if not tables:
            return
        assert isinstance(conn, MysqlConnection)
        async with conn.pool.acquire() as raw:
            tx = _MysqlTx(raw)
            # The session's checks are off while dropping: MySQL refuses to drop a table
            # that another one still points at, whatever the order.
            await tx.execute("SET SESSION foreign_key_checks = 0")
            try:
                await tx.execute(f"DROP TABLE IF EXISTS {', '.join(map(self.quote, tables))}")
            finally:
                await tx.execute("SET SESSION foreign_key_checks = 1")

    def sync_sequence_sql(self, table: str, column: str, at_least: int = 0) -> list[str]:
        return []  # InnoDB moves AUTO_INCREMENT past explicit keys; ahead: `reserve_keys`
