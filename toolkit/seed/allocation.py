"""The ledger runs a seed loads: new or joined ones for a plan, or the unfinished ones that
--resume finishes. A job is (model, run, resumed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from toolkit.backends.base import Backend, Connection, quote_ident
from toolkit.errors import UsageError
from toolkit.seed import anchor, ledger
from toolkit.seed.capacity import check_capacity
from toolkit.seed.definitions import SeedDefinition
from toolkit.seed.facts import max_id
from toolkit.seed.plan import PlannedTable
from toolkit.seed.preflight import refuse_excess_concurrency
from toolkit.seed.request import SeedRequest
from toolkit.seed.rows import mix_of
from toolkit.seed.table import Table

Job = tuple[str, ledger.Run, bool]


async def allocate(
    conn: Connection,
    backend: Backend,
    plan: Sequence[PlannedTable],
    request: SeedRequest,
    seed_value: int,
    emptied: set[str],
    definitions: Mapping[str, SeedDefinition],
) -> list[Job]:
    """New (or joined) ledger runs for the plan, emptying tables first with --truncate."""
    shard, shards = request.shard
    jobs = []
    now = (request.now or anchor.today()).isoformat()
    await refuse_excess_concurrency(conn, backend, request.concurrency)
    async with conn.serialized() as tx:
        for p in reversed(plan):  # children first, so no row outlives its parent
            if p.table.name in emptied:
                await backend.empty_table(tx, p.table.name)
                await ledger.forget_table(tx, p.table.name)
        for p in plan:
            definition = definitions.get(p.model)
            settings = {
                "locale": request.locale,
                "batch_size": request.batch_size or backend.default_batch_size,
                "model": p.model,
                "deferred": list(p.deferred),
                "now": now,
                "mix": await ledger.table_mix(tx, p.table.name) or mix_of(seed_value, p.table.name),
            }
            found = await ledger.find_run(
                tx, table=p.table.name, seed=seed_value, count=p.count, shard=shard,
                shards=shards, run_id=request.run_id,
            )
            run = found or await ledger.new_run(
                tx, table=p.table.name, seed=seed_value, count=p.count, shards=shards,
                settings=settings, run_id=request.run_id,
                max_id=await max_id(tx, backend, p.table),  # type: ignore[arg-type]
            )
            # Refused before the run is written: a run no --resume could finish.
            check_capacity(p, run, set(definition.fields) if definition else set())
            await ledger.record_run(tx, run, shard, new=found is None)
            joined = found is not None
            pk = p.table.primary_key
            if pk is not None and pk.db_generated:
                # Reserve the run's explicit keys now: rows the application inserts while
                # the seed runs then get keys past them.
                for sql in backend.sync_sequence_sql(p.table.name, pk.name, run.id_offset + run.stop):
                    await tx.execute(sql)
            jobs.append((p.model, run, joined))
    # Where the ledger's transaction couldn't reserve the runs' explicit keys (MySQL).
    for p, (_, run, _) in zip(plan, jobs):
        pk = p.table.primary_key
        if pk is not None and pk.db_generated:
            await conn.reserve_keys(p.table.name, pk.name, run.id_offset + run.stop)
    return jobs


def _wanted(tables: Mapping[str, Table], request: SeedRequest) -> list[str]:
    """The tables --resume looks at: those of the models named, else all."""
    return [tables[m].name for m in request.counts] or list(dict.fromkeys(t.name for t in tables.values()))


async def resumable(
    conn: Connection, tables: Mapping[str, Table], request: SeedRequest
) -> list[Job]:
    """Unfinished runs of the chosen tables (all, by default), in the order they began."""
    by_table = {t.name: name for name, t in tables.items()}
    unfinished = [
        run for run, _ in await ledger.unfinished_runs(conn, _wanted(tables, request))
        if request.run_id is None or run.run_id == request.run_id
    ]
    other = sorted({run.shards for run in unfinished if run.shards != request.shard[1]})
    if other and not any(run.shards == request.shard[1] for run in unfinished):
        raise UsageError(
            f"the unfinished seed runs here are sharded ({', '.join(f'N={n}' for n in other)}); "
            f"finish each shard with `toolkit seed --resume --shard K/N`"
        )
    jobs = [(by_table[run.table], run, True) for run in unfinished if run.shards == request.shard[1]]
    for model, run, _ in jobs:
        await _refuse_taken_keys(conn, model, tables[model], run)
    return jobs


async def _refuse_taken_keys(conn: Connection, model: str, table: Table, run: ledger.Run) -> None:
    """A run whose unloaded keys other rows already hold would fail on every --resume
    (a ledger of a toolkit that didn't allocate keys past other runs): say so instead."""
    pk = table.primary_key
    if pk is None or not pk.db_generated:
        return
    low, high = run.id_offset + run.start + 1, run.id_offset + run.stop
    held = await conn.fetch(
        f"SELECT COUNT(*) FROM {quote_ident(table.name)} "
        f"WHERE {quote_ident(pk.name)} BETWEEN ? AND ?",
        low, high,
    )
    loaded = sum(count for _, count in await ledger.completed(conn, run))
    foreign = int(held[0][0]) - loaded
    if foreign > 0:
        raise UsageError(
            f"seed run {run.run_id} of {table.name} can't be resumed: {foreign:,} rows it "
            f"didn't write already hold keys in its range {low:,}..{high:,}; "
            f"give up on it with `toolkit seed --truncate --model {model} --count N` "
            f"(empties {table.name}) or delete it from {ledger.RUNS}"
        )


async def unfilled(
    conn: Connection, tables: Mapping[str, Table], request: SeedRequest
) -> list[tuple[str, ledger.Run]]:
    """Loaded runs of the chosen tables whose deferred columns were never filled."""
    by_table = {t.name: name for name, t in tables.items()}
    return [(by_table[run.table], run) for run in await ledger.unfilled_runs(conn, _wanted(tables, request))]
