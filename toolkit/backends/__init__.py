"""Database backends, chosen by URL scheme. A new database is one new module here."""

from __future__ import annotations

from typing import Any

from toolkit.backends.base import Backend
from toolkit.urls import dialect_of


def backend_class(dialect: str) -> type[Backend]:
    """The backend of `dialect` ("postgres", "mysql", "sqlite"; imports its driver only now)."""
    if dialect == "postgres":
        from toolkit.backends.postgres import PostgresBackend

        return PostgresBackend
    if dialect == "mysql":
        from toolkit.backends.mysql import MysqlBackend

        return MysqlBackend
    from toolkit.backends.sqlite import SqliteBackend

    return SqliteBackend


def backend_for(url: str) -> Backend:
    """Return the backend that serves `url`."""
    return backend_class(dialect_of(url))(url)


def offline_client(dialect: str) -> Any:
    """A Tortoise client of `dialect` that never connects."""
    return backend_class(dialect).offline_client()


DIALECTS = ("mysql", "postgres", "sqlite")

__all__ = ["DIALECTS", "Backend", "backend_class", "backend_for", "offline_client"]
