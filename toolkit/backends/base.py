"""The small interface every backend implements: reach the database, run SQL, load rows."""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from toolkit.errors import LockTimeout

Row = Sequence[Any]


Statement = tuple[str, Sequence[Any]]
# How often a waiter for the migration lock tries again.
LOCK_POLL_SECONDS = 0.1


async def wait_for_lock(try_once: Callable[[], Awaitable[bool]], timeout: float, where: str) -> None:
    """Try `try_once` every LOCK_POLL_SECONDS until it gets the lock; past `timeout`, fail."""
    deadline = time.monotonic() + timeout
    while not await try_once():
        if time.monotonic() >= deadline:
            raise LockTimeout.waited(where, timeout)
        await asyncio.sleep(LOCK_POLL_SECONDS)


def quote_ident(name: str) -> str:
    """A table or column name as an SQL identifier (both dialects use double quotes)."""
    return '"' + name.replace('"', '""') + '"'


class Tx(ABC):
    """Statements inside one transaction. SQL uses `?` placeholders."""

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> None: ...

    @abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]: ...


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

    @abstractmethod
    async def close(self) -> None: ...


class Backend(ABC):
    """One database family. Knows its URL, how Tortoise names it, and how to load fast."""

    dialect: str
    label: str
    # Rows per batch (one transaction each) when the user doesn't say.
    default_batch_size: int = 10_000

    def __init__(self, url: str) -> None:
        self.url = url

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

    def is_server_reason(self, exc: BaseException) -> bool:
        """Whether `exc` carries the server's own words (preferred in messages over fallout)."""
        return False

    @abstractmethod
    def tortoise_url(self) -> str: ...

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
    def migration_lock(self, timeout: float) -> AbstractAsyncContextManager[None]:
        """Exclusive across processes for `migrate`/`rollback`; waits up to `timeout` seconds,
        then raises `LockTimeout`."""

    @abstractmethod
    async def not_null_columns(self, conn: Connection, table: str) -> set[str]:
        """The columns the database itself declares NOT NULL (it may lag behind the model)."""

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
