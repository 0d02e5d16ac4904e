"""The migration lock: one `migrate` or `rollback` at a time per database, and never while
a seed runs.

Each backend holds it its own way (`Backend.migration_lock`). PostgreSQL: a session-level
advisory lock with the fixed key `MIGRATION_LOCK_KEY`, held on a dedicated connection for
the whole command. SQLite: an exclusive `flock` on a file next to the database
(`<database>.lock`), the equivalent for processes on one machine. MySQL: named locks
(`backends/mysql_locks.py`).

A seed holds the same lock's shared side (`Backend.seed_lock`): seeds run side by side,
but a migration or rollback never drops or changes a table under a seed, nor a seed
writes, or records in its ledger, into a schema a migration is changing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager

from toolkit.backends.base import Backend, LockHandle
from toolkit.errors import UsageError

# int.from_bytes(b"toolkit", "big"): fixed so operators can find it in pg_locks.
MIGRATION_LOCK_KEY = 32773621649467764
# How long a seed waits for a running migration (`migrate --lock-timeout`'s default).
SEED_LOCK_TIMEOUT = 30.0


def migration_lock(backend: Backend, timeout: float) -> AbstractAsyncContextManager[LockHandle]:
    """Hold the database's migration lock inside the block, waiting up to `timeout` seconds."""
    return backend.migration_lock(timeout)


def seed_lock(
    backend: Backend, timeout: float | None = None, environ: Mapping[str, str] = os.environ
) -> AbstractAsyncContextManager[None]:
    """Hold the migration lock's shared side inside the block, waiting up to `timeout`
    (`seed --lock-timeout`), else TOOLKIT_LOCK_TIMEOUT seconds (default SEED_LOCK_TIMEOUT),
    for a migration to finish."""
    if timeout is not None:
        return backend.seed_lock(timeout)
    raw = environ.get("TOOLKIT_LOCK_TIMEOUT", "").strip()
    try:
        timeout = float(raw) if raw else SEED_LOCK_TIMEOUT
    except ValueError:
        timeout = -1.0
    if not timeout >= 0:  # also NaN
        raise UsageError(f"TOOLKIT_LOCK_TIMEOUT must be 0 or more seconds, got {raw!r}")
    return backend.seed_lock(timeout)
