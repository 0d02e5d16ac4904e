"""Apply, revert and list migrations. The only module that runs Aerich migration files.

Each migration is applied in its own step, exactly as `aerich upgrade` records it (a row in
Aerich's `aerich` table: version, app, content = the file's MODELS_STATE), so a database
is current for plain Aerich and for toolkit alike. The session is Aerich's own `Command`
(which initialises Tortoise and Aerich for the app); stepping through the files ourselves,
instead of calling `Command.upgrade()` for everything at once, lets us name the file that
failed and makes
each migration atomic on SQLite too: Aerich runs SQLite scripts with `executescript`,
which commits the open transaction first and then runs every statement on its own.

What each migration gets (both databases, RUN_IN_TRANSACTION = True, the default): its
statements and its `aerich` row commit together or not at all. Not atomic, by design:
a script that issues its own BEGIN/COMMIT/ROLLBACK, and on SQLite a file with
RUN_IN_TRANSACTION = False; those run as Aerich runs them. (PostgreSQL runs a script without
COMMIT as one implicit transaction even then; only its `aerich` row is written apart.)
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

from toolkit.backends import backend_for
from toolkit.backends.base import Backend
from toolkit.errors import MigrationFailed, ToolkitError, UsageError
from toolkit.lock import migration_lock
from toolkit.settings import Settings

Progress = Callable[[str], None]
Direction = Literal["upgrade", "downgrade"]
_VERSION_FILE = re.compile(r"^(\d+)_.*\.py$")
# A script that manages its own transaction can't be wrapped in ours.
# Transaction control only: a trigger's or a function's BEGIN ... END body is not one.
_OWN_TRANSACTION = re.compile(
    r"^\s*(BEGIN(\s+(DEFERRED|IMMEDIATE|EXCLUSIVE|TRANSACTION|WORK))?|COMMIT|END(\s+TRANSACTION)?"
    r"|ROLLBACK(?!\s+TO))\s*(;|$)",
    re.IGNORECASE | re.MULTILINE,
)
_BODIES = (
    re.compile(r"\$(\w*)\$.*?\$\1\$", re.DOTALL),  # PostgreSQL dollar-quoted bodies
    re.compile(r"\bCREATE\s+(TEMP\w*\s+)?TRIGGER\b.*?\bBEGIN\b.*?\bEND\s*;", re.IGNORECASE | re.DOTALL),
)


_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def _has_statements(sql: str) -> bool:
    return bool(_COMMENTS.sub("", sql).replace(";", "").strip())


def _manages_transaction(sql: str) -> bool:
    for body in _BODIES:
        sql = body.sub("", sql)
    return bool(_OWN_TRANSACTION.search(sql))
_TEMPLATE_INDENT = re.compile(r"^ {8}(?=\S)", re.MULTILINE)
DEFAULT_LOCK_TIMEOUT = 30.0
_LABELS = {"mysql": "MySQL", "postgres": "PostgreSQL", "sqlite": "SQLite"}


@dataclass(frozen=True)
class StatusReport:
    env: str
    url: str
    applied: list[str]
    pending: list[str]
    missing: list[str] = field(default_factory=list)  # applied, but the file is gone


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
    done = set(applied)
    return StatusReport(
        env=settings.env,
        url=settings.masked_url,
        applied=applied,
        pending=[f for f in files if f not in done],
        missing=[a for a in applied if a not in set(files)],
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _load(settings: Settings, name: str) -> ModuleType:
    from aerich.utils import import_py_file

    return import_py_file(settings.app_migrations_dir / name)


def _display(settings: Settings, name: str) -> str:
    """The migration file as the user finds it: relative to the project root."""
    path = settings.app_migrations_dir / name
    try:
        return str(path.relative_to(settings.project_root))
    except ValueError:
        return str(path)


async def _record(settings: Settings, module: ModuleType, name: str, direction: Direction, conn: Any) -> None:
    """Add or remove the version row exactly as `aerich upgrade` / `aerich downgrade` do."""
    from aerich.models import Aerich
    from aerich.utils import decompress_dict, get_models_describe

    if direction == "upgrade":
        state = getattr(module, "MODELS_STATE", None)
        content = decompress_dict(state) if state else get_models_describe(settings.app)
        await Aerich.create(version=name, app=settings.app, content=content, using_db=conn)
    else:
        row = await Aerich.filter(app=settings.app, version=name).using_db(conn).order_by("-id").first()
        if row is not None:
            await row.delete(using_db=conn)


async def _script_of(module: ModuleType, name: str, direction: Direction, conn: Any) -> str:
    sql = await getattr(module, direction)(conn)
    if direction == "downgrade" and not str(sql).strip():
        raise MigrationFailed(f"{name} has no downgrade SQL, so it cannot be rolled back")
    return str(sql)


class _StepFailed(Exception):
    def __init__(self, cause: BaseException, atomic: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.atomic = atomic


async def _step(settings: Settings, name: str, direction: Direction) -> None:
    """Run one migration file's upgrade or downgrade and record it, in one transaction.

    Raises `_StepFailed`, which says whether the failed file's changes were rolled back.
    """
    from tortoise import Tortoise
    from tortoise.transactions import in_transaction

    from toolkit.db import tortoise_config

    try:
        module = _load(settings, name)
        alias = next(iter(tortoise_config(settings)["connections"]))
        client = Tortoise.get_connection(alias)
        atomic = bool(getattr(module, "RUN_IN_TRANSACTION", True))
        sql = await _script_of(module, name, direction, client)
    except ToolkitError:
        raise
    except Exception as exc:
        raise _StepFailed(exc, atomic=True) from None  # nothing ran yet
    own_transaction = bool(_manages_transaction(sql))
    if settings.dialect == "sqlite" and own_transaction:
        atomic = False
    if settings.dialect == "mysql":
        atomic = False  # MySQL commits each DDL statement on its own: no transaction holds them
    # Outside a transaction, PostgreSQL still runs a multi-statement script as one implicit
    # transaction, unless the script commits by itself.
    rolled_back = atomic or (settings.dialect == "postgres" and not own_transaction)
    if not _has_statements(sql):
        sql = ""  # only comments (a change SQLite can't make): drivers reject an empty query
    try:
        if not atomic:
            if sql:
                await client.execute_script(sql)
            await _record(settings, module, name, direction, client)
        elif settings.dialect == "sqlite":
            await _sqlite_atomic_step(settings, module, name, direction, client, sql)
        else:
            async with in_transaction(alias) as conn:
                if sql:
                    await conn.execute_script(sql)
                await _record(settings, module, name, direction, conn)
    except Exception as exc:
        raise _StepFailed(exc, rolled_back) from None


async def _sqlite_atomic_step(
    settings: Settings, module: ModuleType, name: str, direction: Direction, client: Any, sql: str
) -> None:
    # Python's executescript() COMMITs any open transaction before it starts, so the
    # transaction has to begin inside the script itself; it stays open when the script
    # stops on an error, and we roll it back. SQLite DDL is transactional.
    try:
        async with client.acquire_connection() as raw:
            await raw.executescript("BEGIN IMMEDIATE;\n" + sql)
        await _record(settings, module, name, direction, client)
        async with client.acquire_connection() as raw:
            await raw.execute("COMMIT")
    except BaseException:
        async with client.acquire_connection() as raw:
            if raw.in_transaction:
                await raw.execute("ROLLBACK")
        raise


def _failed(settings: Settings, name: str, failure: _StepFailed, direction: Direction, done: int) -> MigrationFailed:
    label = _LABELS.get(settings.dialect, settings.dialect)
    what = "migration" if direction == "upgrade" else "rolling back"
    kept = "pending" if direction == "upgrade" else "applied"
    undone = (
        "its changes were rolled back"
        if failure.atomic
        else "MySQL commits each DDL statement, so its statements before the error stay"
        if settings.dialect == "mysql"
        else "it ran outside a transaction, so its statements before the error stay"
    )
    earlier = f"; the {done} before it in this run stay {'applied' if direction == 'upgrade' else 'reverted'}" if done else ""
    return MigrationFailed(
        f"{what} {_display(settings, name)} failed on {label}: {_first_line(failure.cause)} "
        f"({undone} and it is still {kept}{earlier}); "
        f"fix the file and run `toolkit {'migrate' if direction == 'upgrade' else 'rollback'}` again"
    )


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
    settings: Settings, names: list[str], direction: Direction, progress: Progress
) -> list[str]:
    done: list[str] = []
    async with _aerich_session(settings):
        for name in names:
            progress(f"{'applying' if direction == 'upgrade' else 'reverting'} {name}")
            try:
                await _step(settings, name, direction)
            except _StepFailed as failure:
                raise _failed(settings, name, failure, direction, len(done)) from None
            done.append(name)
    return done


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
    async with migration_lock(backend, lock_timeout):
        # Re-read after taking the lock: another process may have just migrated.
        done = set(await applied_migrations(settings, backend))
        pending = [f for f in files if f not in done]
        if not pending:
            return MigrateReport(applied=[])
        _refuse_out_of_order(files, done, pending)
        progress(f"applying {len(pending)} migration(s)")
        try:
            applied = await _run_steps(settings, pending, "upgrade", progress)
        except BaseException:
            with contextlib.suppress(Exception):  # the failure is the news, not this
                await _forget_seeds_of_dropped_tables(backend)
            raise
        await _forget_seeds_of_dropped_tables(backend)
    return MigrateReport(applied=applied)


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
            sql = await _script_of(_load(settings, name), name, "upgrade", client)
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
    async with migration_lock(backend, lock_timeout):
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
            reverted = await _run_steps(settings, list(reversed(targets)), "downgrade", progress)
        except BaseException:
            with contextlib.suppress(Exception):  # the failure is the news, not this
                await _forget_seeds_of_dropped_tables(backend)
            raise
        await _forget_seeds_of_dropped_tables(backend)
    return RollbackReport(reverted=reverted)


def _position_after(to: str, applied: list[str]) -> int:
    """How many applied migrations stay when rolling back to `to` (a number or a name)."""
    if to == "zero":
        return 0
    for i, name in enumerate(applied):
        stem = name.removesuffix(".py")
        if to in (name, stem) or name.split("_", 1)[0] == to:
            return i + 1
    shown = ", ".join(a.removesuffix(".py") for a in applied)
    raise UsageError(f"--to {to!r} is not an applied migration; applied: {shown} (or use 'zero')")
