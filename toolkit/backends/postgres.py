"""PostgreSQL through asyncpg. Loads with binary COPY on a pool of connections."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

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
    sql_literal,
    wait_for_lock,
    with_placeholders,
)
from toolkit.errors import DatabaseUnavailable, LockTimeout

# asyncpg logs its own connection troubles (with tracebacks) through `logging`; toolkit
# reports them itself, in one line, so they must not reach stderr a second time.
logging.getLogger("asyncpg").addHandler(logging.NullHandler())

# Query options of a Tortoise database URL that asyncpg would take for server settings.
_TORTOISE_ONLY = frozenset({
    "minsize", "maxsize", "min_size", "max_size", "max_queries", "max_inactive_connection_lifetime",
    "timeout", "statement_cache_size", "max_cached_statement_lifetime", "max_cacheable_statement_size",
    "schema", "ssl", "connection_class",
})
ASYNCPG_OPTIONS_URL = "https://magicstack.github.io/asyncpg/current/api/index.html#connection"
# int.from_bytes(b"tkledgr", "big"): serializes the seed ledger's run allocations.
LEDGER_LOCK_KEY = int.from_bytes(b"tkledgr", "big")
# int.from_bytes(b"tkstep", "big"): taken inside each migration's own transaction, so a
# second runner (one that took the session lock after ours was lost) waits for our commit.
STEP_LOCK_KEY = int.from_bytes(b"tkstep", "big")
# What the lock's session is called in pg_stat_activity, for operators and tests.
LOCK_APPLICATION_NAME = "toolkit migration lock"
SEED_LOCK_APPLICATION_NAME = "toolkit seed lock"


@functools.lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    # Cached: the loader sends the same few statements for every batch.
    return with_placeholders(sql, lambda i: f"${i}")


class _PostgresTx(Tx):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, *args: Any) -> None:
        await self.conn.execute(_numbered(sql), *args)

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self.conn.fetch(_numbered(sql), *args)]


class PostgresConnection(Connection):
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def execute(self, sql: str, *args: Any) -> None:
        await self.pool.execute(_numbered(sql), *args)

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in await self.pool.fetch(_numbered(sql), *args)]

    async def load(
        self, table: str, columns: Sequence[str], rows: Sequence[Row], then: Sequence[Statement] = ()
    ) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.copy_records_to_table(table, records=rows, columns=list(columns))
            for stmt, args in then:
                await conn.execute(_numbered(stmt), *args)

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.executemany(_numbered(sql), rows)

    @asynccontextmanager
    async def serialized(self) -> AsyncIterator[Tx]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", LEDGER_LOCK_KEY)
            yield _PostgresTx(conn)

    def bulk_load(self, table: str, columns: Sequence[str]) -> AbstractAsyncContextManager[BulkLoad | None]:
        from toolkit.backends.postgres_bulk import bulk_load

        return bulk_load(self.pool, table, columns)

    async def table_exists(self, table: str) -> bool:
        return bool(await self.pool.fetchval("SELECT to_regclass($1) IS NOT NULL", quote_ident(table)))

    async def close(self) -> None:
        await self.pool.close()


class PostgresBackend(Backend):
    dialect = "postgres"
    label = "PostgreSQL"
    script_is_one_transaction = True

    def __init__(self, url: str) -> None:
        super().__init__(url)
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.port = parts.port or 5432
        self.database = (parts.path or "/").lstrip("/") or (parts.username or "postgres")
        self.user = parts.username or "postgres"

    @property
    def dsn(self) -> str:
        """The URL for asyncpg: its own scheme, without the query options only Tortoise reads."""
        # asyncpg knows postgres:// and postgresql://, not Tortoise's asyncpg://.
        parts = urlsplit("postgresql://" + self.url.split("://", 1)[1])
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _TORTOISE_ONLY]
        if self.options.get("ssl", "").lower() in ("1", "true", "yes") and "sslmode" not in dict(query):
            query.append(("sslmode", "require"))
        return urlunsplit(parts._replace(query=urlencode(query)))

    @property
    def options(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    @property
    def server_settings(self) -> dict[str, str]:
        # Tortoise's `?schema=` is the search path: our own connections must see the same tables.
        schema = self.options.get("schema")
        return {"search_path": schema} if schema else {}

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def is_connection_lost(self, exc: BaseException) -> bool:
        if isinstance(exc, asyncpg.OutdatedSchemaCacheError):
            return False
        return isinstance(
            exc,
            (
                ConnectionError,
                OSError,
                asyncpg.ConnectionDoesNotExistError,
                asyncpg.AdminShutdownError,
                asyncpg.CannotConnectNowError,
                asyncpg.InterfaceError,
                # The pool's reset of a connection the server has just cut: asyncpg's protocol
                # is left mid-operation. toolkit never overlaps operations on one connection.
                asyncpg.InternalClientError,
            ),
        )

    def is_fallout(self, context: Mapping[str, Any]) -> bool:
        # The pool resets a connection whose transaction died with it, and says so.
        message = str(context.get("message", ""))
        return super().is_fallout(context) or message.startswith("Resetting connection with an active")

    def is_server_reason(self, exc: BaseException) -> bool:
        return isinstance(exc, asyncpg.PostgresError)

    def tortoise_url(self) -> str:
        return "asyncpg://" + self.url.split("://", 1)[1]

    @staticmethod
    def offline_client() -> Any:
        from tortoise.backends.asyncpg.client import AsyncpgDBClient

        return AsyncpgDBClient(
            user="toolkit", password="", database="toolkit", host="localhost", port=5432,
            connection_name="toolkit_offline_postgres",
        )

    async def _connect_one(self, timeout: float, name: str | None = None) -> asyncpg.Connection:
        settings = {**self.server_settings, **({"application_name": name} if name else {})}
        async with self._explained(timeout):
            return await asyncpg.connect(self.dsn, timeout=timeout, server_settings=settings)

    @asynccontextmanager
    async def _explained(self, timeout: float) -> AsyncIterator[None]:
        """A failure to connect, as one line with the fix."""
        try:
            yield
        except asyncpg.InvalidCatalogNameError:
            raise DatabaseUnavailable(
                f"database {self.database!r} does not exist on {self.where}; "
                f"create it (createdb -h {self.host} -p {self.port} {self.database}) "
                "or fix the database URL"
            ) from None
        except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
            raise DatabaseUnavailable.refused(self.label, self.where, self.user) from None
        except (TimeoutError, OSError, asyncpg.CannotConnectNowError) as exc:
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, asyncio.TimeoutError):
                reason = f"no answer within {timeout:g}s"
            raise DatabaseUnavailable.unreachable(self.label, self.where, reason) from None

    async def ensure_reachable(self, *, timeout: float, create: bool) -> bool:
        conn = await self._connect_one(timeout)
        await conn.close()
        return True

    async def connect(self, concurrency: int) -> Connection:
        # min_size=0: after a lost connection the pool doesn't try to reconnect behind our back.
        pool = await asyncpg.create_pool(
            self.dsn, min_size=0, max_size=concurrency, server_settings=self.server_settings,
            timeout=5,
        )
        try:
            # The pool's first connection, opened now so a failure is explained; it stays
            # in the pool for the queries that follow.
            async with self._explained(5):
                await pool.fetchval("SELECT 1")
        except BaseException:
            pool.terminate()
            raise
        return PostgresConnection(pool)

    async def columns(self, conn: Connection, table: str) -> dict[str, bool]:
        rows = await conn.fetch(
            "SELECT column_name, is_nullable = 'YES' FROM information_schema.columns "
            "WHERE table_name = ? AND table_schema = current_schema()",
            table,
        )
        return {r[0]: bool(r[1]) for r in rows}

    async def indexes(self, conn: Connection, table: str) -> list[tuple[bool, tuple[str, ...]]]:
        rows = await conn.fetch(
            "SELECT i.indisunique, array_agg(a.attname ORDER BY k.ord) FROM pg_index i "
            "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) "
            "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
            "WHERE i.indrelid = to_regclass(?) GROUP BY i.indexrelid, i.indisunique",
            quote_ident(table),
        )
        return [(bool(r[0]), tuple(r[1])) for r in rows]

    async def not_null_columns(self, conn: Connection, table: str) -> set[str]:
        rows = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "AND table_schema = current_schema() AND is_nullable = 'NO'",
            table,
        )
        return {r[0] for r in rows}

    def placeholder(self, i: int) -> str:
        return f"${i}"

    def explain(self, exc: BaseException) -> str | None:
        # Tortoise hands the URL's query options to asyncpg.connect as keywords; one it
        # doesn't take (sslpassword, a typo) fails there, named by Python, not by us.
        found = re.search(r"unexpected keyword argument '(\w+)'", str(exc))
        if isinstance(exc, TypeError) and found and found[1] in self.options:
            return (
                f"the database URL's option ?{found[1]}= is not one Tortoise's asyncpg client "
                f"takes; remove it from the URL (asyncpg's options: {ASYNCPG_OPTIONS_URL})"
            )
        return super().explain(exc)

    def disk_full_here(self, exc: BaseException) -> bool:
        # 53100 disk_full: "could not extend file ...: No space left on device".
        return getattr(exc, "sqlstate", None) == "53100" or super().disk_full_here(exc)

    def lock_wait_sql(self, seconds: float) -> str | None:
        # LOCAL: the setting ends with the migration's transaction.
        return f"SET LOCAL lock_timeout = '{int(seconds * 1000)}ms'" if seconds > 0 else None

    def is_lock_wait_timeout(self, exc: BaseException) -> bool:
        seen: list[object] = [exc]
        while seen:
            item = seen.pop()
            if getattr(item, "sqlstate", None) == "55P03":  # lock_not_available
                return True
            if isinstance(item, BaseException):
                seen.extend(x for x in (item.__cause__, item.__context__, *item.args) if x is not None)
        return False

    async def lock_holders(self, conn: Connection, table: str) -> list[tuple[int, str]]:
        rows = await conn.fetch(
            "SELECT l.pid, coalesce(a.query, '') FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.relation = to_regclass(?) AND l.granted AND l.pid <> pg_backend_pid() "
            "ORDER BY a.xact_start NULLS LAST",
            quote_ident(table),
        )
        return [(int(r[0]), str(r[1])) for r in rows]

    async def create_database(self, name: str) -> None:
        await self._server_execute(f"CREATE DATABASE {quote_ident(name)}")

    async def drop_database(self, name: str) -> None:
        await self._server_execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")

    async def _server_execute(self, sql: str) -> None:
        conn = await self._connect_one(timeout=5)  # one line, no password, when it's down
        try:
            await conn.execute(sql)
        except asyncpg.PostgresError as exc:
            hint = (
                f"; the user {self.user!r} needs CREATEDB (ALTER ROLE {self.user} CREATEDB)"
                if isinstance(exc, asyncpg.InsufficientPrivilegeError)
                else ""
            )
            raise DatabaseUnavailable(f"{' '.join(sql.split()[:2])} on {self.where} failed: {exc}{hint}") from None
        finally:
            await conn.close()

    def table_exists_sql(self, table: str) -> str:
        return f"SELECT 1 WHERE to_regclass({sql_literal(quote_ident(table))}) IS NOT NULL"

    def step_lock_sql(self) -> tuple[str, str] | None:
        return f"SELECT pg_advisory_xact_lock({STEP_LOCK_KEY})", ""

    @asynccontextmanager
    async def migration_lock(self, timeout: float) -> AsyncIterator[LockHandle]:
        from toolkit.lock import MIGRATION_LOCK_KEY

        # A session lock on a connection of its own: the migrations' transactions come and go.
        conn = await self._connect_one(timeout=max(timeout, 5), name=LOCK_APPLICATION_NAME)
        try:
            async def try_once() -> bool:
                return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY))

            async def still_held() -> bool:
                # A session's advisory lock lives exactly as long as the session.
                return bool(await conn.fetchval("SELECT 1"))

            async def held_by() -> LockTimeout:
                # Its shared side free to us: seeds hold it, not another migration.
                if await conn.fetchval("SELECT pg_try_advisory_lock_shared($1)", MIGRATION_LOCK_KEY):
                    await conn.execute("SELECT pg_advisory_unlock_shared($1)", MIGRATION_LOCK_KEY)
                    return seeds_running(self.where, timeout)
                return LockTimeout.waited(self.where, timeout)

            await wait_for_lock(try_once, timeout, self.where, held_by)
            try:
                yield LockHandle(self.where, still_held)
            finally:
                with contextlib.suppress(Exception):
                    await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        finally:
            await conn.close()

    @asynccontextmanager
    async def seed_lock(self, timeout: float) -> AsyncIterator[None]:
        from toolkit.lock import MIGRATION_LOCK_KEY

        # The migration lock's key, shared: pg_try_advisory_lock (exclusive) fails while any
        # seed holds it, and this while a migration does.
        conn = await self._connect_one(timeout=max(timeout, 5), name=SEED_LOCK_APPLICATION_NAME)
        try:
            async def try_once() -> bool:
                return bool(await conn.fetchval("SELECT pg_try_advisory_lock_shared($1)", MIGRATION_LOCK_KEY))

            async def held_by() -> LockTimeout:
                return migration_running(self.where, timeout)

            await wait_for_lock(try_once, timeout, self.where, held_by)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):
                    await conn.execute("SELECT pg_advisory_unlock_shared($1)", MIGRATION_LOCK_KEY)
        finally:
            await conn.close()


    async def referencing_tables(self, conn: Connection, table: str) -> list[str]:
        rows = await conn.fetch(
            "SELECT DISTINCT k.relname FROM pg_constraint c JOIN pg_class k ON k.oid = c.conrelid "
            "WHERE c.contype = 'f' AND c.confrelid = to_regclass(?) AND c.conrelid <> c.confrelid",
            quote_ident(table),
        )
        return sorted(r[0] for r in rows)

    async def empty_table(self, tx: Tx, table: str) -> None:
        # CASCADE: rows of other tables that point here can't outlive their parents.
        await tx.execute(f"TRUNCATE {self.quote(table)} RESTART IDENTITY CASCADE")

    async def drop_tables(self, conn: Connection, tables: Sequence[str]) -> None:
        if tables:
            await conn.execute(f"DROP TABLE IF EXISTS {', '.join(map(self.quote, tables))} CASCADE")

    def sync_sequence_sql(self, table: str, column: str, at_least: int = 0) -> list[str]:
        q, c = self.quote(table), self.quote(column)
        literal = "'" + q.replace("'", "''") + "'"
        col_literal = "'" + column.replace("'", "''") + "'"
        seq = f"pg_get_serial_sequence({literal}, {col_literal})"
        # Never backwards: the application may hold keys it has not committed yet.
        return [
            f"SELECT setval({seq}, GREATEST((SELECT COALESCE(MAX({c}), 0) FROM {q}), "
            f"{int(at_least)}, COALESCE(pg_sequence_last_value({seq}::regclass), 0)) + 1, false) "
            f"WHERE {seq} IS NOT NULL"
        ]
