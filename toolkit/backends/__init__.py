"""Database backends, chosen by URL scheme. A new database is one new module here."""

from __future__ import annotations

from toolkit.backends.base import Backend
from toolkit.settings import dialect_of


def backend_for(url: str) -> Backend:
    """Return the backend that serves `url` (imports its driver only now)."""
    dialect = dialect_of(url)
    if dialect == "postgres":
        from toolkit.backends.postgres import PostgresBackend

        return PostgresBackend(url)
    if dialect == "mysql":
        from toolkit.backends.mysql import MysqlBackend

        return MysqlBackend(url)
    from toolkit.backends.sqlite import SqliteBackend

    return SqliteBackend(url)


__all__ = ["Backend", "backend_for"]
