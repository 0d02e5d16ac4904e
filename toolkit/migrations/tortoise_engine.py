"""Tortoise ORM's built-in migrations (`tortoise.migrations`) as the migration engine.

The files are Tortoise's own (`NNNN_slug.py`, `class Migration(migrations.Migration)`),
recorded in Tortoise's own `tortoise_migrations` table exactly as its `MigrationRecorder`
writes it: a database migrated by `tortoise migrate` is current for toolkit, and the reverse.

What toolkit adds over Tortoise's `MigrationExecutor`, which records a migration only after
its transaction has committed (a crash in between leaves it applied and unrecorded):
- each migration's operations (RunPython and RunSQL included) and its `tortoise_migrations`
  row, with toolkit's checksum, commit in one transaction, or none of it does;
- the migration lock is proven held (`LockHandle.verify`) before that commit, and inside
  the transaction the step lock is taken and the record re-read, so concurrent runs apply
  each migration once;
- SQLite runs each migration with foreign keys off (Tortoise's table rebuild drops the
  old table, which would CASCADE-delete every child row) and checks them with
  `PRAGMA foreign_key_check` before the commit;
- MySQL (DDL commits itself) is pinned as the Aerich engine pins it: a started mark first,
  so a run killed half-way is refused by the next one instead of failing on "exists".
A `Migration` with `atomic = False` runs as Tortoise runs it; only its record is atomic.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from toolkit.backends.base import Connection, LockHandle
from toolkit.backends.session import Database
from toolkit.errors import LockLost, ToolkitError
from toolkit.migrations import checksums, files, runner
from toolkit.migrations.engine import Direction, Engine, EngineSession, Outcome
from toolkit.migrations.runner import LockWaitTimeout, StepFailed, StepLockLost
from toolkit.migrations.statements import split
from toolkit.migrations.tortoise_make import make_tortoise_migration, tortoise_model_changes
from toolkit.migrations.tortoise_plan import (
    TABLE,
    Plan,
    editor_for,
    orm,
    refuse_irreversible,
    refuse_transaction_control,
    script,
)
from toolkit.settings import Settings

if TYPE_CHECKING:
    from tortoise.migrations.migration import Migration
    from tortoise.migrations.schema_generator.state import State

__all__ = ["TortoiseEngine", "make_tortoise_migration", "tortoise_model_changes"]


class TortoiseEngine(Engine):
    name = "tortoise"
    version_table = TABLE

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def files(self, *, required: bool = True) -> list[str]:
        return files.migration_files(self.settings, required=required)

    async def applied(self, conn: Connection) -> list[str]:
        if not await conn.table_exists(TABLE):
            return []
        rows = await conn.fetch(
            f"SELECT name FROM {TABLE} WHERE app = ? ORDER BY applied_at, id", self.settings.app
        )
        return [f"{r[0]}.py" for r in rows]

    async def applied_state(self, conn: Connection) -> dict[str, Any] | None:
        states = await self.recorded_states(conn)
        return states[-1] if states else None

    async def recorded_states(self, conn: Connection) -> list[dict[str, Any]]:
        """Tortoise records names, not states: each applied migration's state is replayed from
        the files (an applied version whose file is gone adds nothing)."""
        done = set(await self.applied(conn))
        names = [f for f in self.files(required=False) if f in done]
        if not names:
            return []
        return await Plan(self.settings, names, "toolkit_state", offline=True).described_after_each()

    @asynccontextmanager
    async def session(
        self, db: Database, lock: LockHandle, *, lock_wait: float = 0.0
    ) -> AsyncIterator[EngineSession]:
        conn = await db.connection()
        unadopted = await _migrated_by_aerich_only(conn, self.settings.app)
        async with orm(self.settings) as alias:
            plan = Plan(self.settings, self.files(), alias, offline=False)
            step = runner.Step(self.settings, db.backend, alias, lock, conn, lock_wait)
            yield TortoiseSession(step, plan, unadopted=unadopted)

    async def script(self, name: str, direction: Direction, dialect: str) -> str:
        return await script(self.settings, self.files(), name, direction, dialect)


async def _migrated_by_aerich_only(conn: Connection, app: str) -> bool:
    """Whether Aerich's table records the app and Tortoise's doesn't: a database Aerich
    brought up, whose schema the first built-in migration would try to create again."""

    async def records(table: str) -> bool:
        return await conn.table_exists(table) and bool(
            await conn.fetch(f"SELECT 1 FROM {table} WHERE app = ? LIMIT 1", app)
        )

    return await records("aerich") and not await records(TABLE)


class TortoiseSession(EngineSession):
    def __init__(self, step: runner.Step, plan: Plan, *, unadopted: bool = False) -> None:
        self.step = step
        self.plan = plan
        self.unadopted = unadopted

    async def run(self, name: str, direction: Direction) -> Outcome:
        from tortoise import Tortoise

        if self.unadopted:
            settings = self.step.settings
            raise ToolkitError(
                f"{settings.env} ({settings.masked_url}) was migrated by Aerich (its table \"aerich\" "
                f"records the app \"{settings.app}\") and records no built-in migration: nothing was "
                f"run; record the initial one as applied with `toolkit migrate --fake --to "
                f"{name.removesuffix('.py')}`, then run `toolkit check` (docs/adopt-builtin.md)"
            )
        migration = self.plan.migrations[name]
        if direction == "downgrade":
            refuse_irreversible(self.step.settings, migration, name)
        else:
            await self._refuse_missing_dependencies(name, migration)
        try:
            state = await self.plan.before(name)
        except Exception as exc:
            raise StepFailed(exc, atomic=True) from None  # nothing ran yet
        client = Tortoise.get_connection(self.step.alias)
        checked = self.step.backend.checks_foreign_keys_after_migration
        if checked:
            await runner.foreign_keys(client, on=False)  # a no-op inside a transaction: before it
        try:
            if not migration.atomic:
                return await self._loose(name, migration, state, direction)
            if self.step.backend.transactional_ddl:
                refuse_transaction_control(self.step.settings, migration, name, self.step.backend.dialect)
                return await self._atomic(name, migration, state, direction)
            return await self._pinned(name, migration, state, direction)
        finally:
            if checked:
                await runner.foreign_keys(client, on=True)

    async def _refuse_missing_dependencies(self, name: str, migration: Migration) -> None:
        """A migration that depends on another app's (a foreign key into it) runs after it."""
        settings, conn = self.step.settings, self.step.conn
        for app, parent in migration.dependencies:
            if app == settings.app or parent == "__first__":
                continue
            recorded = await conn.table_exists(TABLE) and await conn.fetch(
                f"SELECT 1 FROM {TABLE} WHERE app = ? AND name = ?", app, parent
            )
            if not recorded:
                raise ToolkitError(
                    f"{files.display(settings, name)} depends on {parent} of the app {app!r}, which "
                    f"{settings.env} has not applied: nothing was run; run `toolkit --app {app} "
                    "migrate` first"
                )

    async def _atomic(self, name: str, migration: Migration, state: State, direction: Direction) -> Outcome:
        from tortoise.transactions import in_transaction

        step = self.step
        last = [""]
        try:
            async with in_transaction(step.alias) as conn:
                last = _watch(conn, step)
                if await self._already_done(conn, name, direction):
                    return "skipped"
                bound = step.backend.lock_wait_sql(step.lock_wait)
                if bound:  # after the step lock, which must wait as long as it takes
                    await conn.execute_script(bound)
                await self._operations(conn, migration, state, direction)
                await runner.check_foreign_keys(step, conn)
                await step.lock.verify()
                await self._record(conn, name, direction)
        except LockLost as lost:
            raise StepLockLost(lost, kept=False) from None
        except ToolkitError:
            raise
        except Exception as exc:
            if step.backend.is_lock_wait_timeout(exc):
                waited = LockWaitTimeout(last[0], exc)
                with contextlib.suppress(Exception):  # the timeout is the news, the names a bonus
                    await waited.find_holders(step)
                raise StepFailed(waited, atomic=True) from None
            raise StepFailed(exc, atomic=True) from None
        return "done"

    async def _pinned(self, name: str, migration: Migration, state: State, direction: Direction) -> Outcome:
        """MySQL: each DDL statement commits; the step lock holds other runners off, a started
        mark tells the next run that this one died half-way."""
        from tortoise.transactions import in_transaction

        step, app = self.step, self.step.settings.app
        lost: LockLost | None = None
        try:
            async with in_transaction(step.alias) as conn:
                if await self._already_done(conn, name, direction):
                    return "skipped"
                await step.lock.verify()
                await checksums.mark_started(step.conn, app, name, checksums.of_file(step.path(name)))
                try:
                    await self._operations(conn, migration, state, direction)
                except Exception:
                    await checksums.clear_started(step.conn, app, name)
                    raise
                try:  # its statements stayed: recorded even if the run's lock is gone now
                    await step.lock.verify()
                except LockLost as exc:
                    lost = exc
                await self._record(conn, name, direction)
        except LockLost as exc:
            raise StepLockLost(exc, kept=False) from None
        except ToolkitError:
            raise
        except Exception as exc:
            raise StepFailed(exc, atomic=False) from None
        finally:
            await runner.release_step_lock(step)
        if lost is not None:
            raise StepLockLost(lost, kept=True)
        return "done"

    async def _loose(self, name: str, migration: Migration, state: State, direction: Direction) -> Outcome:
        """`atomic = False`: the operations run as Tortoise runs them; the record is atomic."""
        from tortoise import Tortoise
        from tortoise.transactions import in_transaction

        step = self.step
        try:
            await step.lock.verify()
        except LockLost as exc:
            raise StepLockLost(exc, kept=False) from None
        client = Tortoise.get_connection(step.alias)
        try:
            await self._operations(client, migration, state, direction, atomic=False)
            await runner.check_foreign_keys(step, client)
            async with in_transaction(step.alias) as conn:
                _watch(conn, step)
                await self._record(conn, name, direction)
        except ToolkitError:
            raise
        except Exception as exc:
            raise StepFailed(exc, atomic=False) from None
        return "done"

    async def _operations(
        self, conn: Any, migration: Migration, state: State, direction: Direction, *, atomic: bool = True
    ) -> None:
        """The migration's operations through Tortoise's schema editor, on `conn`."""
        from tortoise import Tortoise

        # Picked by the connection's driver, as Tortoise's executor does; then pointed at ours.
        editor = editor_for(Tortoise.get_connection(self.step.alias), atomic=atomic)
        editor.client = conn
        if direction == "upgrade":
            await migration.apply(state, schema_editor=editor)
        else:
            await migration.unapply(state, schema_editor=editor)

    async def _already_done(self, conn: Any, name: str, direction: Direction) -> bool:
        """Take the step lock on this connection, then re-read whether `name` is recorded."""
        step = self.step
        await runner.take_step_lock(step, conn)
        if not await conn.execute_query_dict(step.backend.table_exists_sql(TABLE)):
            return direction == "downgrade"  # the first migration creates Tortoise's table
        a, n = step.marks(2)
        rows = await conn.execute_query_dict(
            f"SELECT 1 FROM {TABLE} WHERE app = {a} AND name = {n}",
            [step.settings.app, name.removesuffix(".py")],
        )
        return bool(rows) if direction == "upgrade" else not rows

    async def _record(self, conn: Any, name: str, direction: Direction) -> None:
        """Add or remove the row exactly as Tortoise's `MigrationRecorder` does, with the
        file's checksum beside it, on the migration's own transaction."""
        from tortoise import Tortoise
        from tortoise.migrations.recorder import MigrationRecorder

        step, app = self.step, self.step.settings.app
        recorder = MigrationRecorder(conn)
        if direction == "upgrade":
            editor = editor_for(Tortoise.get_connection(step.alias))
            editor.client = conn
            await recorder.ensure_schema(editor)  # CREATE TABLE IF NOT EXISTS, as Tortoise's
            await recorder.record_applied(app, name.removesuffix(".py"))
            await checksums.record(conn, app, name, checksums.of_file(step.path(name)), step.marks(3))
        else:
            await recorder.record_unapplied(app, name.removesuffix(".py"))
            await checksums.forget(conn, app, name, step.marks(2))

    async def record_only(self, name: str) -> None:
        """Record `name` as applied without running it (`migrate --fake`), in one transaction."""
        from tortoise.transactions import in_transaction

        try:
            async with in_transaction(self.step.alias) as conn:
                _watch(conn, self.step)
                if await self._already_done(conn, name, "upgrade"):
                    return
                await self._record(conn, name, "upgrade")
        finally:
            await runner.release_step_lock(self.step)


def _watch(conn: Any, step: runner.Step) -> list[str]:
    """Keep the transaction's scripts inside it where the driver's own would commit first
    (Python's sqlite3 `executescript`), and remember the last statement sent (the one a
    lock wait names). Returns that one-item memory."""
    last = [""]
    query, script_of = conn.execute_query, conn.execute_script
    dialect = step.backend.dialect

    async def execute_query(sql: str, values: Any = None) -> Any:
        last[0] = sql
        return await query(sql, values)

    async def execute_script(sql: str) -> None:
        if not step.backend.executescript_commits:
            last[0] = sql
            await script_of(sql)
            return
        for statement in split(sql, dialect):
            await execute_query(statement)

    conn.execute_query = execute_query
    conn.execute_script = execute_script
    return last
