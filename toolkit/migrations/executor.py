"""Apply a plan: one engine step per file, in order, with the message that says exactly
what stayed and what was undone when a step fails (Django's executor, alembic's runtime)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from toolkit.backends.base import Backend
from toolkit.errors import MigrationFailed, ToolkitError
from toolkit.migrations.engine import Direction, EngineSession
from toolkit.migrations.files import display, first_line
from toolkit.migrations.runner import LockWaitTimeout, StepFailed, StepLockLost
from toolkit.settings import Settings

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Retries:
    """How often a migration that gave up waiting for a table lock is tried again, and the
    first pause between tries (doubled each time, up to `cap`): a busy table is often quiet
    a few seconds later, and a retry costs nothing since the try was rolled back."""

    times: int = 0
    backoff: float = 1.0
    cap: float = 30.0

    def pause(self, attempt: int) -> float:
        """Seconds to wait after try number `attempt` (1-based) failed."""
        return float(min(self.cap, self.backoff * 2 ** (attempt - 1)))


async def run_plan(
    session: EngineSession,
    settings: Settings,
    backend: Backend,
    names: list[str],
    direction: Direction,
    progress: Progress,
    retries: Retries = Retries(),
) -> list[str]:
    """Run `names` in order; the ones this run applied (or reverted)."""
    done: list[str] = []
    for name in names:
        progress(f"{'applying' if direction == 'upgrade' else 'reverting'} {name}")
        try:
            outcome = await _run_retrying(session, name, direction, progress, retries)
        except _GaveUp as gave_up:
            raise failed(settings, backend, name, gave_up.failure, direction, len(done), gave_up.attempts) from None
        except StepLockLost as lost:
            raise lock_lost(settings, name, lost, direction, done) from None
        if outcome == "skipped":
            progress(f"{name}: already {'applied' if direction == 'upgrade' else 'reverted'} by another run")
            continue
        done.append(name)
    return done


class _GaveUp(Exception):
    def __init__(self, failure: StepFailed, attempts: int) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.attempts = attempts


async def _run_retrying(
    session: EngineSession, name: str, direction: Direction, progress: Progress, retries: Retries
) -> str:
    """One file, tried again after a lock-wait timeout (only then: the try was rolled back,
    so the file is exactly as pending as before) up to `retries.times` more times."""
    attempt = 1
    while True:
        try:
            return await session.run(name, direction)
        except StepFailed as failure:
            waited = isinstance(failure.cause, LockWaitTimeout) and failure.atomic
            if not waited or attempt > retries.times:
                raise _GaveUp(failure, attempt) from None
            pause = retries.pause(attempt)
            attempt += 1
            progress(
                f"{name} waited too long for a table lock; trying again in {pause:g}s "
                f"(attempt {attempt} of {retries.times + 1})"
            )
            await asyncio.sleep(pause)


def failed(
    settings: Settings, backend: Backend, name: str, failure: StepFailed, direction: Direction, done: int,
    attempts: int = 1,
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
        return _lock_wait_failed(settings, name, failure.cause, direction, again, attempts)
    undone = (
        "its changes were rolled back"
        if failure.atomic
        else f"{label} commits each DDL statement, so its statements before the error stay"
        if not backend.transactional_ddl
        else "it ran outside a transaction, so its statements before the error stay"
    )
    earlier = f"; the {done} before it in this run stay {'applied' if direction == 'upgrade' else 'reverted'}" if done else ""
    if backend.is_disk_full(failure.cause):  # the file is fine: the disk is the fix
        return MigrationFailed(
            f"the disk of {label} at {backend.where} is full ({first_line(failure.cause)}) while "
            f"{'applying' if direction == 'upgrade' else 'reverting'} {display(settings, name)}: "
            f"{undone} and it is still {kept}{earlier}; free some space, then {again}"
        )
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
    settings: Settings, name: str, waited: LockWaitTimeout, direction: Direction, again: str, attempts: int
) -> MigrationFailed:
    kept = "pending" if direction == "upgrade" else "applied"
    if waited.holders:
        pid, query = waited.holders[0]
        shown = " ".join(query.split())[:80] or "idle in transaction"
        blocker = f' on table "{waited.table}", held by pid {pid} ({shown})'
    else:
        blocker = ""
    tries = f" in each of {attempts} attempts" if attempts > 1 else ""
    more = ", or raise --lock-wait or --retries" if attempts > 1 else ", or raise --lock-wait"
    return MigrationFailed(
        f"{display(settings, name)} waited longer than the lock wait for a lock{blocker}{tries}; "
        f"it was rolled back and is still {kept}, and no query of the application waited "
        f"behind it longer than that; {again} when the table is quieter{more}"
    )
