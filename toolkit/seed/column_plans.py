"""The column plans of one run: overrides from seeds/, explicit keys, and foreign keys chosen
from the parent rows as they are in the database, over the inferred plans."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from toolkit.errors import NotMigrated, ToolkitError, UsageError
from toolkit.seed import per_parent, relations
from toolkit.seed.definitions import SeedDefinition, to_generator
from toolkit.seed.generators import Ctx, Gen
from toolkit.seed.inference import default_plans
from toolkit.seed.ledger import Run
from toolkit.seed.plan import pair_columns
from toolkit.seed.pools import Pools
from toolkit.seed.rows import ColumnPlan
from toolkit.seed.table import Column, Table


def _serial_ids(offset: int) -> Callable[[Ctx], list[Any]]:
    def gen(ctx: Ctx) -> list[Any]:
        return (ctx.index + (offset + 1)).tolist()  # type: ignore[no-any-return]

    return gen


def overrides(table: Table, definition: SeedDefinition | None, pools: Pools) -> dict[str, Any]:
    """The generators a seeds/ definition gives `table`'s fields, by attribute or column name."""
    found: dict[str, Any] = {}
    if definition is None:
        return found
    known = {c.attr for c in table.columns} | {c.name for c in table.columns}
    for name, value in definition.fields.items():
        if name not in known:
            raise UsageError(
                f"seeds/ definition for {table.model} sets unknown field {name!r}; "
                f"fields: {', '.join(sorted(c.attr for c in table.columns))}"
            )
        found[name] = to_generator(value, lambda p: callable(getattr(pools.faker, p, None)))
    return found


async def plan_table(
    table: Table,
    definition: SeedDefinition | None,
    pools: Pools,
    keys: relations.KeySource,
    run: Run,
    todo: Iterable[tuple[int, int]],
    deferred: Sequence[str] = (),
) -> list[ColumnPlan]:
    """Column plans for `table`: serial keys, foreign keys, overrides, then inference.

    `todo` holds the index ranges this run still loads: unique parents and pairs are
    handed out to exactly those rows.
    """
    given = overrides(table, definition, pools)
    plans: list[ColumnPlan] = []
    pk = table.primary_key
    if pk is not None and pk.db_generated and pk.kind in ("int", "bigint", "smallint"):
        # Explicit keys make rows identical whatever the concurrency or sharding.
        plans.append(ColumnPlan(pk, _serial_ids(run.id_offset), convert=False))
    rank = relations.Ranker(todo)
    pairs = await _pair_generators(table, given, keys, rank, run.seed)
    rule = per_parent.parse(table.model, definition.per_parent) if definition else None
    for plan in default_plans(table, given):
        col = plan.column
        if col.references is None or col.attr in given or col.name in given:
            plans.append(plan)
        elif col.name in deferred:
            gen = relations.nulls if col.nullable else relations.self_at_first(pk)  # type: ignore[arg-type]
            plans.append(ColumnPlan(col, gen, convert=False))
        elif col.name in pairs:
            plans.append(ColumnPlan(col, pairs[col.name]))
        elif rule is not None and rule.column in (col.attr, col.name) and not (col.one_to_one or col.unique):
            assert col.references is not None
            parents = await keys.keys(*col.references)
            per = per_parent.counts(run.seed, table.name, col.name, len(parents), rule)
            plans.append(ColumnPlan(col, per_parent.children(parents, per, run.start)))
        else:
            plans.append(await _reference_plan(table, col, keys, rank, run.seed))
    return plans


async def _pair_generators(
    table: Table, given: dict[str, Any], keys: relations.KeySource, rank: relations.Ranker, seed: int
) -> dict[str, Gen]:
    """The generators of the two columns unique together, by column name; {} if none."""
    pair = pair_columns(table)
    if pair is None or any(c.attr in given or c.name in given for c in pair):
        return {}
    (ta, ka), (tb, kb) = (c.references for c in pair)  # type: ignore[misc]
    slots = relations.PairSlots(
        await keys.keys(ta, ka), await keys.keys(tb, kb),
        await keys.pairs(table.name, pair[0].name, pair[1].name),
        rank, seed, table.name, distinct=(ta, ka) == (tb, kb),
    )
    return {pair[0].name: slots.first, pair[1].name: slots.second}


async def _reference_plan(
    table: Table, col: Column, keys: relations.KeySource, rank: relations.Ranker, seed: int
) -> ColumnPlan:
    """A foreign key's plan: a parent of its own per row if unique, else any parent."""
    assert col.references is not None
    parent, parent_key = col.references
    if col.one_to_one or col.unique:
        free = await keys.free(parent, parent_key, table.name, col.name)
        if len(free) < rank.total:
            raise ToolkitError(
                f"{table.model}.{col.attr} needs {rank.total} unused rows in {parent}, but "
                f"only {len(free)} are free; seed more {parent} rows first"
            )
        return ColumnPlan(col, relations.one_each(free, rank, seed, table.name, col.name))
    parents = await keys.keys(parent, parent_key)
    if len(parents) == 0:
        if not col.nullable:
            raise NotMigrated(
                f"{table.model}.{col.attr} needs rows in {parent}, which is "
                f"empty; seed it first (toolkit seed --model ...)"
            )
        return ColumnPlan(col, relations.nulls, convert=False)
    return ColumnPlan(col, relations.sampled(parents, seed, table.name, col.name))
