"""The migration lock: one `migrate` or `rollback` at a time per database.

Each backend holds it its own way (`Backend.migration_lock`). PostgreSQL: a session-level
advisory lock with the fixed key `MIGRATION_LOCK_KEY`, held on a dedicated connection for
the whole command. SQLite: an exclusive `flock` on a file next to the database
(`<database>.lock`), the equivalent for processes on one machine.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from toolkit.backends.base import Backend, LockHandle

# int.from_bytes(b"toolkit", "big"): fixed so operators can find it in pg_locks.
MIGRATION_LOCK_KEY = 32773621649467764


def migration_lock(backend: Backend, timeout: float) -> AbstractAsyncContextManager[LockHandle]:
    """Hold the database's migration lock inside the block, waiting up to `timeout` seconds."""
    return backend.migration_lock(timeout)
