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
from toolkit.seed.table import Table

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
    run_keys = _run_keys(table, definition, run, request)
    q = backend.quote
    for name in deferred:
        col = table.column(name)
        assert col.references is not None
        parents = await keys.keys(*col.references)
        pairs = relations.fill_values(
            run_keys, parents, col, col.references[0] == table.name, run.seed, table.name
        )
        sql = f"UPDATE {q(table.name)} SET {q(col.name)} = ? WHERE {q(pk.name)} = ?"
        for i in range(0, len(pairs), FILL_BATCH):
            await conn.execute_many(sql, pairs[i : i + FILL_BATCH])
