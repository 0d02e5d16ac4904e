"""Generators for a column by its type alone: what a column gets when its name says nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import numpy as np

from toolkit.seed.generators import Ctx, Gen, fit, paragraph, pool, sentence_pool, tolist
from toolkit.seed.stamps import Stamps, micros_of
from toolkit.seed.table import NO_DEFAULT, Column

# Dates are spread back from a fixed day, not from today: a seed must give the same rows
# tomorrow as it does today.
ANCHOR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

_INT_RANGE = {"smallint": 32_000, "int": 1_000_000, "bigint": 1_000_000_000}


def integer(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        return tolist(ctx.index + 1)
    return tolist(ctx.rng.integers(0, _INT_RANGE.get(ctx.column.kind, 1000), ctx.n))


def floating(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        return tolist(ctx.index + ctx.rng.random(ctx.n))
    return tolist(np.round(ctx.rng.uniform(0, 1000, ctx.n), 4))


def decimals_from_cents(cents: np.ndarray, column: Column) -> list[Any]:
    places = column.decimal_places if column.decimal_places is not None else 2
    digits = column.max_digits or 12
    # In the column's own smallest unit: DECIMAL(digits, places) holds 0 .. 10**digits - 1.
    units = cents * 10 ** (places - 2) if places >= 2 else cents // 10 ** (2 - places)
    cap = 10 ** min(digits, 18) - 1
    # Too large for the column: wrapped, not clamped, so no value piles up at the cap.
    units = np.where(units > cap, units % (cap + 1), units)
    if places == 2:
        return [Decimal(f"{c // 100}.{c % 100:02d}") for c in units.tolist()]
    return [Decimal(int(c)).scaleb(-places) for c in units.tolist()]


def decimal(ctx: Ctx) -> list[Any]:
    places = ctx.column.decimal_places if ctx.column.decimal_places is not None else 2
    digits = ctx.column.max_digits or 12
    whole_digits = max(digits - places, 0)
    if ctx.column.unique:
        return [Decimal(int(i)).scaleb(0) for i in ctx.index.tolist()]
    top = min(10**whole_digits, 10**6)
    units = ctx.rng.integers(0, top * 10**places, ctx.n).tolist()
    return [Decimal(u).scaleb(-places) for u in units]


def boolean(ctx: Ctx) -> list[Any]:
    default = ctx.column.default
    if isinstance(default, bool):
        # Most rows keep the default, as most users never change it.
        keep = ctx.rng.random(ctx.n) < 0.9
        return [default if k else not default for k in keep.tolist()]
    return tolist(ctx.rng.random(ctx.n) < 0.5)


_DATE_POOL = np.array([ANCHOR.date() - dt.timedelta(days=d) for d in range(365 * 80)], dtype=object)


def date(ctx: Ctx) -> list[Any]:
    name = ctx.column.attr.lower()
    if "birth" in name or name in ("dob", "birthday"):
        days = ctx.rng.integers(365 * 18, 365 * 80, ctx.n)
    else:
        days = ctx.rng.integers(0, 365 * 5, ctx.n)
    return _DATE_POOL[days].tolist()  # type: ignore[no-any-return]


def datetime_(ctx: Ctx) -> list[Any]:
    base = int(ANCHOR.timestamp())
    name = ctx.column.attr.lower()
    if ctx.column.unique:
        # A minute apart per row index (61 s: no round clock times; a million rows span two
        # years), a random fraction of a second within it: never equal, spread like events.
        seconds = ctx.index.astype(np.int64) * 61_000_000
    elif "birth" in name or name in ("dob", "born", "born_at"):
        seconds = ctx.rng.integers(18 * 365 * 86400, 80 * 365 * 86400, ctx.n) * 1_000_000
    else:
        seconds = ctx.rng.integers(0, 2 * 365 * 86400, ctx.n) * 1_000_000
    micro = ctx.rng.integers(0, 1_000_000, ctx.n)
    return Stamps(np.int64(base) * 1_000_000 - seconds - micro)  # type: ignore[return-value]


def later_than(attr: str) -> Gen:
    """A time between the row's own `attr` and the anchor."""

    def gen(ctx: Ctx) -> list[Any]:
        starts = ctx.row.get(attr)
        if starts is None:
            return datetime_(ctx)
        if isinstance(starts, Stamps):
            shares = ctx.rng.random(ctx.n)
            gap = (micros_of(ANCHOR) - starts.micros) * shares
            return Stamps(starts.micros + np.rint(gap).astype(np.int64))
        shares = ctx.rng.random(ctx.n).tolist()
        naive = ANCHOR.replace(tzinfo=None)
        return [
            s + ((ANCHOR if s.tzinfo else naive) - s) * f if isinstance(s, dt.datetime) else s
            for s, f in zip(starts, shares)
        ]

    gen.derived = True  # type: ignore[attr-defined]  # runs after the creation time is made
    return gen


def time_(ctx: Ctx) -> list[Any]:
    secs = ctx.rng.integers(0, 86400, ctx.n).tolist()
    # Aware, as Tortoise stores times with time-zone support on (its default).
    return [dt.time(s // 3600, (s // 60) % 60, s % 60, tzinfo=dt.UTC) for s in secs]


def timedelta(ctx: Ctx) -> list[Any]:
    return [dt.timedelta(seconds=s) for s in ctx.rng.integers(0, 7 * 86400, ctx.n).tolist()]


def uuid_(ctx: Ctx) -> list[Any]:
    raw = ctx.rng.bytes(16 * ctx.n)
    return [uuid.UUID(bytes=raw[i : i + 16], version=4) for i in range(0, 16 * ctx.n, 16)]


def json_(ctx: Ctx) -> list[Any]:
    words = ctx.pools.sample("word", ctx.rng, ctx.n)
    if ctx.column.json_list:
        # A list field (default=list): a few tags.
        sizes = ctx.rng.integers(0, 4, ctx.n).tolist()
        extra = ctx.pools.sample("word", ctx.rng, ctx.n * 3)
        return [[w, *extra[i * 3 : i * 3 + k - 1]] if k else [] for i, (w, k) in enumerate(zip(words, sizes))]
    nums = ctx.rng.integers(0, 1000, ctx.n).tolist()
    flags = (ctx.rng.random(ctx.n) < 0.5).tolist()
    return [{"tag": w, "score": n, "enabled": f} for w, n, f in zip(words, nums, flags)]


def binary(ctx: Ctx) -> list[Any]:
    size = min(ctx.column.max_length or 16, 16)
    raw = ctx.rng.bytes(size * ctx.n)
    return [raw[i : i + size] for i in range(0, size * ctx.n, size)]


def enum(ctx: Ctx) -> list[Any]:
    choices = np.empty(len(ctx.column.choices), dtype=object)
    choices[:] = list(ctx.column.choices)
    values = choices[ctx.rng.integers(0, len(choices), ctx.n)].tolist()
    default = ctx.column.default
    if default is not NO_DEFAULT and default in ctx.column.choices:
        # Most rows keep the default member, as most rows in a live table do.
        keep = (ctx.rng.random(ctx.n) < 0.8).tolist()
        values = [default if k else v for k, v in zip(keep, values)]
    return values  # type: ignore[no-any-return]


def ranged(low: int, high: int) -> Gen:
    """An integer in [low, high]: ratings, quantities, ages."""

    def gen(ctx: Ctx) -> list[Any]:
        values = ctx.rng.integers(low, high + 1, ctx.n)
        if ctx.column.kind in ("float", "decimal"):
            return [Decimal(int(v)) if ctx.column.kind == "decimal" else float(v) for v in values.tolist()]
        return values.tolist()  # type: ignore[no-any-return]

    return gen


def text_by_type(ctx: Ctx) -> list[Any]:
    if ctx.column.kind == "text":
        return paragraph(ctx)
    limit = ctx.column.max_length or 255
    if limit <= 8 and not ctx.column.unique:
        return fit(ctx.pools.sample("word", ctx.rng, ctx.n), limit)
    return (sentence_pool("_words3", 3) if limit >= 24 else pool("word"))(ctx)
