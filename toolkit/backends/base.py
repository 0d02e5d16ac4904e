"""The small interface every backend implements: reach the database, run SQL, load rows."""

from __future__ import annotations

import asyncio
import errno
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from toolkit.errors import LockLost, LockTimeout

Row = Sequence[Any]


Statement = tuple[str, Sequence[Any]]
# How often a waiter for the migration lock tries again.
LOCK_POLL_SECONDS = 0.1
# How long the lock's connection may take to prove it is alive before each migration commits.
LOCK_VERIFY_SECONDS = 10.0


async def wait_for_lock(
    try_once: Callable[[], Awaitable[bool]],
    timeout: float,
    where: str,
    failure: Callable[[], Awaitable[LockTimeout]] | None = None,
) -> None:
    """Try `try_once` every LOCK_POLL_SECONDS until it gets the lock; past `timeout`, raise
    `failure()` (which says who holds it), by default "another migration is running"."""
    deadline = time.monotonic() + timeout
    while not await try_once():
        if time.monotonic() >= deadline:
            raise (await failure()) if failure is not None else LockTimeout.waited(where, timeout)
        await asyncio.sleep(LOCK_POLL_SECONDS)


def seeds_running(where: str, timeout: float) -> LockTimeout:
    """A migration or rollback that waited for seed runs holding the lock's shared side."""
    return LockTimeout(
        f"a seed is running on {where} (waited {timeout:g}s for it to finish); try again when "
        "it finishes, or raise --lock-timeout"
    )


def migration_running(where: str, timeout: float) -> LockTimeout:
    """A seed that waited for a migration or rollback holding the migration lock."""
    return LockTimeout(
        f"a migration is running on {where} (waited {timeout:g}s for the migration lock); seed "
        "again when it finishes, or wait longer with --lock-timeout SECONDS"
    )


def with_placeholders(sql: str, mark: Callable[[int], str]) -> str:
    """`sql` with each `?` parameter written `mark(i)` (i from 1), leaving quoted identifiers,
    string literals and comments untouched: a `?` or `%` in a name is part of the name."""
    out: list[str] = []
    i, n, count = 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c in "'\"`":
            end = i + 1
            while end < n:  # a doubled quote inside is the quote itself, and goes on
                if sql[end] == c:
                    if end + 1 < n and sql[end + 1] == c:
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i:end + 1])
            i = end + 1
        elif sql.startswith("--", i) or sql.startswith("/*", i):
            close = "\n" if c == "-" else "*/"
            end = sql.find(close, i + 2)
            end = n if end < 0 else end + len(close)
            out.append(sql[i:end])
            i = end
        elif c == "?":
            count += 1
            out.append(mark(count))
            i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def causes(exc: BaseException) -> list[BaseException]:
    """`exc` and the errors it was raised from or during, nearest first (each once)."""
    chain: list[BaseException] = []
    item: BaseException | None = exc
    while item is not None and item not in chain:
        chain.append(item)
        item = item.__cause__ or item.__context__
    return chain


def quote_ident(name: str) -> str:
    """A table or column name as an SQL identifier (both dialects use double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """A string literal in standard SQL (quotes doubled; no backslash escapes are used)."""
    return "'" + text.replace("'", "''") + "'"


class LockHandle:
    """The migration lock while it is held. `verify` proves it is still held (a lock held by
    a session dies with its connection, and another process may then take it)."""

    def __init__(self, where: str, check: Callable[[], Awaitable[bool]] | None = None) -> None:
        self.where = where
        self._check = check

    async def verify(self) -> None:
        """Raise `LockLost` unless the lock is still ours."""
        if self._check is None:
            return
        try:
            held = await asyncio.wait_for(self._check(), LOCK_VERIFY_SECONDS)
        except Exception as exc:  # the lock's connection is gone, or doesn't answer
            raise LockLost(self.where, str(exc).strip() or type(exc).__name__) from None
        if not held:
            raise LockLost(self.where, "the server no longer shows it held")


class Tx(ABC):
    """Statements inside one transaction. SQL uses `?` placeholders."""

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> None: ...

    @abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]: ...


class BulkLoad(ABC):
    """Rows written into an empty table while its indexes are off (see `Connection.bulk_load`)."""

    @property
    @abstractmethod
    def encoder(self) -> Callable[[Sequence[Sequence[Any]]], Any]:
        """What turns columns of values into what `write` takes; it runs in the generator
        process (forked, so it may hold what it learnt of the table)."""

    @abstractmethod
    async def write(self, payload: Any) -> None:
        """Append rows made by `encoder`."""

    async def write_all(self, payloads: AsyncIterator[Any]) -> None:
        """Append every payload, in order (a backend may stream them as one statement)."""
        async for payload in payloads:
            await self.write(payload)

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> None:
        """A statement in the load's transaction (the ledger's record of it)."""


@asynccontextmanager
async def _no_bulk_load() -> AsyncIterator[BulkLoad | None]:
    yield None


class Connection(ABC):
    """A raw connection (or pool) for the seeder and the ledger. SQL uses `?` placeholders."""

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> None: ...

    @abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    async def load(
        self, table: str, columns: Sequence[str], rows: Sequence[Row], then: Sequence[Statement] = ()
    ) -> None:
        """Insert `rows` and run the `then` statements, all in one transaction."""

    @abstractmethod
    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run `sql` once for each row of arguments, all in one transaction."""

    @abstractmethod
    def serialized(self) -> AbstractAsyncContextManager[Tx]:
        """One transaction that no other toolkit process runs at the same time (the ledger)."""

    @abstractmethod
    async def table_exists(self, table: str) -> bool: ...

    async def reserve_keys(self, table: str, column: str, at_least: int) -> None:  # noqa: B027
        """Move the generated key's counter past `at_least`, outside any transaction, where
        `Backend.sync_sequence_sql` can't do it inside the ledger's (best effort). Most
        databases need nothing here."""

    def bulk_load(self, table: str, columns: Sequence[str]) -> AbstractAsyncContextManager[BulkLoad | None]:
        """One transaction that loads `table`, empty, with its indexes built after the rows;
        None where the database or the table doesn't allow it. Commits on exit."""
        return _no_bulk_load()

    @abstractmethod
    async def close(self) -> None: ...


class Backend(ABC):
    """One database family. Knows its URL, how Tortoise names it, and how to load fast."""

    dialect: str
    label: str
    # Rows per batch (one transaction each) when the user doesn't say.
    default_batch_size: int = 10_000
    # Whether DDL statements join a transaction (and roll back with it).
    transactional_ddl: bool = True
    # Whether a migration runs with foreign-key checks off and checked before it commits
    # (SQLite: a table rebuild's DROP would otherwise fire ON DELETE CASCADE).
    checks_foreign_keys_after_migration: bool = False
    # Whether the driver's run-a-script call commits an open transaction first (so a
    # migration's script must be run statement by statement inside its transaction).
    executescript_commits: bool = False
    # Whether a multi-statement script sent outside a transaction still runs as one.
    script_is_one_transaction: bool = False

    # How the Tortoise client of this dialect writes the i-th (1-based) query parameter.
    def placeholder(self, i: int) -> str:
        return "?"

    def lock_wait_sql(self, seconds: float) -> str | None:
        """A statement that bounds how long the migration's statements wait for a table lock
        in its transaction (so the application's queries don't queue behind it), or None."""
        return None

    def is_lock_wait_timeout(self, exc: BaseException) -> bool:
        """Whether `exc` is a statement that gave up waiting for a lock (`lock_wait_sql`)."""
        return False

    async def lock_holders(self, conn: Connection, table: str) -> list[tuple[int, str]]:
        """Sessions holding a lock on `table`: (pid, their current query)."""
        return []

    async def create_database(self, name: str) -> None:
        """Create database `name` on this URL's server (the pytest plugin's per-run database)."""
        raise NotImplementedError(f"{self.label} has no server to create a database on")

    async def drop_database(self, name: str) -> None:
        """Drop database `name` on this URL's server, even with sessions still open."""
        raise NotImplementedError(f"{self.label} has no server to drop a database on")

    def table_exists_sql(self, table: str) -> str:
        """A query with one row when `table` exists, none otherwise (safe inside a transaction)."""
        return f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = {sql_literal(table)}"

    def step_lock_sql(self) -> tuple[str, str] | None:
        """Statements that take and release a lock held by the migration's own connection
        (so a second runner waits for this migration's commit), or None."""
        return None

    def __init__(self, url: str) -> None:
        self.url = url

    @property
    def is_local(self) -> bool:
        """Whether the database is on this machine (a file, or a server on localhost)."""
        host = self.where.rsplit(":", 1)[0].strip("[]")
        return host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")

    @property
    def where(self) -> str:
        """Where the database is, for messages (never with a password)."""
        return self.url.split("://", 1)[1].rsplit("@", 1)[-1]

    def is_connection_lost(self, exc: BaseException) -> bool:
        """Whether `exc` means the connection dropped (so `--resume` can finish the job)."""
        return isinstance(exc, (ConnectionError, OSError))

    def is_fallout(self, context: Mapping[str, Any]) -> bool:
        """Whether an event loop error report is the echo of a connection toolkit reports lost."""
        exc = context.get("exception")
        return exc is not None and self.is_connection_lost(exc)

    def explain(self, exc: BaseException) -> str | None:
        """A one-line message with the fix for a driver error any command may meet (a
        read-only file, a full disk), or None: the caller reports it as unexpected."""
        if self.is_disk_full(exc):
            first = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            return (
                f"the disk of {self.label} at {self.where} is full ({first}); the open "
                "transaction was rolled back and committed work stays; free some space and "
                "run the command again"
            )
        return None

    def is_disk_full(self, exc: BaseException) -> bool:
        """Whether `exc` (or an error it came from) says the database's disk is full."""
        return any(self.disk_full_here(e) for e in causes(exc))

    def disk_full_here(self, exc: BaseException) -> bool:
        """Whether this one error (not its causes) is the database's disk full: ENOSPC here."""
        return isinstance(exc, OSError) and exc.errno == errno.ENOSPC

    def is_server_reason(self, exc: BaseException) -> bool:
        """Whether `exc` carries the server's own words (preferred in messages over fallout)."""
        return False

    @abstractmethod
    def tortoise_url(self) -> str: ...

    @staticmethod
    @abstractmethod
    def offline_client() -> Any:
        """A Tortoise client of this dialect that never connects: enough for Aerich's DDL
        and for a migration file's `db.capabilities`."""

    @abstractmethod
    async def ensure_reachable(self, *, timeout: float, create: bool) -> bool:
        """Raise `DatabaseUnavailable` with a fix if the database can't be used.

        `create` says whether the command may create an SQLite file. Returns False when the
        database simply does not exist yet (a fresh SQLite file), True otherwise.
        """

    @abstractmethod
    async def connect(self, concurrency: int) -> Connection: ...

    def quote(self, name: str) -> str:
        return quote_ident(name)

    @abstractmethod
    def migration_lock(self, timeout: float) -> AbstractAsyncContextManager[LockHandle]:
        """Exclusive across processes for `migrate`/`rollback`, and against `seed_lock`;
        waits up to `timeout` seconds, then raises `LockTimeout`."""

    @abstractmethod
    def seed_lock(self, timeout: float) -> AbstractAsyncContextManager[None]:
        """The migration lock's shared side, held by a seed run: seeds run side by side, a
        migration waits for them and they for it; up to `timeout` seconds, then `LockTimeout`."""

    @abstractmethod
    async def columns(self, conn: Connection, table: str) -> dict[str, bool]:
        """The table's columns as the database has them: name -> nullable."""

    @abstractmethod
    async def indexes(self, conn: Connection, table: str) -> list[tuple[bool, tuple[str, ...]]]:
        """The table's indexes and unique constraints as (unique, columns in order)."""

    @abstractmethod
    async def not_null_columns(self, conn: Connection, table: str) -> set[str]:
        """The columns the database itself declares NOT NULL (it may lag behind the model)."""

    @abstractmethod
    async def referencing_tables(self, conn: Connection, table: str) -> list[str]:
        """Every other table of the database with a foreign key pointing at `table`, whether
        or not a model describes it."""

    @abstractmethod
    async def empty_table(self, tx: Tx, table: str) -> None:
        """Delete every row of `table` and restart its generated keys."""

    @abstractmethod
    async def drop_tables(self, conn: Connection, tables: Sequence[str]) -> None:
        """Drop these tables if they exist, whatever points at them."""

    @abstractmethod
    def sync_sequence_sql(self, table: str, column: str, at_least: int = 0) -> list[str]:
        """Statements that move a generated key's counter past explicit keys: past the rows
        already in the table and past `at_least`, the largest key a run will write."""
