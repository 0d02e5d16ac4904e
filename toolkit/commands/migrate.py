"""`migrate`, `rollback`, `status`, `migrate --dry-run`, `--fake`, `--retry`: Settings in,
report out. The only place that composes protection, the lock, the engine and the hooks
around a migration run (alembic's `command.py`); the engine runs the files."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from toolkit.backends.base import LockHandle
from toolkit.backends.session import Database, open_database
from toolkit.commands import hooks
from toolkit.errors import MigrationFailed, ToolkitError, UsageError
from toolkit.lock import migration_lock
from toolkit.migrations import checksums, integrity
from toolkit.migrations.engine import Direction, Engine
from toolkit.migrations.executor import Progress, Retries, run_plan
from toolkit.migrations.files import dedent, display, first_line, load_every_file, position_after
from toolkit.migrations.history import applied_migrations, engine_for
from toolkit.settings import Settings

DEFAULT_LOCK_TIMEOUT = 30.0
# How long a migration's statement may wait for a table lock on a live database before it
# gives up (the application's queries queue behind a waiting ALTER).
DEFAULT_LOCK_WAIT = 5.0
# The first pause before a migration that timed out waiting for a lock is tried again
# (then doubled each time, up to `Retries.cap`).
RETRY_BACKOFF = 1.0


@dataclass(frozen=True)
class StatusReport:
    env: str
    url: str
    applied: list[str]
    pending: list[str]
    missing: list[str] = field(default_factory=list)  # applied, but the file is gone
    edited: list[str] = field(default_factory=list)  # applied, then the file changed
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (applied name, file now)


@dataclass(frozen=True)
class PendingSql:
    name: str  # the file name without .py, as `status` shows it
    sql: str


@dataclass(frozen=True)
class MigrateReport:
    applied: list[str]
    reverted: list[str] = field(default_factory=list)  # `--to` an earlier version


@dataclass(frozen=True)
class RollbackReport:
    reverted: list[str]
    planned: list[PendingSql] = field(default_factory=list)  # `--dry-run`: what would run


@dataclass(frozen=True)
class DryRunReport:
    env: str
    url: str
    dialect: str
    pending: list[PendingSql]


def _noop(_: str) -> None:
    pass




async def status(settings: Settings) -> StatusReport:
    """Which migrations are applied and which are pending, without changing anything."""
    engine = engine_for(settings)
    files = engine.files()
    async with open_database(settings) as db:
        applied = await applied_migrations(settings, db)
        drift = (
            await integrity.drift(settings, await db.connection(), applied, files)
            if applied else checksums.Drift()
        )
    moved = {new for _, new in drift.renamed}
    done = set(applied)
    return StatusReport(
        env=settings.env,
        url=settings.masked_url,
        applied=applied,
        pending=[f for f in files if f not in done and f not in moved],
        missing=[a for a in applied if a not in set(files)],
        edited=drift.edited,
        renamed=drift.renamed,
    )


async def migrate(
    settings: Settings,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    lock_wait: float = DEFAULT_LOCK_WAIT,
    to: str | None = None,
    progress: Progress = _noop,
    force: bool = False,
    confirm: Callable[[str], bool] | None = None,
    retries: int | None = None,
    retry_backoff: float = RETRY_BACKOFF,
) -> MigrateReport:
    """Apply every pending migration (or those up to and including `to`), one transaction
    each, under the migration lock. A `to` before the last applied one is `rollback --to`
    (protected as rollback is). A migration that gives up waiting for a table lock is tried
    `retries` more times (None: the settings' `lock_retries`)."""
    engine = engine_for(settings)
    files = engine.files()
    _check_lock_wait(lock_wait)
    retrying = _retries(settings, retries, retry_backoff)
    if to is not None:
        files = files[: position_after(to, files, what="a migration", listed="migrations")]
        applied = await applied_migrations(settings)
        if len(files) < len(applied):
            back = await rollback(
                settings, to=to, lock_timeout=lock_timeout, lock_wait=lock_wait,
                progress=progress, force=force, confirm=confirm, retries=retrying.times,
                retry_backoff=retry_backoff,
            )
            return MigrateReport(applied=[], reverted=back.reverted)
    async with open_database(settings) as db:
        await db.exists(create=True)
        async with migration_lock(db.backend, lock_timeout) as lock:
            report = await _apply_pending(settings, db, engine, Run(lock, lock_wait, retrying), files, progress)
        await hooks.remember_environment(settings, db)
    return report


@dataclass(frozen=True)
class Run:
    """What a run holds and allows: the migration lock, the lock wait, the retries."""

    lock: LockHandle
    lock_wait: float
    retries: Retries = Retries()


def _check_lock_wait(seconds: float) -> None:
    if seconds < 0:
        raise UsageError(f"--lock-wait must be 0 (no bound) or more seconds, got {seconds:g}")


def _retries(settings: Settings, retries: int | None, backoff: float) -> Retries:
    times = settings.lock_retries if retries is None else retries
    if times < 0:
        raise UsageError(f"--retries must be 0 or more, got {times}")
    return Retries(times=times, backoff=backoff)


async def _apply_pending(
    settings: Settings, db: Database, engine: Engine, lock: Run, files: list[str], progress: Progress
) -> MigrateReport:
    # Read under the lock: another process may have just migrated.
    conn = await db.connection()
    applied = await engine.applied(conn)
    await integrity.verify(settings, conn, applied, files)
    await integrity.refuse_half_applied(settings, db.backend, conn)
    done = set(applied)
    pending = [f for f in files if f not in done]
    if not pending:
        return MigrateReport(applied=[])
    _refuse_out_of_order(engine.files(), done, pending)
    progress(f"applying {len(pending)} migration(s)")
    return MigrateReport(applied=await _run(settings, db, engine, lock, pending, "upgrade", progress))


async def _run(
    settings: Settings,
    db: Database,
    engine: Engine,
    run: Run,
    names: list[str],
    direction: Direction,
    progress: Progress,
) -> list[str]:
    load_every_file(settings, names)
    try:
        async with engine.session(db, run.lock, lock_wait=run.lock_wait) as session:
            done = await run_plan(session, settings, db.backend, names, direction, progress, run.retries)
    except BaseException:
        with contextlib.suppress(Exception):  # the failure is the news, not this
            await hooks.after_migrations(db)
        raise
    await hooks.after_migrations(db)
    return done


def _refuse_out_of_order(files: list[str], done: set[str], pending: list[str]) -> None:
    """A pending file that sorts before an applied one came from another branch."""
    last_applied = max((files.index(f) for f in done if f in files), default=-1)
    early = [f for f in pending if files.index(f) < last_applied]
    if early:
        raise ToolkitError(
            f"{early[0]} is pending but sorts before {files[last_applied]}, which is applied "
            "(two branches of migrations?); renumber it after the applied ones"
        )


async def rollback(
    settings: Settings,
    *,
    steps: int | None = None,
    to: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    lock_wait: float = DEFAULT_LOCK_WAIT,
    progress: Progress = _noop,
    force: bool = False,
    confirm: Callable[[str], bool] | None = None,
    dry_run: bool = False,
    retries: int | None = None,
    retry_backoff: float = RETRY_BACKOFF,
) -> RollbackReport:
    """Revert the last `steps` applied migrations, or every one applied after `to`.

    Where protection applies, it refuses unless `force`, or `confirm` says yes. With
    `dry_run`, nothing runs: the report holds the SQL each revert would run, in order.
    """
    if steps is not None and to is not None:
        raise UsageError("give either --steps or --to, not both")
    if steps is not None and steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    _check_lock_wait(lock_wait)
    retrying = _retries(settings, retries, retry_backoff)
    if dry_run:
        return await _rollback_plan(settings, steps, to)
    await hooks.guard(settings, "rollback", force=force, confirm=confirm)
    engine = engine_for(settings)
    files = engine.files()
    async with open_database(settings) as db:
        if not await db.exists():
            return RollbackReport(reverted=[])  # a new SQLite file: nothing to revert, nothing made
        async with migration_lock(db.backend, lock_timeout) as lock:
            applied = await engine.applied(await db.connection())
            targets = _rollback_targets(settings, applied, files, steps, to)
            if not targets:
                return RollbackReport(reverted=[])  # as Rails: nothing to do is not an error
            await checksums.ensure_table(await db.connection())
            plan = list(reversed(targets))
            reverted = await _run(settings, db, engine, Run(lock, lock_wait, retrying), plan, "downgrade", progress)
    return RollbackReport(reverted=reverted)


def _rollback_targets(
    settings: Settings, applied: list[str], files: list[str], steps: int | None, to: str | None
) -> list[str]:
    if not applied:
        return []
    if to is None:
        count = steps or 1
        if count > len(applied):
            raise UsageError(f"--steps {count} is more than the {len(applied)} applied migration(s)")
    else:
        count = len(applied) - position_after(to, applied)
        if count == 0:
            return []
    targets = applied[-count:]
    missing = [t for t in targets if t not in files]
    if missing:
        raise ToolkitError(
            f"cannot roll back {missing[0]}: its file is not in {settings.app_migrations_dir}"
        )
    return targets


async def dry_run(settings: Settings) -> DryRunReport:
    """The SQL each pending migration would run on this database, in order. Changes nothing.

    A fresh SQLite file is not created, and no lock is taken.
    """
    engine = engine_for(settings)
    files = engine.files()
    pending = [f for f in files if f not in set(await applied_migrations(settings))]
    scripts: list[PendingSql] = []
    for name in pending:
        try:
            sql = await engine.script(name, "upgrade", settings.dialect)
        except Exception as exc:
            raise MigrationFailed(
                f"cannot read the SQL of {display(settings, name)}: {first_line(exc)}; fix the file"
            ) from None
        scripts.append(PendingSql(name=name.removesuffix(".py"), sql=dedent(sql)))
    return DryRunReport(env=settings.env, url=settings.masked_url, dialect=settings.dialect, pending=scripts)


async def fake(
    settings: Settings,
    version: str | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    progress: Progress = _noop,
) -> MigrateReport:
    """Record pending migrations as applied without running them: all of them, or those up to
    and including `version`. For a database whose schema is already there (adopted, or a
    half-applied migration finished by hand)."""
    engine = engine_for(settings)
    files = engine.files()
    async with open_database(settings) as db:
        await db.exists(create=True)
        async with migration_lock(db.backend, lock_timeout) as lock:
            conn = await db.connection()
            done = set(await engine.applied(conn))
            pending = [f for f in files if f not in done]
            if version is not None:
                pending = pending[: position_after(version, pending, what="a pending migration", listed="pending")]
            await checksums.ensure_table(conn)
            async with engine.session(db, lock) as session:
                for name in pending:
                    progress(f"recording {name} as applied, without running it")
                    await session.record_only(name)
        await hooks.remember_environment(settings, db)
    return MigrateReport(applied=pending)


async def retry(settings: Settings, version: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
    """Clear the mark of a migration interrupted half-way, once undone by hand, so `migrate`
    runs it again."""
    async with open_database(settings) as db:
        await db.exists()
        async with migration_lock(db.backend, lock_timeout):
            conn = await db.connection()
            started = await checksums.started(conn, settings.app)
            name = next((s for s in started if version in (s, s.removesuffix(".py"))), None)
            if name is None:
                shown = ", ".join(s.removesuffix(".py") for s in started) or "none"
                raise UsageError(f"--retry {version!r} is not an interrupted migration; interrupted: {shown}")
            await checksums.clear_started(conn, settings.app, name)


async def _rollback_plan(settings: Settings, steps: int | None, to: str | None) -> RollbackReport:
    engine = engine_for(settings)
    targets = _rollback_targets(settings, await applied_migrations(settings), engine.files(), steps, to)
    planned = []
    for name in reversed(targets):
        try:
            sql = await engine.script(name, "downgrade", settings.dialect)
        except ToolkitError:
            raise
        except Exception as exc:
            raise MigrationFailed(
                f"cannot read the SQL of {display(settings, name)}: {first_line(exc)}; fix the file"
            ) from None
        planned.append(PendingSql(name=name.removesuffix(".py"), sql=dedent(sql)))
    return RollbackReport(reverted=[], planned=planned)
