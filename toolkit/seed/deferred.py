"""Deferred references: loaded as NULL (or as the row itself), set by UPDATE once the
parent rows exist (a table's reference to itself, a nullable edge that breaks a cycle)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from toolkit.backends.base import Backend, Connection
from toolkit.seed import ledger, relations
from toolkit.seed.column_plans import overrides
from toolkit.seed.definitions import SeedDefinition
from toolkit.seed.inference import default_plans
from toolkit.seed.pools import Pools
from toolkit.seed.request import SeedRequest
from toolkit.seed.rows import RowMaker
from toolkit.seed.table import Column, Table

FILL_BATCH = 10_000


async def fill_runs(
    conn: Connection,
    backend: Backend,
    keys: relations.KeySource,
    tables: Mapping[str, Table],
    definitions: Mapping[str, SeedDefinition],
    runs: Sequence[tuple[str, ledger.Run]],
    request: SeedRequest,
) -> None:
    """Fill the deferred columns of loaded `runs` (model, run), marking each run filled."""
    for model, run in runs:
        if run.settings.get("deferred"):
            await _fill(conn, backend, keys, tables[model], definitions.get(model), run, request)
            await ledger.mark_filled(conn, run)


def _run_keys(
    table: Table, definition: SeedDefinition | None, run: ledger.Run, request: SeedRequest
) -> Iterator[list[Any]]:
    """The primary keys of the rows this run (this shard) loads, made again from the seed,
    FILL_BATCH at a time: a run of any size is filled in bounded memory."""
    pk = table.primary_key
    assert pk is not None
    shard, shards = request.shard
    ranges = ledger.owned_ranges(run.start, run.stop, shard, shards)
    maker = None
    if not (pk.db_generated and pk.kind in ("int", "bigint", "smallint")):
        pools = Pools(run.settings.get("locale", request.locale))
        plan = next(p for p in default_plans(table, overrides(table, definition, pools)) if p.column is pk)
        maker = RowMaker(table, [plan], pools, run.seed)

    def make(lo: int, hi: int) -> Iterable[Any]:
        if maker is None:
            return range(lo + run.id_offset + 1, hi + run.id_offset + 1)
        return (row[0] for row in maker.rows(lo, hi))

    chunk: list[Any] = []
    for lo, hi in ranges:
        cur = lo
        while cur < hi:
            upto = min(hi, cur + FILL_BATCH - len(chunk))
            chunk.extend(make(cur, upto))
            cur = upto
            if len(chunk) == FILL_BATCH:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


async def _fill(
    conn: Connection,
    backend: Backend,
    keys: relations.KeySource,
    table: Table,
    definition: SeedDefinition | None,
    run: ledger.Run,
    request: SeedRequest,
) -> None:
    """Set the references loaded as NULL (or as the row itself), now that parents exist."""
    deferred = run.settings.get("deferred") or ()
    pk = table.primary_key
    if not deferred or pk is None:
        return
    given = overrides(table, definition, Pools(request.locale)) if definition else {}
    for name in deferred:
        col = table.column(name)
        if col.attr in given or col.name in given:
            continue  # the seeds/ override's values were loaded: keep them
        assert col.references is not None
        chunks = _run_keys(table, definition, run, request)
        if col.one_to_one or col.unique:
            # Each free parent once over the whole run: `fill_unique` needs all its keys.
            run_keys = [k for chunk in chunks for k in chunk]
            pairs = await _unique_values(conn, backend, keys, table, col, run_keys, run.seed)
            await _update(conn, backend, table, col, pairs)
            continue
        parents = await keys.keys(*col.references)
        self_reference = col.references[0] == table.name
        for i, chunk in enumerate(chunks):
            # A stream of its own per chunk (the first keeps the table's), else every
            # chunk would repeat the first one's choices.
            stream = table.name if i == 0 else f"{table.name}#{i}"
            pairs = relations.fill_values(chunk, parents, col, self_reference, run.seed, stream)
            await _update(conn, backend, table, col, pairs)


async def _unique_values(
    conn: Connection,
    backend: Backend,
    keys: relations.KeySource,
    table: Table,
    col: Column,
    run_keys: list[Any],
    seed: int,
) -> list[tuple[Any, Any]]:
    """(value, key) of every row of the run for a one-to-one column: unique parents."""
    assert col.references is not None
    self_reference = col.references[0] == table.name
    if not col.nullable:
        return []  # each row points at itself, which is unique already
    # The run's own rows let go of their parents first (a fill that stopped half-way).
    await _update(conn, backend, table, col, [(None, k) for k in run_keys])
    free = await keys.free(*col.references, table.name, col.name)
    return relations.fill_unique(run_keys, free, col, self_reference, seed, table.name)


async def _update(
    conn: Connection, backend: Backend, table: Table, col: Column, pairs: list[tuple[Any, Any]]
) -> None:
    pk = table.primary_key
    assert pk is not None
    q = backend.quote
    sql = f"UPDATE {q(table.name)} SET {q(col.name)} = ? WHERE {q(pk.name)} = ?"
    for i in range(0, len(pairs), FILL_BATCH):
        await conn.execute_many(sql, pairs[i : i + FILL_BATCH])
