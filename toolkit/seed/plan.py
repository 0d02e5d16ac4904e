"""What to seed, how many rows, and in which order: a pure function of the request and a
few facts about the database (row counts, free one-to-one parents).

- Parents come before children (a topological sort over foreign keys). A reference of a
  table to itself, or a nullable edge that breaks a cycle, is "deferred": loaded as NULL
  (or as the row itself) and filled by UPDATE once its parent table is loaded.
- A parent table that is empty and not asked for is seeded first, automatically.
- A one-to-one child needs a parent of its own per row: parents are added when too few
  are free.
- Link tables (many-to-many through tables) follow their owning model: `LINKS_PER_ROW`
  links per owning row, capped by the pairs that exist.
- A model with `per_parent` in seeds/ gets the sum of its parent rows' children.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from toolkit.errors import ConfigError, UsageError
from toolkit.seed.per_parent import PerParent
from toolkit.seed.per_parent import counts as children_counts
from toolkit.seed.table import Column, Table

LINKS_PER_ROW = 2
# Rows of an automatically seeded parent per child row: ten orders per customer.
CHILDREN_PER_PARENT = 10


@dataclass(frozen=True)
class PlannedTable:
    """One table of a plan, in load order."""

    model: str
    table: Table
    count: int
    reasons: tuple[str, ...] = ()  # why it is in the plan or has more rows than asked
    deferred: tuple[str, ...] = ()  # foreign-key columns filled after the loads
    requested: bool = True

    @property
    def auto(self) -> bool:
        return not self.requested


@dataclass(frozen=True)
class Facts:
    """What the planner needs to know about the database, read before anything is written."""

    rows: Mapping[str, int]  # by table name
    # Parents not yet used by a one-to-one column, by (child table, column name).
    free: Mapping[tuple[str, str], int] = field(default_factory=dict)


def pair_columns(table: Table) -> tuple[Column, Column] | None:
    """The two foreign keys that must be unique together (a link table), if any."""
    for group in table.unique_together:
        cols = [table.column(c) for c in group]
        if any(c.unique or c.primary_key for c in cols):
            continue
        fks = [c for c in cols if c.references is not None]
        if len(fks) >= 2:
            return fks[0], fks[1]
    return None


def _unique_fk(col: Column) -> bool:
    return col.references is not None and (col.one_to_one or col.unique)


def _parent_of(col: Column, by_table: Mapping[str, str]) -> str | None:
    assert col.references is not None
    return by_table.get(col.references[0])


# The largest key each integer kind can hold.
INT_MAX = {"smallint": 2**15 - 1, "int": 2**31 - 1, "bigint": 2**63 - 1}


def key_capacity(table: Table) -> int:
    """How many rows a table's generated integer key leaves room for (huge otherwise)."""
    pk = table.primary_key
    if pk is None or not pk.db_generated:
        return INT_MAX["bigint"]
    return INT_MAX.get(pk.kind, INT_MAX["bigint"])


def make_plan(
    tables: Mapping[str, Table],
    requested: Mapping[str, int],
    facts: Facts,
    per_parent: Mapping[str, PerParent] | None = None,
    seed: int = 0,
) -> list[PlannedTable]:
    """The tables to load, in order, with their counts. `tables` is in declaration order."""
    by_table = {t.name: name for name, t in tables.items()}
    counts: dict[str, int] = dict(requested)
    reasons: dict[str, list[str]] = {}
    # Links add rows to their owners' parents and parents may own links: until nothing moves.
    while True:
        linked = _add_links(tables, requested, counts, reasons)
        parented = _add_parents(tables, by_table, facts, counts, reasons)
        if not (linked or parented):
            break
    _cap_pairs(tables, by_table, facts, counts, reasons)
    for model, rule in (per_parent or {}).items():
        if model in counts:
            _count_per_parent(tables, by_table, facts, counts, reasons, model, rule, seed)
    order, deferred = _order(tables, counts, by_table)
    return [
        PlannedTable(
            model=m,
            table=tables[m],
            count=counts[m],
            reasons=tuple(reasons.get(m, ())),
            deferred=tuple(deferred.get(m, ())),
            requested=m in requested,
        )
        for m in order
    ]


def _count_per_parent(
    tables: Mapping[str, Table],
    by_table: Mapping[str, str],
    facts: Facts,
    counts: dict[str, int],
    reasons: dict[str, list[str]],
    model: str,
    rule: PerParent,
    seed: int,
) -> None:
    """`model`'s count from its parent's rows: the sum of every parent's children."""
    table = tables[model]
    col = next((c for c in table.columns if rule.column in (c.attr, c.name)), None)
    parent = _parent_of(col, by_table) if col is not None and col.references is not None else None
    if col is None or parent is None:
        fks = ", ".join(c.attr for c in table.columns if c.references is not None) or "none"
        raise ConfigError(
            f"seeds/ {model}: per_parent names {rule.column!r}, which is not a foreign key of "
            f"{model} (its foreign keys: {fks})"
        )
    parents = _rows(tables, facts, parent) + counts.get(parent, 0)
    if parents == 0:
        raise UsageError(f"{model}: {rule.describe(parent)} needs {parent} rows; seed {parent} first or with it")
    total = int(children_counts(seed, table.name, col.name, parents, rule).sum())
    if total == 0:
        del counts[model]
        return
    counts[model] = total
    reasons.setdefault(model, []).append(f"{rule.describe(parent)} ({parents} {parent} rows)")


def _rows(tables: Mapping[str, Table], facts: Facts, model: str) -> int:
    return facts.rows.get(tables[model].name, 0)


def _add_links(
    tables: Mapping[str, Table],
    requested: Mapping[str, int],
    counts: dict[str, int],
    reasons: dict[str, list[str]],
) -> bool:
    """Links for every counted owner of a link table not asked for; True if a count changed."""
    changed = False
    for name, t in tables.items():
        if not t.link_of or name in requested:
            continue
        owner = t.link_of.split(".", 1)[0]
        if owner in counts:
            links = LINKS_PER_ROW * counts[owner]
            if counts.get(name) != links:
                counts[name] = links
                reasons[name] = [f"links of {t.link_of}, about {LINKS_PER_ROW} per row"]
                changed = True
    return changed


def _add_parents(
    tables: Mapping[str, Table],
    by_table: Mapping[str, str],
    facts: Facts,
    counts: dict[str, int],
    reasons: dict[str, list[str]],
) -> bool:
    """Parent rows the counted tables need and don't have; True if a count changed."""
    changed = False
    for model in list(counts):
        table = tables[model]
        for col in table.foreign_keys:
            parent = _parent_of(col, by_table)
            if parent is None or parent == model:
                continue
            if _unique_fk(col):
                free = facts.free.get((table.name, col.name), _rows(tables, facts, parent))
                have = free + counts.get(parent, 0)
                if counts[model] > have:
                    more = counts[model] - have
                    counts[parent] = counts.get(parent, 0) + more
                    reasons.setdefault(parent, []).append(
                        f"+{more} so that each {model} row gets a {parent} of its own "
                        f"({free} free before this run)"
                    )
                    changed = True
            elif parent not in counts and _rows(tables, facts, parent) == 0:
                need = math.ceil(counts[model] / CHILDREN_PER_PARENT)
                pair = pair_columns(table)
                if pair is not None and col in pair:
                    # Enough parents on each side for the pairs to be unique.
                    need = max(need, math.isqrt(counts[model] - 1) + 1)
                counts[parent] = max(1, min(need, key_capacity(tables[parent])))
                reasons.setdefault(parent, []).append(
                    f"{tables[parent].name} is empty and {model} needs parent rows"
                )
                changed = True
    return changed


def _cap_pairs(
    tables: Mapping[str, Table],
    by_table: Mapping[str, str],
    facts: Facts,
    counts: dict[str, int],
    reasons: dict[str, list[str]],
) -> None:
    """Cap a table with unique pairs at the pairs left; drop it when none are."""
    for name in list(counts):
        pair = pair_columns(tables[name])
        if pair is None:
            continue
        a, b = (_parent_of(c, by_table) for c in pair)
        size_a = _rows(tables, facts, a) + counts.get(a, 0) if a else 0
        size_b = _rows(tables, facts, b) + counts.get(b, 0) if b else 0
        # A model's link to itself never pairs a row with itself.
        own = size_a if a is not None and a == b and pair[0].references == pair[1].references else 0
        capacity = max(size_a * size_b - own - _rows(tables, facts, name), 0)
        if counts[name] > capacity:
            reasons.setdefault(name, []).append(
                f"capped at {capacity}: that many ({pair[0].name}, {pair[1].name}) pairs are left"
            )
            counts[name] = capacity
        if counts[name] == 0:
            del counts[name]


def _order(
    tables: Mapping[str, Table], counts: Mapping[str, int], by_table: Mapping[str, str]
) -> tuple[list[str], dict[str, list[str]]]:
    """Kahn's sort in declaration order; a nullable edge on a cycle is deferred to break it."""
    nodes = [m for m in tables if m in counts]
    deps: dict[str, list[tuple[str, Column]]] = {m: [] for m in nodes}
    deferred: dict[str, list[str]] = {}
    for m in nodes:
        for col in tables[m].foreign_keys:
            parent = _parent_of(col, by_table)
            if parent == m:
                deferred.setdefault(m, []).append(col.name)
            elif parent is not None and parent in counts:
                deps[m].append((parent, col))

    def waiting(m: str, remaining: set[str]) -> list[tuple[str, Column]]:
        return [(p, c) for p, c in deps[m] if p in remaining and c.name not in deferred.get(m, [])]

    def reaches(src: str, dst: str, remaining: set[str]) -> bool:
        seen, stack = set(), [src]
        while stack:
            node = stack.pop()
            if node == dst:
                return True
            if node in seen:
                continue
            seen.add(node)
            stack += [p for p, _ in waiting(node, remaining)]
        return False

    order: list[str] = []
    remaining = set(nodes)
    while remaining:
        ready = [m for m in nodes if m in remaining and not waiting(m, remaining)]
        if ready:
            order.append(ready[0])
            remaining.discard(ready[0])
            continue
        cut = next(
            (
                (m, c)
                for m in nodes
                if m in remaining
                for p, c in waiting(m, remaining)
                if c.nullable and reaches(p, m, remaining)
            ),
            None,
        )
        if cut is None:
            cycle = ", ".join(m for m in nodes if m in remaining)
            raise UsageError(
                f"the foreign keys of {cycle} form a cycle with no nullable column, so no "
                "order can load them; make one of them null=True, or seed them from seeds/ overrides"
            )
        deferred.setdefault(cut[0], []).append(cut[1].name)
    return order, deferred

