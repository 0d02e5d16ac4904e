"""Are the applied files still the files that ran? Edited, renamed and half-applied
migrations, told in one line each (Flyway's validate, golang-migrate's dirty flag)."""

from __future__ import annotations

from toolkit.backends.base import Backend, Connection
from toolkit.errors import MigrationFailed, ToolkitError
from toolkit.migrations import checksums
from toolkit.migrations.files import display
from toolkit.settings import Settings


async def drift(settings: Settings, conn: Connection, applied: list[str], files: list[str]) -> checksums.Drift:
    """Applied migrations whose files were edited or renamed since they were applied."""
    if not applied:
        return checksums.Drift()
    recorded = await checksums.recorded(conn, settings.app)
    paths = {f: settings.app_migrations_dir / f for f in files}
    return checksums.compare(recorded, applied, paths)


def drift_error(settings: Settings, found: checksums.Drift) -> ToolkitError:
    """The one line `migrate` refuses with."""
    if found.edited:
        return ToolkitError(
            f"{display(settings, found.edited[0])} was edited after it was applied to this "
            "database (its checksum differs from the one recorded when it ran); restore it as "
            "it was applied and put the change in a new migration"
        )
    old, new = found.renamed[0]
    return ToolkitError(
        f"{display(settings, new)} is the applied migration {old} under a new name; "
        f"rename it back to {old}"
    )


async def verify(settings: Settings, conn: Connection, applied: list[str], files: list[str]) -> None:
    """Refuse edited or renamed applied files; record a baseline for versions without one."""
    await checksums.ensure_table(conn)
    recorded = await checksums.recorded(conn, settings.app)
    paths = {f: settings.app_migrations_dir / f for f in files}
    found = checksums.compare(recorded, applied, paths)
    if found:
        raise drift_error(settings, found)
    missing = {v: checksums.of_file(paths[v]) for v in applied if v in paths and v not in recorded}
    await checksums.baseline(conn, settings.app, missing)


async def refuse_half_applied(settings: Settings, backend: Backend, conn: Connection) -> None:
    """A migration marked started and never finished: a run was killed in the middle of it
    on a database that can't roll DDL back. Re-running it would fail or apply it twice."""
    step_lock = backend.step_lock_sql()
    if step_lock is not None and step_lock[1]:
        # A mark whose migration still runs (in a run that lost the lock) is no orphan:
        # wait for that step to end before reading the marks.
        await conn.fetch(step_lock[0])
        await conn.fetch(step_lock[1])
    started = await checksums.started(conn, settings.app)
    if started:
        stem = started[0].removesuffix(".py")
        raise MigrationFailed(
            f"migration {display(settings, started[0])} was interrupted while it ran on "
            f"{backend.label}, which can't roll DDL back: some of its statements may have run "
            f"and it is not recorded; finish it by hand and record it with `toolkit migrate "
            f"--fake {stem}`, or undo what it did and clear the mark with `toolkit migrate "
            f"--retry {stem}`"
        )
