"""Run one migration file's upgrade or downgrade and record it: the only place that does.

What a migration gets, by what the database can give:
- Atomic (PostgreSQL and SQLite, `RUN_IN_TRANSACTION = True`, the default): the file's
  `upgrade(db)` / `downgrade(db)` is called with the connection of the migration's own
  transaction (as Aerich does), so a data migration's queries, the returned SQL, the
  `aerich` row and the checksum commit together or not at all.
- Pinned (MySQL): one connection holds a step lock from the first statement to the record;
  MySQL commits each DDL statement by itself, so statements before an error stay.
- Loose (`RUN_IN_TRANSACTION = False`): the script runs as Aerich runs it.

The migration lock is proven held before each migration commits (`LockHandle.verify`), and
inside the step the applied versions are re-read under a lock the step's own connection
holds: a runner that took over a lost lock waits for this commit, then skips what it finds
applied. SQLite runs each migration with foreign-key enforcement off (a table rebuild's
DROP would otherwise fire ON DELETE CASCADE on every child row) and checks the keys with
`PRAGMA foreign_key_check` before it commits.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from toolkit.backends.base import Backend, Connection, LockHandle
from toolkit.errors import LockLost, MigrationFailed, ToolkitError
from toolkit.migrations import checksums
from toolkit.migrations.engine import Direction, Outcome
from toolkit.migrations.files import display, load
from toolkit.migrations.portable_ddl import initial_ops
from toolkit.migrations.statements import split, transaction_control
from toolkit.settings import Settings

# A table named after the words that take its lock: ALTER TABLE x, INDEX ... ON x, ...
_TABLE_AFTER = re.compile(
    r'\b(?:TABLE|ON|INTO|UPDATE|FROM|REFERENCES)\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?'
    r'(?:"((?:[^"]|"")+)"|`([^`]+)`|([A-Za-z_][A-Za-z0-9_$]*))',
    re.IGNORECASE,
)


class StepFailed(Exception):
    """A migration failed; `atomic` says whether its changes were undone."""

    def __init__(self, cause: BaseException, atomic: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.atomic = atomic


class StepLockLost(Exception):
    """The migration lock was lost; `kept` says whether this migration's work stayed."""

    def __init__(self, cause: LockLost, kept: bool) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.kept = kept


class LockWaitTimeout(Exception):
    """A statement gave up waiting for a table lock; the migration was rolled back."""

    def __init__(self, statement: str, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.statement = statement
        self.cause = cause
        self.table: str | None = None
        self.holders: list[tuple[int, str]] = []

    async def find_holders(self, step: Step) -> None:
        """Who holds a lock on a table the statement names (still held after we gave up)."""
        for table in _TABLE_AFTER.findall(self.statement):
            name = next(part for part in table if part)
            holders = await step.backend.lock_holders(step.conn, name)
            if holders:
                self.table, self.holders = name, holders
                return


class ForeignKeyViolation(Exception):
    """Rows left pointing at missing parents: the migration fails like any database error."""


@dataclass(frozen=True)
class Step:
    """What every migration of one run shares: the settings, the database, the lock."""

    settings: Settings
    backend: Backend
    alias: str
    lock: LockHandle
    conn: Connection  # toolkit's own connection for the run: marks outside the step
    lock_wait: float = 0.0  # seconds a statement may wait for a table lock; 0: no bound

    def path(self, name: str) -> Path:
        return self.settings.app_migrations_dir / name

    def marks(self, count: int) -> tuple[str, ...]:
        return tuple(self.backend.placeholder(i) for i in range(1, count + 1))


async def script_of(module: ModuleType, name: str, direction: Direction, conn: Any) -> str:
    """The SQL the file's upgrade or downgrade returns, given `conn` (which it may use)."""
    sql = await getattr(module, direction)(conn)
    if direction == "downgrade" and not str(sql).strip():
        raise MigrationFailed(f"{name} has no downgrade SQL, so it cannot be rolled back")
    return str(sql)


async def run(step: Step, name: str, direction: Direction) -> Outcome:
    """Apply or revert `name`; "skipped" when another runner already did it."""
    from tortoise import Tortoise

    client = Tortoise.get_connection(step.alias)
    try:
        module = load(step.path(name))
    except Exception as exc:
        raise StepFailed(exc, atomic=True) from None  # nothing ran yet
    declared_atomic = bool(getattr(module, "RUN_IN_TRANSACTION", True))
    checked = step.backend.checks_foreign_keys_after_migration
    if checked:
        await foreign_keys(client, on=False)  # a no-op inside a transaction: before it
    try:
        if not declared_atomic:
            return await _loose(step, module, name, direction, client)
        if step.backend.transactional_ddl:
            return await _atomic(step, module, name, direction)
        return await _pinned(step, module, name, direction)
    finally:
        if checked:
            await foreign_keys(client, on=True)


async def _atomic(step: Step, module: ModuleType, name: str, direction: Direction) -> Outcome:
    from tortoise.transactions import in_transaction

    try:
        async with in_transaction(step.alias) as conn:
            _statements_stay_in(conn, step)
            if await _already_done(step, conn, name, direction):
                return "skipped"
            bound = step.backend.lock_wait_sql(step.lock_wait)
            if bound:  # after the step lock, which must wait as long as it takes
                await conn.execute_script(bound)
            statements = await _statements(step, module, name, direction, conn)
            await _execute(step, conn, statements)
            await check_foreign_keys(step, conn)
            await step.lock.verify()
            await _record(step, module, name, direction, conn)
    except LockLost as lost:
        raise StepLockLost(lost, kept=False) from None
    except ToolkitError:
        raise
    except LockWaitTimeout as waited:
        with contextlib.suppress(Exception):  # the timeout is the news, the names a bonus
            await waited.find_holders(step)
        raise StepFailed(waited, atomic=True) from None
    except Exception as exc:
        raise StepFailed(exc, atomic=True) from None
    return "done"


async def _pinned(step: Step, module: ModuleType, name: str, direction: Direction) -> Outcome:
    from tortoise.transactions import in_transaction

    lost: LockLost | None = None
    app = step.settings.app
    try:
        async with in_transaction(step.alias) as conn:
            if await _already_done(step, conn, name, direction):
                return "skipped"
            await step.lock.verify()
            statements = await _statements(step, module, name, direction, conn)
            await checksums.mark_started(step.conn, app, name, checksums.of_file(step.path(name)))
            try:
                await _execute(step, conn, statements)
            except Exception:
                # Reported now, with what stayed: not a half-applied mystery for the next run.
                await checksums.clear_started(step.conn, app, name)
                raise
            # The step lock kept every other runner out of this migration while it ran:
            # its statements stayed, so it is recorded even if the run's lock is gone now.
            try:
                await step.lock.verify()
            except LockLost as exc:
                lost = exc
            await _record(step, module, name, direction, conn)
    except LockLost as exc:
        raise StepLockLost(exc, kept=False) from None
    except ToolkitError:
        raise
    except Exception as exc:
        raise StepFailed(exc, atomic=False) from None
    finally:
        await release_step_lock(step)
    if lost is not None:
        raise StepLockLost(lost, kept=True)
    return "done"


async def _loose(step: Step, module: ModuleType, name: str, direction: Direction, client: Any) -> Outcome:
    try:
        await step.lock.verify()
    except LockLost as exc:
        raise StepLockLost(exc, kept=False) from None
    try:
        sql = await script_of(module, name, direction, client)
    except ToolkitError:
        raise
    except Exception as exc:
        raise StepFailed(exc, atomic=True) from None
    statements = split(sql, step.backend.dialect)
    own = transaction_control(statements) is not None
    # Without a transaction of ours, a server still runs a multi-statement script as one
    # implicit transaction, unless the script commits by itself.
    undone = step.backend.script_is_one_transaction and not own
    try:
        if statements:
            await client.execute_script(sql)
        await check_foreign_keys(step, client)
        await _record(step, module, name, direction, client)
    except Exception as exc:
        left = await _invalid_index_left(client, statements)
        if left is not None:
            raise StepFailed(InvalidIndexLeft(exc, left), atomic=False) from None
        raise StepFailed(exc, atomic=undone) from None
    return "done"


class InvalidIndexLeft(Exception):
    """A concurrent index build failed: PostgreSQL keeps the half-built index, marked
    invalid, and the next try of the same CREATE INDEX fails on its name."""

    def __init__(self, cause: BaseException, index: str) -> None:
        text = (str(cause) or type(cause).__name__).splitlines()[0]
        super().__init__(
            f'{text}; the build left the invalid index "{index}" behind: drop it with '
            f'DROP INDEX CONCURRENTLY "{index}" before the next try'
        )


_CONCURRENT_INDEX = re.compile(
    r'^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+(?:IF\s+NOT\s+EXISTS\s+)?"?((?:[^"]|"")+?)"?\s+ON\b', re.I
)


async def _invalid_index_left(client: Any, statements: list[str]) -> str | None:
    """The index a failed `CREATE INDEX CONCURRENTLY` left invalid, if it did. Only
    PostgreSQL has that statement, so only there is the catalog asked."""
    names = [m.group(1).replace('""', '"') for s in statements if (m := _CONCURRENT_INDEX.match(s))]
    for index in names:
        literal = "'" + index.replace("'", "''") + "'"
        with contextlib.suppress(Exception):  # the failure is the news; this only adds to it
            rows = await client.execute_query_dict(
                "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                f"WHERE c.relname = {literal} AND NOT i.indisvalid"
            )
            if rows:
                return index
    return None


def _statements_stay_in(conn: Any, step: Step) -> None:
    """Make the transaction's `execute_script` run statement by statement where the driver's
    own would commit first (Python's sqlite3 `executescript`), so a data migration that calls
    `db.execute_script(...)` stays inside the migration's transaction."""
    if not step.backend.executescript_commits:
        return
    dialect = step.backend.dialect

    async def execute_script(query: str) -> None:
        for statement in split(query, dialect):
            await conn.execute_query(statement)

    conn.execute_script = execute_script


async def _statements(step: Step, module: ModuleType, name: str, direction: Direction, conn: Any) -> list[str]:
    statements = split(await script_of(module, name, direction, conn), step.backend.dialect)
    control = transaction_control(statements) if step.backend.transactional_ddl else None
    if control is not None:
        raise MigrationFailed(
            f"{display(step.settings, name)} runs `{control}` itself, inside the transaction toolkit opens "
            "for it; nothing of it was kept. Set RUN_IN_TRANSACTION = False in the file to run "
            "it as written, outside a transaction"
        )
    return statements


async def _execute(step: Step, conn: Any, statements: list[str]) -> None:
    # One statement at a time: the one that fails (or waits too long for a lock) is known.
    run = conn.execute_query if step.backend.executescript_commits else conn.execute_script
    for statement in statements:
        try:
            await run(statement)
        except Exception as exc:
            if step.backend.is_lock_wait_timeout(exc):
                raise LockWaitTimeout(statement, exc) from None
            raise


async def _already_done(step: Step, conn: Any, name: str, direction: Direction) -> bool:
    """Take the step lock on this connection, then re-read whether `name` is applied."""
    from aerich.models import Aerich

    await take_step_lock(step, conn)
    if not await conn.execute_query_dict(step.backend.table_exists_sql("aerich")):
        return direction == "downgrade"  # the first migration creates Aerich's table
    applied = await Aerich.filter(app=step.settings.app, version=name).using_db(conn).exists()
    return applied if direction == "upgrade" else not applied


async def take_step_lock(step: Step, conn: Any) -> None:
    """The lock this migration's own connection holds until it commits (a runner that took
    over a lost migration lock waits here for our commit, then re-reads what is applied)."""
    lock = step.backend.step_lock_sql()
    if lock is None:
        return
    rows = await conn.execute_query_dict(lock[0])
    got = next(iter(rows[0].values()), None) if rows else None
    if got == 0:
        raise MigrationFailed(
            f"another migration held the step lock on {step.backend.where} for too long; "
            "run `toolkit migrate` again"
        )


async def release_step_lock(step: Step) -> None:
    lock = step.backend.step_lock_sql()
    if lock is None or not lock[1]:
        return
    from tortoise import Tortoise

    try:
        await Tortoise.get_connection(step.alias).execute_query(lock[1])
    except Exception:  # the lock dies with its session anyway
        return


async def foreign_keys(client: Any, *, on: bool) -> None:
    await client.execute_query(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")


async def check_foreign_keys(step: Step, conn: Any) -> None:
    if not step.backend.checks_foreign_keys_after_migration:
        return
    rows = await conn.execute_query_dict("PRAGMA foreign_key_check")
    if rows:
        tables = sorted({str(r.get("table")) for r in rows})
        parents = sorted({str(r.get("parent")) for r in rows})
        raise ForeignKeyViolation(
            f"it leaves {len(rows)} row(s) of {', '.join(tables)} pointing at missing rows of "
            f"{', '.join(parents)} (PRAGMA foreign_key_check)"
        )


async def _record(step: Step, module: ModuleType, name: str, direction: Direction, conn: Any) -> None:
    """Add or remove the version row exactly as `aerich upgrade` / `aerich downgrade` do,
    with the file's checksum beside it."""
    from aerich.models import Aerich
    from aerich.utils import decompress_dict, get_models_describe

    app = step.settings.app
    if direction == "upgrade":
        state = getattr(module, "MODELS_STATE", None)
        content = decompress_dict(state) if state else get_models_describe(app)
        await Aerich.create(version=name, app=app, content=content, using_db=conn)
        digest = checksums.of_file(step.path(name))
        await checksums.record(conn, app, name, digest, step.marks(3))
    else:
        row = await Aerich.filter(app=app, version=name).using_db(conn).order_by("-id").first()
        if row is not None:
            await row.delete(using_db=conn)
        await checksums.forget(conn, app, name, step.marks(2))


async def record_only(step: Step, name: str) -> None:
    """Record `name` as applied without running it (`migrate --fake`), in one transaction."""
    from tortoise.transactions import in_transaction

    module = load(step.path(name))
    async with in_transaction(step.alias) as conn:
        if not await conn.execute_query_dict(step.backend.table_exists_sql("aerich")):
            # Aerich's own table, exactly as the first migration (or `aerich init-db`) creates it.
            await conn.execute_script(initial_ops(step.backend.dialect))
        if await _already_done(step, conn, name, "upgrade"):
            return
        await _record(step, module, name, "upgrade", conn)

