"""Generators for a column by its type alone: what a column gets when its name says nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numpy as np

from toolkit.seed.composed import paragraph, words
from toolkit.seed.generators import Ctx, Gen, fit, pool, tolist
from toolkit.seed.stamps import Stamps, micros_of
from toolkit.seed.table import NO_DEFAULT, Column

_INT_RANGE = {"smallint": 32_000, "int": 1_000_000, "bigint": 1_000_000_000}


def skewed(ctx: Ctx) -> np.ndarray:
    """Counts as real tables hold them (views, karma, minutes): most small, a few large.
    Log-normal: median 30 (or the column's default, a hint of its scale), one row in a
    hundred past 30 times the median."""
    default = ctx.column.default
    median = 30.0
    if isinstance(default, (int, float, Decimal)) and not isinstance(default, bool) and default > 0:
        median = float(default)
    made: np.ndarray = ctx.rng.lognormal(np.log(median), 1.5, ctx.n)
    return made


def measured(draw: Callable[[np.random.Generator, int], np.ndarray], places: int = 2) -> Gen:
    """Numbers from `draw(rng, n)`, in the column's kind: whole for integers, `places`
    decimals for floats and decimals (the decimal's own places if fewer)."""

    def gen(ctx: Ctx) -> list[Any]:
        values = np.asarray(draw(ctx.rng, ctx.n), dtype=np.float64)
        kind = ctx.column.kind
        if kind in ("int", "bigint", "smallint"):
            return tolist(np.floor(values).astype(np.int64))
        if kind == "decimal":
            dp = min(places, ctx.column.decimal_places if ctx.column.decimal_places is not None else places)
            return [Decimal(f"{v:.{dp}f}") for v in values.tolist()]
        return tolist(np.round(values, places))

    return gen


_HTTP = np.array([200] * 70 + [201] * 8 + [204] * 3 + [301, 302, 304] + [400] * 3 + [401] * 2
                 + [403] * 2 + [404] * 5 + [500] * 2 + [502, 503], dtype=np.int64)


def http_status(ctx: Ctx) -> list[Any]:
    """HTTP statuses at a web server's mix: mostly 200, a few redirects and errors."""
    return tolist(_HTTP[ctx.rng.integers(0, len(_HTTP), ctx.n)])


def unique_floor(column: Column) -> int:
    """The first value of a unique integer column: 1, or its validator's minimum."""
    low = column.minimum
    return int(low) if isinstance(low, (int, float, Decimal)) and not isinstance(low, bool) else 1


def integer(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        floor, top = unique_floor(ctx.column), ctx.column.maximum
        if top is not None and int(top) >= floor:
            # A chunk is made whole: its rows past the run (and past what the column holds,
            # `check_capacity` refuses runs that need them) wrap instead of failing the validator.
            return tolist(floor + ctx.index % (int(top) - floor + 1))
        return tolist(ctx.index + floor)
    top = _INT_RANGE.get(ctx.column.kind, 1000)
    return tolist(np.minimum(np.floor(skewed(ctx)), top).astype(np.int64))


def floating(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        return tolist(ctx.index + ctx.rng.random(ctx.n))
    return tolist(np.round(np.minimum(skewed(ctx), 1e6), 2))


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
    # Skewed like counts, wrapped (not clamped) into what the column holds.
    units = (np.floor(skewed(ctx) * 10**places).astype(np.int64) % (top * 10**places)).tolist()
    return [Decimal(u).scaleb(-places) for u in units]


def boolean(ctx: Ctx) -> list[Any]:
    default = ctx.column.default
    if isinstance(default, bool):
        # Most rows keep the default, as most users never change it.
        keep = ctx.rng.random(ctx.n) < 0.9
        return [default if k else not default for k in keep.tolist()]
    return tolist(ctx.rng.random(ctx.n) < 0.5)


def date(ctx: Ctx) -> list[Any]:
    name = ctx.column.attr.lower()
    if "birth" in name or name in ("dob", "birthday"):
        days = ctx.rng.integers(365 * 18, 365 * 80, ctx.n)
    else:
        days = ctx.rng.integers(0, 365 * 5, ctx.n)
    made = np.datetime64(ctx.anchor.date(), "D") - days.astype("timedelta64[D]")
    return made.astype(object).tolist()  # type: ignore[no-any-return]


def datetime_(ctx: Ctx) -> list[Any]:
    base = int(ctx.anchor.timestamp())
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


def later_than(attr: str, depth: int = 1) -> Gen:
    """A time between the row's own `attr` and the anchor. `depth`: how many stamps
    precede it (an update follows the creation, a last login the update)."""

    def gen(ctx: Ctx) -> list[Any]:
        starts = ctx.row.get(attr)
        if starts is None:
            return datetime_(ctx)
        if isinstance(starts, Stamps):
            shares = ctx.rng.random(ctx.n)
            gap = (micros_of(ctx.anchor) - starts.micros) * shares
            return Stamps(starts.micros + np.rint(gap).astype(np.int64))
        shares = ctx.rng.random(ctx.n).tolist()
        naive = ctx.anchor.replace(tzinfo=None)
        return [
            s + ((ctx.anchor if s.tzinfo else naive) - s) * f if isinstance(s, dt.datetime) else s
            for s, f in zip(starts, shares)
        ]

    gen.derived = True  # type: ignore[attr-defined]  # runs after the creation time is made
    gen.depth = depth  # type: ignore[attr-defined]
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
        return ranged_values(ctx, ctx.rng.integers(low, high + 1, ctx.n))

    return gen


def year(ctx: Ctx) -> list[Any]:
    """A year up to the anchor's: the last few decades, recent ones more often."""
    top = ctx.anchor.year
    back = np.minimum(np.floor(ctx.rng.exponential(8.0, ctx.n)), 60).astype(np.int64)
    return ranged_values(ctx, top - back)


def ranged_values(ctx: Ctx, values: np.ndarray) -> list[Any]:
    if ctx.column.kind in ("float", "decimal"):
        return [Decimal(int(v)) if ctx.column.kind == "decimal" else float(v) for v in values.tolist()]
    return values.tolist()  # type: ignore[no-any-return]


def text_by_type(ctx: Ctx) -> list[Any]:
    if ctx.column.kind == "text":
        return paragraph(ctx)
    limit = ctx.column.max_length or 255
    if limit <= 8 and not ctx.column.unique:
        return fit(ctx.pools.sample("word", ctx.rng, ctx.n), limit)
    return (_SHORT_TEXT if limit >= 24 else _WORD)(ctx)


_SHORT_TEXT = words(2, 5)
_WORD = pool("word")
