"""What runs around a migration run, whatever the engine: protection before, the seed
ledger and the environment record after. The command layer calls these; engines don't."""

from __future__ import annotations

from collections.abc import Callable

from toolkit import protect
from toolkit.backends.session import Database
from toolkit.seed import ledger
from toolkit.settings import Settings


async def guard(
    settings: Settings, action: str, *, force: bool, confirm: Callable[[str], bool] | None
) -> None:
    """Refuse a destructive `action` where protection applies (see `toolkit.protect`)."""
    await protect.guard(settings, action, force=force, confirm=confirm)


async def after_migrations(db: Database) -> None:
    """A table a migration dropped starts from row index 0 when it comes back, as if new."""
    await ledger.forget_dropped_tables(await db.connection())


async def remember_environment(settings: Settings, db: Database) -> None:
    # The database keeps the first environment that migrated it, so a destructive command
    # from another environment (a dev config pointed at staging) can be refused.
    await protect.remember_environment(settings, db.backend)
