"""MySQL's migration lock and its shared side for seeds, out of named locks.

A named lock (GET_LOCK) is exclusive only, so the shared side is built of two kinds: the
migration lock itself is the gate, and each seed holds one of SEED_SLOTS slot locks. A seed
takes the gate for a moment, takes a free slot, and lets the gate go; a migration takes the
gate (so no seed starts) and then waits until no slot is held. Every lock lives on a
connection of its own, for the whole command.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiomysql

from toolkit.backends.base import LockHandle, migration_running, seeds_running, wait_for_lock
from toolkit.errors import LockTimeout

# Seeds that may run at once on one database; one more waits for a slot.
SEED_SLOTS = 32


async def _value(conn: aiomysql.Connection, sql: str, *args: Any) -> Any:
    # pymysql's own `%s` placeholders: nothing of a name is rewritten.
    async with conn.cursor() as cur:
        await cur.execute(sql, args)
        row = await cur.fetchone()
    await conn.commit()  # no snapshot kept open on a connection that only holds locks
    return row[0] if row else None


def _slots(seed_lock: str) -> list[str]:
    return [f"{seed_lock}:{i}" for i in range(SEED_SLOTS)]


@asynccontextmanager
async def migration_lock(
    connect: Callable[[], Awaitable[aiomysql.Connection]], gate: str, seed_lock: str, where: str, timeout: float
) -> AsyncIterator[LockHandle]:
    conn = await connect()
    deadline = time.monotonic() + timeout
    slots = _slots(seed_lock)
    try:
        async def try_once() -> bool:
            return bool(await _value(conn, "SELECT GET_LOCK(%s, 0)", gate) == 1)

        async def no_seeds() -> bool:
            marks = ", ".join(["IS_USED_LOCK(%s)"] * len(slots))
            return bool(await _value(conn, f"SELECT COALESCE({marks}) IS NULL", *slots))

        async def still_held() -> bool:
            return bool(await _value(conn, "SELECT IS_USED_LOCK(%s) = CONNECTION_ID()", gate) == 1)

        async def held_by() -> LockTimeout:
            return seeds_running(where, timeout)

        await wait_for_lock(try_once, timeout, where)
        try:
            await wait_for_lock(no_seeds, max(0.0, deadline - time.monotonic()), where, held_by)
            yield LockHandle(where, still_held)
        finally:
            with contextlib.suppress(Exception):
                await _value(conn, "SELECT RELEASE_LOCK(%s)", gate)
    finally:
        conn.close()


@asynccontextmanager
async def seed_lock(
    connect: Callable[[], Awaitable[aiomysql.Connection]], gate: str, seed_lock: str, where: str, timeout: float
) -> AsyncIterator[None]:
    conn = await connect()
    held: list[str] = []
    crowded = [False]  # the last try found the gate free and every slot taken
    try:
        async def try_once() -> bool:
            if await _value(conn, "SELECT GET_LOCK(%s, 0)", gate) != 1:
                crowded[0] = False
                return False  # a migration runs, or holds the gate waiting for seeds
            try:
                for slot in _slots(seed_lock):
                    if await _value(conn, "SELECT GET_LOCK(%s, 0)", slot) == 1:
                        held.append(slot)
                        return True
                crowded[0] = True
                return False
            finally:
                await _value(conn, "SELECT RELEASE_LOCK(%s)", gate)

        async def held_by() -> LockTimeout:
            if crowded[0]:
                return LockTimeout(
                    f"{SEED_SLOTS} seeds are running at once on {where} (waited {timeout:g}s for "
                    "one to finish); seed again when one finishes, or wait longer with "
                    "--lock-timeout SECONDS"
                )
            return migration_running(where, timeout)

        await wait_for_lock(try_once, timeout, where, held_by)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await _value(conn, "SELECT RELEASE_LOCK(%s)", held[0])
    finally:
        conn.close()
