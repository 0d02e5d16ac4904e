"""Row tuples of a table, made chunk by chunk, each row depending only on (seed, row index).

Rows are made in fixed chunks of `CHUNK_ROWS` consecutive row indices. Each column of each
chunk draws from its own random stream, seeded by (seed, table, column, chunk). So a row
never depends on batch size, concurrency, shard or timing, and adding a column to a table
leaves the other columns' values unchanged.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from toolkit.errors import ToolkitError
from toolkit.seed.anchor import LEGACY_ANCHOR
from toolkit.seed.chunks import CHUNK_ROWS
from toolkit.seed.generators import Ctx, Gen
from toolkit.seed.name_generators import DERIVED, name
from toolkit.seed.people import full_name
from toolkit.seed.pools import Pools
from toolkit.seed.stamps import Stamps, joined
from toolkit.seed.table import Column, Table

NULL_RATE = 0.1


@dataclass(frozen=True)
class ColumnPlan:
    column: Column
    gen: Gen
    convert: bool = True  # pass values through the source's to_db conversion
    some_nulls: bool = True  # a nullable column gets NULL_RATE of NULLs (not for overrides)


def _rank(gen: Gen) -> int:
    """Generation order within a chunk: names before the handles made from them."""
    if gen in (full_name, name):
        return 1
    if gen in DERIVED or getattr(gen, "derived", False):
        return 2 + int(getattr(gen, "depth", 0))  # a stamp after the stamps it follows
    return 0


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


class RowMaker:
    """Makes the rows of one table, chunk by chunk, for a given seed."""

    def __init__(
        self, table: Table, plans: Sequence[ColumnPlan], pools: Pools, seed: int,
        anchor: dt.datetime = LEGACY_ANCHOR, mix: int | None = None,
    ) -> None:
        self.table = table
        self.anchor = anchor
        self.plans = list(plans)
        self.pools = pools
        self.seed = seed
        self.columns = [p.column.name for p in self.plans]
        self._table_key = _crc(table.name)
        self._key = mix_of(seed, table.name) if mix is None else mix
        self._order = sorted(range(len(self.plans)), key=lambda i: _rank(self.plans[i].gen))
        self._identity: dict[str, bool] = {}
        # Batches rarely align with chunks; keep the last chunk for the next batch's start.
        self._cached: tuple[int, list[list[Any]]] | None = None

    def _column_values(
        self, plan: ColumnPlan, chunk: int, index: np.ndarray, row: dict[str, list[Any]]
    ) -> list[Any]:
        col = plan.column
        rng = np.random.default_rng([self.seed, self._table_key, _crc(col.name), chunk])
        def shared(name: str) -> np.random.Generator:
            return np.random.default_rng([self.seed, self._table_key, _crc(name), chunk])

        values = plan.gen(
            Ctx(rng=rng, index=index, pools=self.pools, column=col, row=row, model=self.table.model,
                shared=shared, key=self._key, anchor=self.anchor)
        )
        if (col.minimum is not None or col.maximum is not None) and not col.unique:
            values = within_bounds(values, col)
        if col.kind == "decimal" and plan.some_nulls:
            values = within_digits(values, col)  # inferred values always fit the column
        row[col.attr] = values
        if plan.some_nulls and col.nullable and not col.unique and not col.primary_key:
            nulls = rng.random(len(values)) < NULL_RATE
            if isinstance(values, Stamps):
                values = values.with_nulls(nulls)
            else:
                # A copy: the row's other columns (an email from a name) saw the values whole.
                values = list(values)
                for i in np.flatnonzero(nulls).tolist():
                    values[i] = None
        if plan.convert and col.to_db is not None:
            values = self._to_db(col, values)
        return values

    def _to_db(self, col: Column, values: list[Any]) -> list[Any]:
        # The ORM's conversion runs on every value of a column until it has been seen to
        # hand back each generated value unchanged; from then on it is skipped, since a
        # generator's values keep one type.
        assert col.to_db is not None
        if self._identity.get(col.name):
            return values
        try:
            converted = [col.to_db(v) for v in values]
        except Exception as exc:  # a validator of the model rejects a generated value
            reason = (str(exc) or type(exc).__name__).splitlines()[0]
            raise ToolkitError(
                f"{self.table.model}.{col.attr} rejects the generated values ({reason}); give "
                f'it values that pass in seeds/: SeedDefinition(model="{self.table.model}", '
                f'fields={{"{col.attr}": [...]}})'
            ) from exc
        if col.name not in self._identity:
            self._identity[col.name] = all(
                c is v or (type(c) is type(v) and c == v) for c, v in zip(converted, values)
            )
            if self._identity[col.name]:
                return values  # as made (a column of `Stamps` stays one)
        return converted

    def chunk_columns(self, chunk: int) -> list[list[Any]]:
        """The values of chunk number `chunk`, column by column (in `self.columns` order)."""
        if self._cached is not None and self._cached[0] == chunk:
            return self._cached[1]
        full = np.arange(chunk * CHUNK_ROWS, (chunk + 1) * CHUNK_ROWS, dtype=np.int64)
        made: dict[str, list[Any]] = {}
        cols: list[list[Any]] = [[] for _ in self.plans]
        for i in self._order:
            cols[i] = self._column_values(self.plans[i], chunk, full, made)
        self._cached = (chunk, cols)
        return cols

    def columns_of(self, start: int, stop: int) -> list[list[Any]]:
        """Values of the rows with global indices `start`..`stop`-1, column by column."""
        parts: list[list[Sequence[Any]]] = [[] for _ in self.plans]
        for chunk in range(start // CHUNK_ROWS, (stop - 1) // CHUNK_ROWS + 1 if stop > start else 0):
            base = chunk * CHUNK_ROWS
            lo, hi = max(start - base, 0), min(stop - base, CHUNK_ROWS)
            for mine, made in zip(parts, self.chunk_columns(chunk)):
                mine.append(made if (lo, hi) == (0, CHUNK_ROWS) else made[lo:hi])
        return [joined(p) for p in parts]  # type: ignore[misc]

    def chunk(self, chunk: int, lo: int = 0, hi: int = CHUNK_ROWS) -> list[tuple[Any, ...]]:
        """Rows `lo`..`hi` of chunk number `chunk` (row indices chunk*CHUNK_ROWS + lo ...)."""
        return list(zip(*(c[lo:hi] for c in self.chunk_columns(chunk))))

    def rows(self, start: int, stop: int) -> list[tuple[Any, ...]]:
        """Rows with global indices `start`..`stop`-1."""
        return list(zip(*self.columns_of(start, stop)))


def mix_of(seed: int, table: str) -> int:
    """A table's permutation key (see `Ctx.key`) for a table whose runs have none yet."""
    return int(np.random.default_rng([seed, _crc(table)]).integers(1, 2**62))


def within_bounds(values: list[Any], col: Column) -> list[Any]:
    """Numbers moved inside the column's validator bounds: wrapped, so none pile up at an edge."""
    low, high = col.minimum, col.maximum
    if low is None:
        low = min(0, high) if high is not None else None
    whole = col.kind in ("int", "bigint", "smallint")
    span = None if low is None or high is None else (high - low + (1 if whole else 0))
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
            out.append(v)
            continue
        kind: Any = type(v)
        lo: Any = None if low is None else kind(low)
        if span is not None and span > 0 and not (lo <= v <= kind(high)):
            out.append(kind(lo + (v - lo) % kind(span)))
        elif span is None and lo is not None and v < lo:
            out.append(kind(lo + (lo - v)))  # reflected above the minimum
        else:
            out.append(v)
    return out


def within_digits(values: list[Any], col: Column) -> list[Any]:
    """Decimals rounded to the column's places and wrapped inside its digits."""
    places = col.decimal_places if col.decimal_places is not None else 2
    cap = Decimal(10) ** ((col.max_digits or 12) - places)
    unit = Decimal(1).scaleb(-places)
    out = []
    for v in values:
        if isinstance(v, Decimal) and v.is_finite():
            v = v.quantize(unit)
            if abs(v) >= cap:
                v = (v % cap).quantize(unit)
        out.append(v)
    return out
