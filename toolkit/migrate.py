"""Apply, revert and list migrations: the lock, the plan and the reports around the runner.

Each migration is applied in its own step (`toolkit.migrations.runner`), exactly as `aerich
upgrade` records it (a row in Aerich's `aerich` table: version, app, content = the file's
MODELS_STATE), so a database is current for plain Aerich and for toolkit alike. The session
is Aerich's own `Command` (which initialises Tortoise and Aerich for the app); stepping
through the files ourselves, instead of calling `Command.upgrade()` for everything at once,
lets us name the file that failed, prove the lock before each commit, and make each
migration atomic on SQLite too. Applied files are checksummed: an edited or renamed one
stops `migrate`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from toolkit.backends import backend_for
from toolkit.backends.base import Backend, LockHandle
from toolkit.errors import MigrationFailed, ToolkitError, UsageError
from toolkit.lock import migration_lock
from toolkit.migrations import checksums, runner
from toolkit.migrations.runner import StepFailed, StepLockLost, script_of
from toolkit.settings import Settings

Progress = Callable[[str], None]
Direction = runner.Direction
_VERSION_FILE = re.compile(r"^(\d+)_.*\.py$")
_TEMPLATE_INDENT = re.compile(r"^ {8}(?=\S)", re.MULTILINE)
DEFAULT_LOCK_TIMEOUT = 30.0


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
class MigrateReport:
    applied: list[str]


@dataclass(frozen=True)
class RollbackReport:
    reverted: list[str]


@dataclass(frozen=True)
class PendingSql:
    name: str  # the file name without .py, as `status` shows it
    sql: str


@dataclass(frozen=True)
class DryRunReport:
    env: str
    url: str
    dialect: str
    pending: list[PendingSql]


def _noop(_: str) -> None:
    pass


def migration_files(settings: Settings, *, required: bool = True) -> list[str]:
    """The app's migration file names, in Aerich's order (by leading number)."""
    folder = settings.app_migrations_dir
    if not folder.is_dir():
        if not required:
            return []
        raise ToolkitError(
            f"migrations folder {folder} not found; check [toolkit] migrations in "
            f"{settings.config_path}, or run `toolkit makemigrations` to create the first one"
        )
    files = sorted(
        (p.name for p in folder.iterdir() if _VERSION_FILE.match(p.name)),
        key=lambda n: (int(n.split("_", 1)[0]), n),
    )
    for before, after in zip(files, files[1:]):
        if before.split("_", 1)[0] == after.split("_", 1)[0]:
            # Two branches each added migration N: the order would be a guess.
            raise ToolkitError(
                f"two migrations share the number {before.split('_', 1)[0]}: {before} and "
                f"{after}; renumber the newer one (and check it still applies after the other)"
            )
    return files


async def applied_migrations(settings: Settings, backend: Backend | None = None) -> list[str]:
    """Versions recorded in Aerich's table for this app, oldest first; [] on a new database."""
    backend = backend or backend_for(settings.database_url)
    if not await backend.ensure_reachable(timeout=5, create=False):
        return []
    conn = await backend.connect(1)
    try:
        if not await conn.table_exists("aerich"):
            return []
        rows = await conn.fetch("SELECT version FROM aerich WHERE app = ? ORDER BY id", settings.app)
        return [r[0] for r in rows]
    finally:
        await conn.close()


async def status(settings: Settings) -> StatusReport:
    """Which migrations are applied and which are pending, without changing anything."""
    files = migration_files(settings)
    applied = await applied_migrations(settings)
    drift = await checksum_drift(settings, applied, files)
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _load(settings: Settings, name: str) -> ModuleType:
    return runner.load(settings.app_migrations_dir / name)


def _display(settings: Settings, name: str) -> str:
    """The migration file as the user finds it: relative to the project root."""
    path = settings.app_migrations_dir / name
    try:
        return str(path.relative_to(settings.project_root))
    except ValueError:
        return str(path)


def _failed(
    settings: Settings, backend: Backend, name: str, failure: StepFailed, direction: Direction, done: int
) -> MigrationFailed:
    label = backend.label
    what = "migration" if direction == "upgrade" else "rolling back"
    kept = "pending" if direction == "upgrade" else "applied"
    again = f"run `toolkit {'migrate' if direction == 'upgrade' else 'rollback'}` again"
    if backend.is_connection_lost(failure.cause) and failure.atomic:
        return MigrationFailed(
            f"lost the connection to {label} at {backend.where} while "
            f"{'applying' if direction == 'upgrade' else 'reverting'} {_display(settings, name)} "
            f"({_first_line(failure.cause)}); the server rolled that migration back and it is "
            f"still {kept}; {again}"
        )
    undone = (
        "its changes were rolled back"
        if failure.atomic
        else f"{label} commits each DDL statement, so its statements before the error stay"
        if not backend.transactional_ddl
        else "it ran outside a transaction, so its statements before the error stay"
    )
    earlier = f"; the {done} before it in this run stay {'applied' if direction == 'upgrade' else 'reverted'}" if done else ""
    return MigrationFailed(
        f"{what} {_display(settings, name)} failed on {label}: {_first_line(failure.cause)} "
        f"({undone} and it is still {kept}{earlier}); "
        f"fix the file and run `toolkit {'migrate' if direction == 'upgrade' else 'rollback'}` again"
    )


def _load_every_file(settings: Settings, names: list[str]) -> None:
    """Import the files this run will execute, so a broken one is named with its line
    (Aerich's session would import them too, and its error would blame the models)."""
    import traceback

    for name in names:
        path = settings.app_migrations_dir / name
        try:
            runner.load(path)
        except SyntaxError as exc:
            raise MigrationFailed(
                f"migration {_display(settings, name)} has a syntax error at line {exc.lineno}: "
                f"{exc.msg}; fix the file"
            ) from None
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
            line = f" at line {frames[-1].lineno}" if frames else ""
            raise MigrationFailed(
                f"migration {_display(settings, name)} fails to import{line}: "
                f"{type(exc).__name__}: {_first_line(exc)}; fix the file"
            ) from None


@asynccontextmanager
async def _aerich_session(settings: Settings) -> AsyncIterator[Any]:
    """Aerich's `Command`, entered: Tortoise initialised for the app, closed on the way out."""
    from aerich import Command
    from tortoise.exceptions import ConfigurationError

    from toolkit.db import explain_config_error, import_failure, tortoise_config

    command = Command(
        tortoise_config=tortoise_config(settings),
        app=settings.app,
        location=str(settings.migrations_dir),
    )
    try:
        await command.__aenter__()
    except (ConfigurationError, ImportError, SyntaxError) as exc:
        await command.aclose()
        raise explain_config_error(exc, settings) from None
    except Exception:
        await command.aclose()
        failure = import_failure(settings)  # a model module that raised while importing
        if failure is not None:
            raise failure from None
        raise
    except BaseException:
        await command.aclose()
        raise
    try:
        yield command
    finally:
        await command.aclose()


async def _run_steps(
    settings: Settings,
    backend: Backend,
    lock: LockHandle,
    names: list[str],
    direction: Direction,
    progress: Progress,
) -> list[str]:
    from toolkit.db import tortoise_config

    done: list[str] = []
    _load_every_file(settings, names)
    conn = await backend.connect(1)
    try:
        async with _aerich_session(settings):
            alias = next(iter(tortoise_config(settings)["connections"]))
            step = runner.Step(settings, backend, alias, lock, conn)
            await _steps(step, names, direction, progress, done)
    finally:
        await conn.close()
    return done


async def _steps(
    step: runner.Step, names: list[str], direction: Direction, progress: Progress, done: list[str]
) -> None:
    settings, backend = step.settings, step.backend
    for name in names:
        progress(f"{'applying' if direction == 'upgrade' else 'reverting'} {name}")
        try:
            outcome = await runner.run(step, name, direction)
        except StepFailed as failure:
            raise _failed(settings, backend, name, failure, direction, len(done)) from None
        except StepLockLost as lost:
            raise _lock_lost(settings, name, lost, direction, done) from None
        if outcome == "skipped":
            progress(f"{name}: already {'applied' if direction == 'upgrade' else 'reverted'} by another run")
            continue
        done.append(name)


def _lock_lost(
    settings: Settings, name: str, lost: StepLockLost, direction: Direction, done: list[str]
) -> ToolkitError:
    verb = "applying" if direction == "upgrade" else "reverting"
    if lost.kept:
        this = f"{name} ran and is recorded"
    else:
        this = f"{name} was rolled back and is still {'pending' if direction == 'upgrade' else 'applied'}"
    earlier = f"; the {len(done)} before it in this run stay {'applied' if direction == 'upgrade' else 'reverted'}" if done else ""
    return ToolkitError(
        f"{lost.cause} while {verb} {_display(settings, name)}: {this}{earlier}; "
        f"stopped so no other run's migrations interleave; run `toolkit {'migrate' if direction == 'upgrade' else 'rollback'}` again"
    )


async def migrate(
    settings: Settings,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    progress: Progress = _noop,
) -> MigrateReport:
    """Apply every pending migration, one transaction each, under the migration lock."""
    report = await _apply_pending(settings, lock_timeout=lock_timeout, progress=progress)
    await _remember_environment(settings)
    return report


async def _remember_environment(settings: Settings) -> None:
    # The database keeps the first environment that migrated it, so a destructive command
    # from another environment (a dev config pointed at staging) can be refused.
    from toolkit.protect import remember_environment

    await remember_environment(settings)


async def _apply_pending(
    settings: Settings,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    progress: Progress = _noop,
) -> MigrateReport:
    files = migration_files(settings)
    backend = backend_for(settings.database_url)
    await backend.ensure_reachable(timeout=5, create=True)
    async with migration_lock(backend, lock_timeout) as lock:
        # Re-read after taking the lock: another process may have just migrated.
        applied_list = await applied_migrations(settings, backend)
        done = set(applied_list)
        await _verify_checksums(settings, backend, applied_list, files)
        await _refuse_half_applied(settings, backend)
        pending = [f for f in files if f not in done]
        if not pending:
            return MigrateReport(applied=[])
        _refuse_out_of_order(files, done, pending)
        progress(f"applying {len(pending)} migration(s)")
        try:
            applied = await _run_steps(settings, backend, lock, pending, "upgrade", progress)
        except BaseException:
            with contextlib.suppress(Exception):  # the failure is the news, not this
                await _forget_seeds_of_dropped_tables(backend)
            raise
        await _forget_seeds_of_dropped_tables(backend)
    return MigrateReport(applied=applied)


async def _ensure_checksum_table(backend: Backend) -> None:
    conn = await backend.connect(1)
    try:
        await checksums.ensure_table(conn)
    finally:
        await conn.close()


async def checksum_drift(
    settings: Settings, applied: list[str], files: list[str], backend: Backend | None = None
) -> checksums.Drift:
    """Applied migrations whose files were edited or renamed since they were applied."""
    backend = backend or backend_for(settings.database_url)
    if not applied or not await backend.ensure_reachable(timeout=5, create=False):
        return checksums.Drift()
    conn = await backend.connect(1)
    try:
        recorded = await checksums.recorded(conn, settings.app)
    finally:
        await conn.close()
    paths = {f: settings.app_migrations_dir / f for f in files}
    return checksums.compare(recorded, applied, paths)


def drift_error(settings: Settings, drift: checksums.Drift) -> ToolkitError:
    """The one line `migrate` and `check` refuse with."""
    if drift.edited:
        return ToolkitError(
            f"{_display(settings, drift.edited[0])} was edited after it was applied to this "
            "database (its checksum differs from the one recorded when it ran); restore it as "
            "it was applied and put the change in a new migration"
        )
    old, new = drift.renamed[0]
    return ToolkitError(
        f"{_display(settings, new)} is the applied migration {old} under a new name; "
        f"rename it back to {old}"
    )


async def _verify_checksums(settings: Settings, backend: Backend, applied: list[str], files: list[str]) -> None:
    """Refuse edited or renamed applied files; record a baseline for versions without one."""
    conn = await backend.connect(1)
    try:
        await checksums.ensure_table(conn)
        recorded = await checksums.recorded(conn, settings.app)
        paths = {f: settings.app_migrations_dir / f for f in files}
        drift = checksums.compare(recorded, applied, paths)
        if drift:
            raise drift_error(settings, drift)
        missing = {v: checksums.of_file(paths[v]) for v in applied if v in paths and v not in recorded}
        await checksums.baseline(conn, settings.app, missing)
    finally:
        await conn.close()


async def _refuse_half_applied(settings: Settings, backend: Backend) -> None:
    """A migration marked started and never finished: a run was killed in the middle of it
    on a database that can't roll DDL back. Re-running it would fail or apply it twice."""
    conn = await backend.connect(1)
    try:
        step_lock = backend.step_lock_sql()
        if step_lock is not None and step_lock[1]:
            # A mark whose migration still runs (in a run that lost the lock) is no orphan:
            # wait for that step to end before reading the marks.
            await conn.fetch(step_lock[0])
            await conn.fetch(step_lock[1])
        started = await checksums.started(conn, settings.app)
    finally:
        await conn.close()
    if started:
        stem = started[0].removesuffix(".py")
        raise MigrationFailed(
            f"migration {_display(settings, started[0])} was interrupted while it ran on "
            f"{backend.label}, which can't roll DDL back: some of its statements may have run "
            f"and it is not recorded; finish it by hand and record it with `toolkit migrate "
            f"--fake {stem}`, or undo what it did and clear the mark with `toolkit migrate "
            f"--retry {stem}`"
        )


def _refuse_out_of_order(files: list[str], done: set[str], pending: list[str]) -> None:
    """A pending file that sorts before an applied one came from another branch."""
    last_applied = max((files.index(f) for f in done if f in files), default=-1)
    early = [f for f in pending if files.index(f) < last_applied]
    if early:
        raise ToolkitError(
            f"{early[0]} is pending but sorts before {files[last_applied]}, which is applied "
            "(two branches of migrations?); renumber it after the applied ones"
        )


async def dry_run(settings: Settings) -> DryRunReport:
    """The SQL each pending migration would run on this database, in order. Changes nothing.

    A fresh SQLite file is not created, and no lock is taken.
    """
    from toolkit.makemigrations import offline_client

    files = migration_files(settings)
    pending = [f for f in files if f not in set(await applied_migrations(settings))]
    # The files only ask the client for its dialect; one that never connects is enough.
    client = offline_client(settings.dialect)
    scripts: list[PendingSql] = []
    for name in pending:
        try:
            sql = await script_of(_load(settings, name), name, "upgrade", client)
        except Exception as exc:
            raise MigrationFailed(
                f"cannot read the SQL of {_display(settings, name)}: {_first_line(exc)}; fix the file"
            ) from None
        scripts.append(PendingSql(name=name.removesuffix(".py"), sql=_dedent(sql)))
    return DryRunReport(env=settings.env, url=settings.masked_url, dialect=settings.dialect, pending=scripts)


def _dedent(sql: str) -> str:
    # `toolkit makemigrations` indents each statement by 8 spaces inside the file.
    return _TEMPLATE_INDENT.sub("", sql.strip("\n")).strip()


async def _forget_seeds_of_dropped_tables(backend: Backend) -> None:
    """A table a migration dropped starts from row index 0 when it comes back, as if new."""
    from toolkit.seed import ledger

    conn = await backend.connect(1)
    try:
        await ledger.forget_dropped_tables(conn)
    finally:
        await conn.close()


async def rollback(
    settings: Settings,
    *,
    steps: int | None = None,
    to: str | None = None,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    progress: Progress = _noop,
    force: bool = False,
    confirm: Callable[[str], bool] | None = None,
) -> RollbackReport:
    """Revert the last `steps` applied migrations, or every one applied after `to`.

    Where protection applies, it refuses unless `force`, or `confirm` says yes.
    """
    if steps is not None and to is not None:
        raise UsageError("give either --steps or --to, not both")
    if steps is not None and steps < 1:
        raise UsageError(f"--steps must be at least 1, got {steps}")
    from toolkit.protect import guard

    await guard(settings, "rollback", force=force, confirm=confirm)
    files = migration_files(settings)
    backend = backend_for(settings.database_url)
    if not await backend.ensure_reachable(timeout=5, create=False):
        return RollbackReport(reverted=[])  # a new SQLite file: nothing to revert, nothing made
    async with migration_lock(backend, lock_timeout) as lock:
        applied = await applied_migrations(settings, backend)
        if not applied:
            return RollbackReport(reverted=[])  # as Rails: nothing to do is not an error
        if to is None:
            count = steps or 1
            if count > len(applied):
                raise UsageError(
                    f"--steps {count} is more than the {len(applied)} applied migration(s)"
                )
        else:
            count = len(applied) - _position_after(to, applied)
            if count == 0:
                return RollbackReport(reverted=[])
        targets = applied[-count:]
        missing = [t for t in targets if t not in files]
        if missing:
            raise ToolkitError(
                f"cannot roll back {missing[0]}: its file is not in {settings.app_migrations_dir}"
            )
        try:
            await _ensure_checksum_table(backend)
            reverted = await _run_steps(settings, backend, lock, list(reversed(targets)), "downgrade", progress)
        except BaseException:
            with contextlib.suppress(Exception):  # the failure is the news, not this
                await _forget_seeds_of_dropped_tables(backend)
            raise
        await _forget_seeds_of_dropped_tables(backend)
    return RollbackReport(reverted=reverted)


def _position_after(to: str, applied: list[str], what: str = "an applied migration") -> int:
    """How many of `applied` come up to and including `to` (a number or a name)."""
    if to == "zero":
        return 0
    for i, name in enumerate(applied):
        stem = name.removesuffix(".py")
        if to in (name, stem) or name.split("_", 1)[0] == to:
            return i + 1
    shown = ", ".join(a.removesuffix(".py") for a in applied) or "none"
    if what != "an applied migration":
        raise UsageError(f"{to!r} is not {what}; pending: {shown}")
    raise UsageError(f"--to {to!r} is not an applied migration; applied: {shown} (or use 'zero')")


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
    files = migration_files(settings)
    backend = backend_for(settings.database_url)
    await backend.ensure_reachable(timeout=5, create=True)
    async with migration_lock(backend, lock_timeout) as lock:
        done = set(await applied_migrations(settings, backend))
        pending = [f for f in files if f not in done]
        if version is not None:
            pending = pending[: _position_after(version, pending, what="a pending migration")]
        await _ensure_checksum_table(backend)
        return MigrateReport(applied=await _record_all(settings, backend, lock, pending, progress))


async def retry(settings: Settings, version: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
    """Clear the mark of a migration interrupted half-way, once undone by hand, so `migrate`
    runs it again."""
    backend = backend_for(settings.database_url)
    await backend.ensure_reachable(timeout=5, create=False)
    async with migration_lock(backend, lock_timeout):
        conn = await backend.connect(1)
        try:
            started = await checksums.started(conn, settings.app)
            name = next((s for s in started if version in (s, s.removesuffix(".py"))), None)
            if name is None:
                shown = ", ".join(s.removesuffix(".py") for s in started) or "none"
                raise UsageError(f"--retry {version!r} is not an interrupted migration; interrupted: {shown}")
            await checksums.clear_started(conn, settings.app, name)
        finally:
            await conn.close()


async def _record_all(
    settings: Settings, backend: Backend, lock: LockHandle, names: list[str], progress: Progress
) -> list[str]:
    from toolkit.db import tortoise_config

    conn = await backend.connect(1)
    try:
        async with _aerich_session(settings):
            alias = next(iter(tortoise_config(settings)["connections"]))
            step = runner.Step(settings, backend, alias, lock, conn)
            for name in names:
                progress(f"recording {name} as applied, without running it")
                await runner.record_only(step, name)
    finally:
        await conn.close()
    return names
