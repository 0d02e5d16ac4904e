"""A dry run: sample rows of every planned table, made as the real run would make them,
with the keys the plan's earlier tables would load. Writes nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from toolkit.backends.base import Backend, Connection
from toolkit.seed import anchor, ledger, relations
from toolkit.seed.capacity import check_capacity
from toolkit.seed.column_plans import plan_table
from toolkit.seed.definitions import SeedDefinition
from toolkit.seed.facts import max_id
from toolkit.seed.plan import PlannedTable
from toolkit.seed.pools import Pools
from toolkit.seed.report import SeedReport
from toolkit.seed.request import SeedRequest
from toolkit.seed.rows import RowMaker
from toolkit.seed.table import Table

# Children sample from this many of a planned parent's keys; a prefix is enough to show
# realistic rows.
PREDICTED_KEYS = 20_000


class PredictedKeys(relations.KeySource):
    """Keys as they will be once the plan's earlier tables are loaded: for dry runs."""

    def __init__(self, conn: Connection, backend: Backend, emptied: set[str]) -> None:
        super().__init__(conn, backend)
        # table -> column -> values the plan will load (a key may be any unique column: to_field)
        self.new: dict[str, dict[str, list[Any]]] = {}
        self.emptied = emptied  # tables --truncate empties first: their rows are no keys

    async def keys(self, table: str, column: str) -> np.ndarray:
        existing = [] if table in self.emptied else (await super().keys(table, column)).tolist()
        return relations.key_array([*existing, *self.new.get(table, {}).get(column, [])])

    async def free(self, parent: str, parent_key: str, child: str, column: str) -> np.ndarray:
        existing = [] if parent in self.emptied else (await super().free(parent, parent_key, child, column)).tolist()
        return relations.key_array([*existing, *self.new.get(parent, {}).get(parent_key, [])])


def emptied_by_truncate(plan: Sequence[PlannedTable]) -> set[str]:
    """The tables `seed --truncate` empties: the requested ones and their link tables (the
    plan's others are only seeded because a requested table points at them)."""
    asked = {p.model for p in plan if not p.auto and p.table.link_of is None}
    return {
        p.table.name for p in plan
        if (not p.auto and p.table.link_of is None) or (p.table.link_of and p.table.link_of.split(".", 1)[0] in asked)
    }


def _is_key(table: Table, column: str) -> bool:
    """Whether a foreign key can point at `column`: the primary key or a unique column."""
    return any(c.name == column and (c.primary_key or c.unique) for c in table.columns)


def jsonable(value: Any) -> Any:
    """A value as it would print in JSON output (dry runs, samples)."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID, dt.timedelta)):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


async def dry_run(
    conn: Connection,
    backend: Backend,
    plan: Sequence[PlannedTable],
    definitions: Mapping[str, SeedDefinition],
    request: SeedRequest,
    seed_value: int,
    report: SeedReport,
) -> None:
    """Put sample rows of every planned table in `report.samples`."""
    emptied = emptied_by_truncate(plan) if request.truncate else set()
    keys = PredictedKeys(conn, backend, emptied)
    has_ledger = await conn.table_exists(ledger.RUNS)
    pools = Pools(request.locale)
    for p in plan:
        t = p.table
        highest = await max_id(conn, backend, t)
        if t.name in emptied:  # emptied, its keys restart and the ledger forgets it
            run = ledger.Run("dry-run", t.name, seed_value, 0, p.count, 1, 0, {})
        elif has_ledger:  # where the real run would start: past every run's keys, too
            run = await ledger.new_run(
                conn, table=t.name, seed=seed_value, count=p.count, shards=1,  # type: ignore[arg-type]
                settings={}, run_id="dry-run", max_id=highest,
            )
        else:
            run = ledger.Run("dry-run", t.name, seed_value, 0, p.count, 1, highest, {})
        start = run.start
        definition = definitions.get(p.model)
        check_capacity(p, run, set(definition.fields) if definition else set())
        plans = await plan_table(
            t, definitions.get(p.model), pools, keys, run, [(start, start + p.count)], p.deferred
        )
        # The anchor and permutation key the real run would get: the same sample rows.
        mix = await ledger.table_mix(conn, t.name) if has_ledger and t.name not in emptied else None  # type: ignore[arg-type]
        maker = RowMaker(t, plans, pools, seed_value, request.now or anchor.today(), mix)
        rows = maker.rows(start, start + min(request.samples, p.count))
        report.samples[p.model] = [
            {c: jsonable(v) for c, v in zip(maker.columns, r)} for r in rows
        ]
        made = maker.rows(start, start + min(p.count, PREDICTED_KEYS))
        keys.new[t.name] = {
            c: [r[i] for r in made] for i, c in enumerate(maker.columns) if _is_key(t, c)
        }
