"""Model factories over the seed generator, as Laravel factories / factory_boy users expect.

    user = await factory("User", seed=1).state("admin").create(email=lambda i: f"u{i}@x.io")
    orders = await factory("Order").for_(user).create_batch(3)
    await factory("Customer").has("Order", 2).create()

Values come from the same inference and seeds/ definitions as `toolkit seed`; the factory
adds per-call overrides, sequences (a callable receiving the row index), states (the
`STATES = {"admin": {...}}` dict of the model's seeds file) and relations. Rows are saved
through the ORM's `create`, one per row, because that is the one path that hands keys back
on SQLite, PostgreSQL and MySQL alike (bulk_create returns no ids on Tortoise 1.x); a
handful of rows costs milliseconds. Everything runs on Tortoise's current connection, so
inside `in_transaction()` (or the plugin's isolation fixture) the rows are the
transaction's.

Plain async: call it inside an initialised Tortoise.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tortoise.models import Model

from toolkit.errors import UsageError
from toolkit.seed.column_plans import overrides as definition_overrides
from toolkit.seed.definitions import SeedDefinition, load_definitions
from toolkit.seed.inference import default_plans
from toolkit.seed.pools import Pools
from toolkit.seed.report import SeedReport, TableReport
from toolkit.seed.rows import ColumnPlan, RowMaker
from toolkit.seed.table import Column, Table, all_tables

# The seeder makes rows in chunks of 4096; a factory making 3 rows should not pay for 4096,
# so it generates its own, smaller chunks (same generators, same per-row determinism).
FACTORY_CHUNK = 32
# Unseeded factories share one counter per table, started far above the indices `toolkit
# seed` uses, so their unique values never repeat within a process or meet seeded rows.
UNSEEDED_BASE = 1_000_000
_unseeded_counters: dict[str, itertools.count[int]] = {}
_unseeded_seed = int.from_bytes(os.urandom(4), "little")
# Pools are Faker-built and cost ~ms each: one set per locale for the whole process.
_pools: dict[str, Pools] = {}
_definitions: dict[Path, tuple[dict[str, SeedDefinition], dict[str, dict[str, dict[str, Any]]]]] = {}


def _pool(locale: str) -> Pools:
    if locale not in _pools:
        _pools[locale] = Pools(locale)
    return _pools[locale]


def _all_models() -> dict[str, type[Model]]:
    from tortoise import Tortoise

    found: dict[str, type[Model]] = {}
    for app in Tortoise.apps.values():
        for name, model in app.items():
            found.setdefault(name, model)
    return found


def _model_class(model: str | type[Model]) -> type[Model]:
    if isinstance(model, type) and issubclass(model, Model):
        return model
    models = _all_models()
    if model not in models:
        raise UsageError(f"unknown model {model!r}; models: {', '.join(sorted(models))}")
    return models[model]


def load_states(seeds_dir: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """`STATES` of every seeds/ file, by model: `{"User": {"admin": {"is_admin": True}}}`.

    A file names its model through its SEED/SEEDS definitions; `STATES` may also be keyed by
    model name first (`STATES = {"User": {"admin": {...}}}`) where a file holds several.
    """
    from toolkit.seed.definitions import _import  # the same loader; files import once

    states: dict[str, dict[str, dict[str, Any]]] = {}
    if not seeds_dir.is_dir():
        return states
    for path in sorted(seeds_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = _import(path)
        raw = getattr(module, "STATES", None)
        if not isinstance(raw, Mapping):
            continue
        items = list(getattr(module, "SEEDS", [])) + ([module.SEED] if hasattr(module, "SEED") else [])
        models = [d.model for d in items if isinstance(d, SeedDefinition)]
        if len(models) == 1 and all(isinstance(v, Mapping) and not _is_models_map(v) for v in raw.values()):
            states.setdefault(models[0], {}).update({k: dict(v) for k, v in raw.items()})
        else:
            for model, traits in raw.items():
                states.setdefault(str(model), {}).update({k: dict(v) for k, v in traits.items()})
    return states


def _is_models_map(value: Mapping[str, Any]) -> bool:
    # A models-first map holds dicts of dicts; a trait holds field values.
    return bool(value) and all(isinstance(v, Mapping) for v in value.values())


def _seeds(seeds_dir: Path) -> tuple[dict[str, SeedDefinition], dict[str, dict[str, dict[str, Any]]]]:
    key = seeds_dir.resolve()
    if key not in _definitions:
        _definitions[key] = (load_definitions(key), load_states(key))
    return _definitions[key]


@dataclass(frozen=True)
class _Child:
    model: str | type[Model]
    count: int
    overrides: Mapping[str, Any]


class Factory:
    """Makes rows of one model; `for_`, `has` and `state` return a new, adjusted factory."""

    def __init__(
        self,
        model: type[Model],
        *,
        seed: int | None = None,
        seeds_dir: Path = Path("seeds"),
        locale: str = "en_US",
    ) -> None:
        self.model = model
        self.seed = seed
        self.seeds_dir = seeds_dir
        self.locale = locale
        self.table: Table = all_tables([model])[model.__name__]
        self._parents: dict[str, Model] = {}
        self._children: list[_Child] = []
        self._traits: dict[str, Any] = {}
        self._next = 0  # a seeded factory counts its own rows: same seed, same rows
        self._maker: _SmallChunks | None = None

    def _copy(self) -> Factory:
        clone = Factory(self.model, seed=self.seed, seeds_dir=self.seeds_dir, locale=self.locale)
        clone._parents = dict(self._parents)
        clone._children = list(self._children)
        clone._traits = dict(self._traits)
        return clone

    def for_(self, parent: Model) -> Factory:
        """Rows pointing at `parent` through the (first) foreign key to its table."""
        column = next(
            (c for c in self.table.foreign_keys if c.references and c.references[0] == parent._meta.db_table),
            None,
        )
        if column is None:
            raise UsageError(f"{self.table.model} has no foreign key to {type(parent).__name__}")
        clone = self._copy()
        clone._parents[column.name] = parent
        return clone

    def has(self, child: str | type[Model], count: int = 1, **overrides: Any) -> Factory:
        """After each row, `count` rows of `child` pointing at it."""
        clone = self._copy()
        clone._children.append(_Child(child, count, overrides))
        return clone

    def state(self, name: str) -> Factory:
        """Apply the trait `name` from the model's seeds/ `STATES`."""
        traits = _seeds(self.seeds_dir)[1].get(self.table.model, {})
        if name not in traits:
            known = ", ".join(sorted(traits)) or "none"
            raise UsageError(f"{self.table.model} has no state {name!r} in seeds/ (states: {known})")
        clone = self._copy()
        clone._traits.update(traits[name])
        return clone

    def _row_maker(self) -> _SmallChunks:
        # Foreign keys are chosen here (parents, for_, overrides), not by the generator.
        if self._maker is None:
            pools = _pool(self.locale)
            definition = _seeds(self.seeds_dir)[0].get(self.table.model)
            given = definition_overrides(self.table, definition, pools)
            plans = [p for p in default_plans(self.table, given) if p.column.references is None]
            seed = self._seed()
            self._maker = _SmallChunks(self.table, plans, pools, seed)
        return self._maker

    def _seed(self) -> int:
        return _unseeded_seed if self.seed is None else self.seed

    def _indices(self, n: int) -> list[int]:
        if self.seed is not None:
            start, self._next = self._next, self._next + n
            return list(range(start, start + n))
        counter = _unseeded_counters.setdefault(self.table.name, itertools.count(UNSEEDED_BASE))
        return [next(counter) for _ in range(n)]

    def _values(self, index: int, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """Constructor keywords for row `index`: generated, then traits, then overrides."""
        maker = self._row_maker()
        row = maker.row(index)
        meta = self.model._meta
        values: dict[str, Any] = {}
        for plan, value in zip(maker.plans, row):
            field = meta.fields_map[plan.column.attr]
            values[plan.column.attr] = field.to_python_value(value)
        # A sequence counts from 0: per factory when seeded, per process and table when not.
        position = index if self.seed is not None else index - UNSEEDED_BASE
        for name, value in {**self._traits, **overrides}.items():
            is_sequence = callable(value) and not isinstance(value, Model)
            values[self._keyword(name)] = value(position) if is_sequence else value
        return values

    def _keyword(self, name: str) -> str:
        meta = self.model._meta
        if name in meta.fields_map or name in meta.fk_fields or name in meta.o2o_fields:
            return name
        try:
            return self.table.column(name).attr
        except KeyError:
            raise UsageError(
                f"{self.table.model} has no field {name!r}; fields: {', '.join(sorted(meta.db_fields))}"
            ) from None

    async def _relations(self, values: dict[str, Any], n: int) -> list[dict[str, Any]]:
        """Per-row foreign key keywords for the keys not given: for_ parents, else new ones."""
        rows: list[dict[str, Any]] = [{} for _ in range(n)]
        meta = self.model._meta
        for col in self.table.foreign_keys:
            relation = col.attr
            source = meta.fields_map[relation].source_field if relation in meta.fields_map else col.name
            if relation in values or source in values or col.name in values:
                continue
            if col.name in self._parents:
                for r in rows:
                    r[relation] = self._parents[col.name]
            elif not col.nullable:
                await self._new_parents(col, relation, rows)
        return rows

    async def _new_parents(self, col: Column, relation: str, rows: list[dict[str, Any]]) -> None:
        # A required parent nobody gave: made by its own factory, one per row when the key
        # is unique (one-to-one), else one shared by the batch.
        field: Any = self.model._meta.fields_map[relation]
        parent_model: type[Model] = field.related_model
        if parent_model is self.model:
            raise UsageError(f"{self.table.model}.{relation} points at its own table; pass {relation}=...")
        maker = Factory(parent_model, seed=self.seed, seeds_dir=self.seeds_dir, locale=self.locale)
        if col.unique or col.one_to_one:
            for r, parent in zip(rows, await maker.create_batch(len(rows))):
                r[relation] = parent
        else:
            parent = await maker.create()
            for r in rows:
                r[relation] = parent

    def build(self, **overrides: Any) -> Model:
        """An unsaved instance (foreign keys only from `for_` and the overrides)."""
        values = self._values(self._indices(1)[0], overrides)
        for name, parent in self._parents.items():
            values.setdefault(self.table.column(name).attr, parent)
        return self.model(**values)

    async def create(self, **overrides: Any) -> Model:
        return (await self.create_batch(1, **overrides))[0]

    async def create_batch(self, n: int, **overrides: Any) -> list[Model]:
        """`n` saved rows, keys set, with their `has` children made after each."""
        if n < 0:
            raise UsageError(f"create_batch needs a count >= 0, got {n}")
        indices = self._indices(n)
        rows = [self._values(i, overrides) for i in indices]
        relations = await self._relations({**self._traits, **overrides}, n)
        made = [await self.model.create(**{**row, **rel}) for row, rel in zip(rows, relations)]
        for child in self._children:
            for parent in made:
                kid = Factory(_model_class(child.model), seed=self.seed, seeds_dir=self.seeds_dir, locale=self.locale)
                await kid.for_(parent).create_batch(child.count, **child.overrides)
        return made


class _SmallChunks(RowMaker):
    """A RowMaker whose chunks are FACTORY_CHUNK rows: a handful of rows in milliseconds."""

    def __init__(self, table: Table, plans: list[ColumnPlan], pools: Pools, seed: int) -> None:
        # Database values, as the seeder writes them; `_values` turns each back through its
        # field's to_python_value, so enums and JSON reach the constructor as Python values.
        super().__init__(table, [replace(p, convert=True) for p in plans], pools, seed)
        self._small: dict[int, list[tuple[Any, ...]]] = {}

    def row(self, index: int) -> tuple[Any, ...]:
        chunk, at = divmod(index, FACTORY_CHUNK)
        if chunk not in self._small:
            full = np.arange(chunk * FACTORY_CHUNK, (chunk + 1) * FACTORY_CHUNK, dtype=np.int64)
            made: dict[str, list[Any]] = {}
            cols: list[list[Any]] = [[] for _ in self.plans]
            for i in self._order:
                cols[i] = self._column_values(self.plans[i], chunk, full, made)
            self._small = {chunk: list(zip(*cols))}  # one chunk at a time: rows go forward
        return self._small[chunk][at]


def factory(
    model: str | type[Model],
    *,
    seed: int | None = None,
    seeds_dir: Path | str = Path("seeds"),
    locale: str = "en_US",
) -> Factory:
    """A factory for `model` (a class, or its name in the initialised Tortoise apps).

    With `seed`, the factory's rows are the same on every run (row i of seed s); without,
    each row is new for the process.
    """
    return Factory(_model_class(model), seed=seed, seeds_dir=Path(seeds_dir), locale=locale)


async def reported_batch(made: Factory, n: int, *, app: str = "models") -> SeedReport:
    """`made.create_batch(n)`, told as `toolkit seed` tells a run: what the pytest plugin's
    `toolkit_seed` returns where the seeder can't run (inside a transaction). Parents the
    factory makes for required foreign keys are not counted."""
    start = time.perf_counter()
    await made.create_batch(n)
    table = TableReport(made.model.__name__, made.table.name, n, run_id="", first_index=0)
    return SeedReport(
        seed=made._seed(), rows=n, seconds=time.perf_counter() - start, tables=[table],
        locale=made.locale, app=app,
    )
