"""Wait for the database: retry the connection with backoff until it answers or time runs out.

For deploys and CI, where the database and the command start together (as dbmate's `wait`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from toolkit.backends import backend_for
from toolkit.errors import DatabaseUnavailable
from toolkit.settings import Settings

Progress = Callable[[str], None]
DEFAULT_WAIT = 60.0
_FIRST_DELAY = 0.1
_MAX_DELAY = 2.0
_MAX_ATTEMPT = 5.0  # seconds one connection attempt may take


@dataclass(frozen=True)
class WaitReport:
    label: str  # "PostgreSQL", "SQLite"
    where: str  # host:port, or the SQLite file
    attempts: int
    seconds: float


def _noop(_: str) -> None:
    pass


async def wait_for_database(
    settings: Settings, timeout: float = DEFAULT_WAIT, *, progress: Progress = _noop
) -> WaitReport:
    """Return once the database accepts a connection; raise `DatabaseUnavailable` after `timeout`.

    Every `DatabaseUnavailable` is retried, a missing database too: in CI the server often
    answers before its database has been created. A fresh SQLite file counts as reachable,
    since the commands that need it create it.
    """
    backend = backend_for(settings.database_url)
    started = time.monotonic()
    deadline = started + timeout
    delay = _FIRST_DELAY
    attempts = 0
    said = ""
    while True:
        attempts += 1
        remaining = deadline - time.monotonic()
        try:
            await backend.ensure_reachable(timeout=min(_MAX_ATTEMPT, max(remaining, 0.5)), create=False)
            return WaitReport(backend.label, backend.where, attempts, time.monotonic() - started)
        except DatabaseUnavailable as exc:
            last = exc
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DatabaseUnavailable(
                f"gave up waiting for {backend.label} at {backend.where} after {timeout:g}s "
                f"({attempts} attempt(s)); last error: {last}"
            ) from None
        if str(last) != said:  # once, and again only when the reason changes
            said = str(last)
            progress(f"waiting up to {remaining:.1f}s for {backend.label} at {backend.where}: {last}")
        await asyncio.sleep(min(delay, remaining))
        delay = min(delay * 2, _MAX_DELAY)
