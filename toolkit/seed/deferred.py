"""Deferred references: loaded as NULL (or as the row itself), set by UPDATE once the
parent rows exist (a table's reference to itself, a nullable edge that breaks a cycle)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
) -> list[Any]:
    """The primary keys of the rows this run (this shard) loads, made again from the seed."""
    pk = table.primary_key
    assert pk is not None
    shard, shards = request.shard
    ranges = list(ledger.owned_ranges(run.start, run.stop, shard, shards))
    if pk.db_generated and pk.kind in ("int", "bigint", "smallint"):
        return [i + run.id_offset + 1 for lo, hi in ranges for i in range(lo, hi)]
    pools = Pools(run.settings.get("locale", request.locale))
    plan = next(p for p in default_plans(table, overrides(table, definition, pools)) if p.column is pk)
    maker = RowMaker(table, [plan], pools, run.seed)
    return [row[0] for lo, hi in ranges for row in maker.rows(lo, hi)]


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
    run_keys = _run_keys(table, definition, run, request)
    for name in deferred:
        col = table.column(name)
        if col.attr in given or col.name in given:
            continue  # the seeds/ override's values were loaded: keep them
        assert col.references is not None
        pairs = await _values(conn, backend, keys, table, col, run_keys, run.seed)
        await _update(conn, backend, table, col, pairs)


async def _values(
    conn: Connection,
    backend: Backend,
    keys: relations.KeySource,
    table: Table,
    col: Column,
    run_keys: list[Any],
    seed: int,
) -> list[tuple[Any, Any]]:
    """(value, key) of every row of the run: unique parents for a one-to-one column."""
    assert col.references is not None
    self_reference = col.references[0] == table.name
    if not (col.one_to_one or col.unique):
        parents = await keys.keys(*col.references)
        return relations.fill_values(run_keys, parents, col, self_reference, seed, table.name)
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
