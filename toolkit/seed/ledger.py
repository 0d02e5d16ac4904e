"""The seed ledger: which row indices each run owns, and which of its batches are committed.

Three small tables, created on first use, in the seeded database itself:
- `toolkit_seed_runs`: one row per run (run id, table, seed, first row index, target count,
  number of shards, settings as JSON);
- `toolkit_seed_parts`: which shards of a run have started;
- `toolkit_seed_batches`: one row per committed range of row indices, written in the same
  transaction as the rows themselves, so a batch is either loaded and recorded or neither.

Row indices of a table are handed out once: a new run starts after every earlier run of
that table. That is what keeps unique columns (derived from the index) from colliding.
Generated integer keys are handed out once too: a new run's keys start past the table's
highest key and past every key any earlier run of the table was given (finished or not),
both read under the ledger's lock.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from toolkit.backends.base import Connection, Statement, Tx
from toolkit.seed.chunks import CHUNK_ROWS

RUNS = "toolkit_seed_runs"
PARTS = "toolkit_seed_parts"
BATCHES = "toolkit_seed_batches"
FILLS = "toolkit_seed_fills"
LEDGER_TABLES = (FILLS, BATCHES, PARTS, RUNS)

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {RUNS} (
        run_id VARCHAR(36) NOT NULL PRIMARY KEY,
        table_name VARCHAR(255) NOT NULL,
        seed BIGINT NOT NULL,
        start_index BIGINT NOT NULL,
        row_count BIGINT NOT NULL,
        shards INT NOT NULL,
        id_offset BIGINT NOT NULL,
        settings TEXT NOT NULL,
        created_at VARCHAR(32) NOT NULL
    )""",
    f"""CREATE TABLE IF NOT EXISTS {PARTS} (
        run_id VARCHAR(36) NOT NULL,
        shard INT NOT NULL,
        PRIMARY KEY (run_id, shard)
    )""",
    f"""CREATE TABLE IF NOT EXISTS {BATCHES} (
        run_id VARCHAR(36) NOT NULL,
        first_index BIGINT NOT NULL,
        row_count BIGINT NOT NULL,
        PRIMARY KEY (run_id, first_index)
    )""",
    # Runs whose columns filled after loading (self-references, cycles) have been filled.
    f"""CREATE TABLE IF NOT EXISTS {FILLS} (
        run_id VARCHAR(36) NOT NULL PRIMARY KEY
    )""",
)


@dataclass(frozen=True)
class Run:
    run_id: str
    table: str
    seed: int
    start: int
    count: int
    shards: int
    id_offset: int  # generated integer keys are id_offset + row index + 1
    settings: dict[str, Any]

    @property
    def stop(self) -> int:
        return self.start + self.count


def _run(row: Sequence[Any]) -> Run:
    return Run(
        run_id=row[0], table=row[1], seed=int(row[2]), start=int(row[3]), count=int(row[4]),
        shards=int(row[5]), id_offset=int(row[6]), settings=json.loads(row[7]),
    )


_RUN_COLUMNS = "run_id, table_name, seed, start_index, row_count, shards, id_offset, settings"
_R_RUN_COLUMNS = ", ".join("r." + c.strip() for c in _RUN_COLUMNS.split(","))  # aliased as r


async def ensure(conn: Connection) -> None:
    if not all([await conn.table_exists(t) for t in LEDGER_TABLES]):
        async with conn.serialized() as tx:
            for ddl in _DDL:
                await tx.execute(ddl)


async def forget_dropped_tables(conn: Connection) -> list[str]:
    """Forget the runs of tables that no longer exist; returns their names."""
    if not await conn.table_exists(RUNS):
        return []
    names = [str(r[0]) for r in await conn.fetch(f"SELECT DISTINCT table_name FROM {RUNS}")]
    gone = [t for t in names if not await conn.table_exists(t)]
    if gone:
        async with conn.serialized() as tx:
            for table in gone:
                await forget_table(tx, table)
    return gone


async def forget_table(tx: Tx, table: str) -> None:
    """Drop the ledger entries of `table` (after it was emptied): indices start at 0 again."""
    await tx.execute(
        f"DELETE FROM {BATCHES} WHERE run_id IN (SELECT run_id FROM {RUNS} WHERE table_name = ?)",
        table,
    )
    await tx.execute(
        f"DELETE FROM {PARTS} WHERE run_id IN (SELECT run_id FROM {RUNS} WHERE table_name = ?)",
        table,
    )
    await tx.execute(
        f"DELETE FROM {FILLS} WHERE run_id IN (SELECT run_id FROM {RUNS} WHERE table_name = ?)",
        table,
    )
    await tx.execute(f"DELETE FROM {RUNS} WHERE table_name = ?", table)


async def mark_filled(conn: Connection, run: Run) -> None:
    await conn.execute(f"INSERT INTO {FILLS} (run_id) VALUES (?)", run.run_id)


async def unfilled_runs(conn: Connection, tables: Sequence[str]) -> list[Run]:
    """Fully loaded runs of these tables with columns to fill after loading, not yet filled."""
    if not await conn.table_exists(FILLS):
        return []
    marks = ", ".join("?" for _ in tables)
    rows = await conn.fetch(
        f"SELECT {_R_RUN_COLUMNS} FROM {RUNS} r "
        f"WHERE r.table_name IN ({marks}) "
        f"AND NOT EXISTS (SELECT 1 FROM {FILLS} f WHERE f.run_id = r.run_id) "
        f"AND r.row_count <= (SELECT COALESCE(SUM(b.row_count), 0) FROM {BATCHES} b "
        "WHERE b.run_id = r.run_id) ORDER BY r.created_at, r.start_index",
        *tables,
    )
    return [run for run in map(_run, rows) if run.settings.get("deferred")]


async def next_index(tx: Tx, table: str) -> int:
    rows = await tx.fetch(
        f"SELECT COALESCE(MAX(start_index + row_count), 0) FROM {RUNS} WHERE table_name = ?", table
    )
    return int(rows[0][0])


async def table_mix(tx: Tx, table: str) -> int | None:
    """The key of the permutations `table`'s unique values come from (see `permute.py`),
    as its earliest run that has one was given: every run of a table must use the same
    one, or two runs' people could meet."""
    rows = await tx.fetch(f"SELECT settings FROM {RUNS} WHERE table_name = ? ORDER BY start_index", table)
    for (text,) in rows:
        mix = json.loads(text).get("mix")
        if mix is not None:
            return int(mix)
    return None


async def next_key(tx: Tx, table: str) -> int:
    """The highest generated key any run of `table` was given (0 if none)."""
    rows = await tx.fetch(
        f"SELECT COALESCE(MAX(id_offset + start_index + row_count), 0) FROM {RUNS} "
        "WHERE table_name = ?",
        table,
    )
    return int(rows[0][0])


async def new_run(
    tx: Tx, *, table: str, seed: int, count: int, shards: int, settings: dict[str, Any],
    run_id: str | None = None, max_id: int = 0,
) -> Run:
    """A run at the table's next index, its keys past `max_id` and every allocated key.
    Not recorded yet: `record_run` does that, once the run was found possible."""
    start = await next_index(tx, table)
    floor = max(max_id, await next_key(tx, table))
    return Run(
        run_id=run_id or str(uuid.uuid4()), table=table, seed=seed, start=start,
        count=count, shards=shards, id_offset=max(0, floor - start), settings=settings,
    )


async def find_run(
    tx: Tx, *, table: str, seed: int, count: int, shard: int, shards: int,
    run_id: str | None = None,
) -> Run | None:
    """The run this shard joins: the one named, or (sharded) the one of these settings that
    this shard left unfinished or has not joined yet."""
    if run_id is not None:
        found = await tx.fetch(f"SELECT {_RUN_COLUMNS} FROM {RUNS} WHERE run_id = ?", run_id)
    elif shards > 1 and (unfinished := await _unfinished_part(tx, table, seed, count, shard, shards)):
        # A shard started again after it failed (a job runner's retry) finishes its part.
        return unfinished
    elif shards > 1:
        found = await tx.fetch(
            f"SELECT {_RUN_COLUMNS} FROM {RUNS} r WHERE table_name = ? AND seed = ? "
            "AND row_count = ? AND shards = ? AND NOT EXISTS "
            f"(SELECT 1 FROM {PARTS} p WHERE p.run_id = r.run_id AND p.shard = ?) "
            "ORDER BY start_index DESC LIMIT 1",
            table, seed, count, shards, shard,
        )
    else:
        found = []
    return _run(found[0]) if found else None


async def record_run(tx: Tx, run: Run, shard: int, *, new: bool) -> None:
    """Write a new run (if `new`) and this shard's part of it."""
    if new:
        await tx.execute(
            f"INSERT INTO {RUNS} ({_RUN_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            run.run_id, run.table, run.seed, run.start, run.count, run.shards, run.id_offset,
            json.dumps(run.settings, sort_keys=True), dt.datetime.now(dt.UTC).isoformat(),
        )
    if not await tx.fetch(f"SELECT 1 FROM {PARTS} WHERE run_id = ? AND shard = ?", run.run_id, shard):
        await tx.execute(f"INSERT INTO {PARTS} (run_id, shard) VALUES (?, ?)", run.run_id, shard)


async def start_run(
    tx: Tx,
    *,
    table: str,
    seed: int,
    count: int,
    shard: int,
    shards: int,
    settings: dict[str, Any],
    run_id: str | None = None,
    max_id: int = 0,
) -> tuple[Run, bool]:
    """Create a run, or join the one this shard belongs to. Returns (run, joined).

    Shards never talk to each other; they meet in the ledger. Shard K joins the newest run
    of the same table, seed, count and shard total that K has not joined yet (or the run
    named by `run_id`); if there is none, it creates the run at the table's next index.
    """
    found = await find_run(
        tx, table=table, seed=seed, count=count, shard=shard, shards=shards, run_id=run_id
    )
    run = found or await new_run(
        tx, table=table, seed=seed, count=count, shards=shards, settings=settings,
        run_id=run_id, max_id=max_id,
    )
    await record_run(tx, run, shard, new=found is None)
    return run, found is not None


async def _unfinished_part(
    tx: Tx, table: str, seed: int, count: int, shard: int, shards: int
) -> Run | None:
    """The newest run of these settings that `shard` joined but did not finish, if any."""
    found = await tx.fetch(
        f"SELECT {_RUN_COLUMNS} FROM {RUNS} r WHERE table_name = ? AND seed = ? "
        "AND row_count = ? AND shards = ? AND EXISTS "
        f"(SELECT 1 FROM {PARTS} p WHERE p.run_id = r.run_id AND p.shard = ?) "
        "ORDER BY start_index DESC LIMIT 1",
        table, seed, count, shards, shard,
    )
    if not found:
        return None
    run = _run(found[0])
    owned = sum(hi - lo for lo, hi in owned_ranges(run.start, run.stop, shard, shards))
    # A batch never spans chunks, so its first index tells which shard loaded it.
    done = await tx.fetch(
        f"SELECT COALESCE(SUM(row_count), 0) FROM {BATCHES} WHERE run_id = ? "
        f"AND (first_index / {CHUNK_ROWS}) % ? = ?",
        run.run_id, shards, shard - 1,
    )
    return run if int(done[0][0]) < owned else None


def batch_record(run: Run, ranges: Sequence[tuple[int, int]]) -> list[Statement]:
    """The ledger rows committed together with a batch's rows."""
    return [
        (f"INSERT INTO {BATCHES} (run_id, first_index, row_count) VALUES (?, ?, ?)",
         (run.run_id, first, count))
        for first, count in ranges
    ]


async def completed(conn: Connection, run: Run) -> list[tuple[int, int]]:
    rows = await conn.fetch(
        f"SELECT first_index, row_count FROM {BATCHES} WHERE run_id = ? ORDER BY first_index",
        run.run_id,
    )
    return [(int(a), int(b)) for a, b in rows]


async def unfinished_runs(conn: Connection, tables: Sequence[str]) -> list[tuple[Run, int]]:
    """Runs of these tables with fewer committed rows than their target, newest last."""
    if not await conn.table_exists(RUNS):
        return []
    marks = ", ".join("?" for _ in tables)
    rows = await conn.fetch(
        f"SELECT {_R_RUN_COLUMNS}, "
        f"COALESCE((SELECT SUM(b.row_count) FROM {BATCHES} b WHERE b.run_id = r.run_id), 0) "
        f"FROM {RUNS} r WHERE r.table_name IN ({marks}) ORDER BY r.created_at, r.start_index",
        *tables,
    )
    return [(_run(r[:8]), int(r[8])) for r in rows if int(r[8]) < int(r[4])]


def owned_ranges(start: int, stop: int, shard: int, shards: int) -> Iterator[tuple[int, int]]:
    """Half-open index ranges of [start, stop) that shard `shard` (1-based) of `shards` owns.

    Ownership is by chunk of absolute row index, so it doesn't depend on batch size. One
    shard owns everything: one range, however many rows (a list of it stays small).
    """
    if shards == 1:
        if start < stop:
            yield start, stop
        return
    first_chunk, last_chunk = start // CHUNK_ROWS, (stop - 1) // CHUNK_ROWS
    for chunk in range(first_chunk, last_chunk + 1):
        if chunk % shards == shard - 1:
            yield max(start, chunk * CHUNK_ROWS), min(stop, (chunk + 1) * CHUNK_ROWS)
