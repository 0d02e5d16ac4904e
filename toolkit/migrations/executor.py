"""Apply a plan: one engine step per file, in order, with the message that says exactly
what stayed and what was undone when a step fails (Django's executor, alembic's runtime)."""

from __future__ import annotations

from collections.abc import Callable

from toolkit.backends.base import Backend
from toolkit.errors import MigrationFailed, ToolkitError
from toolkit.migrations.engine import Direction, EngineSession
from toolkit.migrations.files import display, first_line
from toolkit.migrations.runner import LockWaitTimeout, StepFailed, StepLockLost
from toolkit.settings import Settings

Progress = Callable[[str], None]


async def run_plan(
    session: EngineSession,
    settings: Settings,
    backend: Backend,
    names: list[str],
    direction: Direction,
    progress: Progress,
) -> list[str]:
    """Run `names` in order; the ones this run applied (or reverted)."""
    done: list[str] = []
    for name in names:
        progress(f"{'applying' if direction == 'upgrade' else 'reverting'} {name}")
        try:
            outcome = await session.run(name, direction)
        except StepFailed as failure:
            raise failed(settings, backend, name, failure, direction, len(done)) from None
        except StepLockLost as lost:
            raise lock_lost(settings, name, lost, direction, done) from None
        if outcome == "skipped":
            progress(f"{name}: already {'applied' if direction == 'upgrade' else 'reverted'} by another run")
            continue
        done.append(name)
    return done


def failed(
    settings: Settings, backend: Backend, name: str, failure: StepFailed, direction: Direction, done: int
) -> MigrationFailed:
    label = backend.label
    what = "migration" if direction == "upgrade" else "rolling back"
    kept = "pending" if direction == "upgrade" else "applied"
    again = f"run `toolkit {'migrate' if direction == 'upgrade' else 'rollback'}` again"
    if backend.is_connection_lost(failure.cause) and failure.atomic:
        return MigrationFailed(
            f"lost the connection to {label} at {backend.where} while "
            f"{'applying' if direction == 'upgrade' else 'reverting'} {display(settings, name)} "
            f"({first_line(failure.cause)}); the server rolled that migration back and it is "
            f"still {kept}; {again}"
        )
    if isinstance(failure.cause, LockWaitTimeout):
        return _lock_wait_failed(settings, backend, name, failure.cause, direction, again)
    undone = (
        "its changes were rolled back"
        if failure.atomic
        else f"{label} commits each DDL statement, so its statements before the error stay"
        if not backend.transactional_ddl
        else "it ran outside a transaction, so its statements before the error stay"
    )
    earlier = f"; the {done} before it in this run stay {'applied' if direction == 'upgrade' else 'reverted'}" if done else ""
    return MigrationFailed(
        f"{what} {display(settings, name)} failed on {label}: {first_line(failure.cause)} "
        f"({undone} and it is still {kept}{earlier}); fix the file and {again}"
    )


def lock_lost(
    settings: Settings, name: str, lost: StepLockLost, direction: Direction, done: list[str]
) -> ToolkitError:
    verb = "applying" if direction == "upgrade" else "reverting"
    if lost.kept:
        this = f"{name} ran and is recorded"
    else:
        this = f"{name} was rolled back and is still {'pending' if direction == 'upgrade' else 'applied'}"
    earlier = f"; the {len(done)} before it in this run stay {'applied' if direction == 'upgrade' else 'reverted'}" if done else ""
    return ToolkitError(
        f"{lost.cause} while {verb} {display(settings, name)}: {this}{earlier}; "
        f"stopped so no other run's migrations interleave; run `toolkit {'migrate' if direction == 'upgrade' else 'rollback'}` again"
    )


def _lock_wait_failed(
    settings: Settings, backend: Backend, name: str, waited: LockWaitTimeout, direction: Direction, again: str
) -> MigrationFailed:
    kept = "pending" if direction == "upgrade" else "applied"
    if waited.holders:
        pid, query = waited.holders[0]
        shown = " ".join(query.split())[:80] or "idle in transaction"
        blocker = f' on table "{waited.table}", held by pid {pid} ({shown})'
    else:
        blocker = ""
    return MigrationFailed(
        f"{display(settings, name)} waited longer than the lock wait for a lock{blocker}; "
        f"it was rolled back and is still {kept}, and no query of the application waited "
        f"behind it longer than that; {again} when the table is quieter, or raise --lock-wait"
    )
