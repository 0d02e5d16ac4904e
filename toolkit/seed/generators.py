"""The generator interface, and the generic generators the others are built from.

A generator makes one column's values for one chunk of rows at once, from the chunk's own
random stream (see `rows.py`), so a value depends only on (seed, row index).

Unique columns are derived from the row index (`handle42@example.com`, `SKU-00000042`),
so they never collide and never retry; the ledger hands out indices that runs never reuse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.seed.anchor import LEGACY_ANCHOR
from toolkit.seed.pools import Pools, objects
from toolkit.seed.table import Column


@dataclass(frozen=True)
class Ctx:
    """What a generator gets for one chunk of one column."""

    rng: np.random.Generator
    index: np.ndarray  # the rows' global indices (int64)
    pools: Pools
    column: Column
    # Values already made for this chunk, by attribute name: lets an email follow the
    # row's own first and last name.
    row: dict[str, list[Any]] = field(default_factory=dict)
    model: str = ""  # the model (or table) the column belongs to: "name" of a Customer or a Tag
    # A random stream of this chunk named by the caller rather than by the column: values
    # that several columns share (an email's and a username's handle) are drawn from it.
    shared: Callable[[str], np.random.Generator] | None = None
    # The same for every chunk of the column's table and seed: keys a permutation of the
    # row indices (people, identifiers) that must not repeat from one chunk to the next.
    key: int = 0
    anchor: dt.datetime = LEGACY_ANCHOR  # the run's "now": times are spread back from it

    @property
    def n(self) -> int:
        return len(self.index)


Gen = Callable[[Ctx], list[Any]]


def tolist(values: np.ndarray) -> list[Any]:
    out: list[Any] = values.tolist()  # typed here once: numpy's stubs say Any
    return out


def fit(values: list[str], max_length: int | None) -> list[str]:
    if max_length is None or max(map(len, values), default=0) <= max_length:
        return values
    return [v[:max_length] for v in values]


# --- unique by row index ----------------------------------------------------------------

# Room kept for a decimal row index in a unique text value: ten billion rows.
INDEX_DIGITS = 10
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(i: int) -> str:
    out = ""
    while True:
        i, r = divmod(i, 36)
        out = _BASE36[r] + out
        if i == 0:
            return out


def compact_tokens(ctx: Ctx) -> list[str]:
    """The row index in base 36: the shortest unique text, for very narrow columns.

    A chunk is made whole, so its last rows may lie past what the column can hold; a run
    that would load such rows is refused before it starts (`unique_capacity`).
    """
    limit = ctx.column.max_length or 0
    return [t if len(t) <= limit else "" for t in map(_base36, ctx.index.tolist())]


def unique_suffixed(prefixes: list[str], ctx: Ctx, template: str = "{p}{i}") -> list[str]:
    """`prefix + index`, trimming the prefix (never the index) to fit `max_length`.

    A column too narrow to keep room for any index gets base-36 indexes alone, for every
    row: mixing the two forms in one column could make two rows equal.
    """
    limit = ctx.column.max_length
    if limit is not None and limit < len(template.format(p="", i="")) + INDEX_DIGITS:
        return compact_tokens(ctx)
    head, _, rest = template.partition("{p}")
    sep, _, tail = rest.partition("{i}")
    if head or tail:  # not of the "{p}<separator>{i}" form
        return _formatted(prefixes, ctx, template, limit)
    out = [f"{p}{sep}{i}" for p, i in zip(prefixes, ctx.index.tolist())]
    if limit is not None and max(map(len, out), default=0) > limit:
        # Trim the prefix, never the index.
        out = [v if len(v) <= limit else f"{p[: max(limit - (len(v) - len(p)), 0)]}{sep}{i}"
               for v, p, i in zip(out, prefixes, ctx.index.tolist())]
    return out


def _formatted(prefixes: list[str], ctx: Ctx, template: str, limit: int | None) -> list[str]:
    out = []
    for p, i in zip(prefixes, ctx.index.tolist()):
        value = template.format(p=p, i=i)
        if limit is not None and len(value) > limit:
            room = max(limit - (len(value) - len(p)), 0)
            value = template.format(p=p[:room], i=i)
        out.append(value)
    return out


def unique_text(gen: Gen, template: str = "{p}-{i}") -> Gen:
    """Make a generator that knows nothing of uniqueness unique, by the row index."""

    def wrapped(ctx: Ctx) -> list[Any]:
        return unique_suffixed([str(v) for v in gen(ctx)], ctx, template)

    return wrapped


# --- text from Faker pools ----------------------------------------------------------------


def pool(key: str) -> Gen:
    """Sample the Faker provider `key` (for example "company", "city")."""

    def gen(ctx: Ctx) -> list[Any]:
        values = ctx.pools.sample(key, ctx.rng, ctx.n)
        if ctx.column.unique:
            return unique_suffixed([str(v) for v in values], ctx, "{p} {i}")
        if ctx.column.kind in ("char", "text"):
            return fit([str(v) for v in values], ctx.column.max_length)
        return values

    return gen


# --- combinators ----------------------------------------------------------------------------


def mostly(value: Any, other: Gen, share: float) -> Gen:
    """`value` on about `share` of the rows, `other`'s values on the rest."""

    def gen(ctx: Ctx) -> list[Any]:
        keep = (ctx.rng.random(ctx.n) < share).tolist()
        return [value if k else v for k, v in zip(keep, other(ctx))]

    return gen


def constant(value: Any) -> Gen:
    def gen(ctx: Ctx) -> list[Any]:
        return [value] * ctx.n

    return gen


def choices(values: Sequence[Any]) -> Gen:
    arr = objects(values)

    def gen(ctx: Ctx) -> list[Any]:
        return arr[ctx.rng.integers(0, len(arr), ctx.n)].tolist()  # type: ignore[no-any-return]

    return gen
