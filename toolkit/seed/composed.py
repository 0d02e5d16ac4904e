"""Text composed from parts, so columns whose real values are mostly distinct stay distinct.

A pool of a few hundred Faker values repeats after a few hundred rows: 10,000 customers
would share 500 phone numbers. Here a value is put together per row from the locale's own
parts: a phone number keeps a Faker number's format and gets fresh last digits, a street
address a fresh house number, a title its words from the locale's word list, a paragraph
three of a few thousand Faker sentences. Every step is a numpy operation over the chunk,
so this costs about what sampling one pool did.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from toolkit.seed.draw_cache import drawn
from toolkit.seed.generators import Ctx, Gen, fit, unique_suffixed
from toolkit.seed.pools import Pools, objects

_RUN = re.compile(r"\d+")


def _words(pools: Pools) -> tuple[np.ndarray, np.ndarray]:
    """The locale's word list, and the same words capitalised (a title's first word)."""

    def make() -> tuple[np.ndarray, np.ndarray]:
        words = list(dict.fromkeys(pools.faker.get_words_list()))
        return objects(words), objects([w[:1].upper() + w[1:] for w in words])

    made: tuple[np.ndarray, np.ndarray] = pools.cached("_word_list", make)
    return made


def words(low: int, high: int, capital: bool = True) -> Gen:
    """`low`..`high` words from the locale's word list: a title, a subject, a short text."""

    def gen(ctx: Ctx) -> list[Any]:
        plain, capitalised = _words(ctx.pools)
        lengths = ctx.rng.integers(low, high + 1, ctx.n)
        picks = ctx.rng.integers(0, len(plain), (high, ctx.n))
        out = (capitalised if capital else plain)[picks[0]]
        for j in range(1, high):
            more = " " + plain[picks[j]]
            out = out + more if j < low else np.where(lengths > j, out + more, out)
        values: list[Any] = out.tolist()
        if ctx.column.unique:
            return unique_suffixed(values, ctx, "{p} #{i}")
        return fit(values, ctx.column.max_length)

    return gen


def _sentences(pools: Pools) -> np.ndarray:
    def make() -> np.ndarray:
        return objects(drawn(pools.faker, pools.locale, "sentences", 3000, lambda: pools.faker.sentence(nb_words=9)))

    made: np.ndarray = pools.cached("_sentences", make)
    return made


def paragraph(ctx: Ctx) -> list[Any]:
    """Two to four of 3,000 Faker sentences: about 10**12 paragraphs, none read twice."""
    pool = _sentences(ctx.pools)
    picks = ctx.rng.integers(0, len(pool), (4, ctx.n))
    lengths = ctx.rng.integers(2, 5, ctx.n)
    out = pool[picks[0]] + " " + pool[picks[1]]
    for j in (2, 3):
        out = np.where(lengths > j, out + " " + pool[picks[j]], out)
    values: list[Any] = out.tolist()
    if ctx.column.unique:
        return unique_suffixed(values, ctx, "{p} #{i}")
    return fit(values, ctx.column.max_length)


_LINE = re.compile(r"\d{4,}")
_FOUR = np.asarray([f"{d:04d}" for d in range(10_000)], dtype=object)


def phone(ctx: Ctx) -> list[Any]:
    """A Faker number of the locale with fresh last four digits of its line number (the
    last run of four or more digits): its format, area codes and extensions stay."""

    def make() -> tuple[np.ndarray, np.ndarray]:
        heads, tails = [], []
        for v in map(str, ctx.pools.get("phone_number").tolist()):
            runs = list(_LINE.finditer(v))
            if runs:
                heads.append(v[: runs[-1].end() - 4])
                tails.append(v[runs[-1].end() :])
        return objects(heads), objects(tails)

    heads, tails = ctx.pools.cached("_phone_parts", make)
    if not len(heads):
        return fit([str(v) for v in ctx.pools.sample("phone_number", ctx.rng, ctx.n)], ctx.column.max_length)
    pick = ctx.rng.integers(0, len(heads), ctx.n)
    values: list[Any] = (heads[pick] + _FOUR[ctx.rng.integers(0, 10_000, ctx.n)] + tails[pick]).tolist()
    if ctx.column.unique:
        return unique_suffixed(values, ctx, "{p} ext. {i}")
    return fit(values, ctx.column.max_length)


def fresh_number(key: str) -> Gen:
    """A Faker value (an address, a postcode) whose first number is drawn again."""

    def gen(ctx: Ctx) -> list[Any]:
        def make() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            heads, tails, widths = [], [], []
            for v in ctx.pools.get(key).tolist():
                m = _RUN.search(str(v))
                heads.append(str(v)[: m.start()] if m else str(v))
                tails.append(str(v)[m.end() :] if m else "")
                widths.append(len(m.group()) if m else 0)
            return objects(heads), objects(tails), np.asarray(widths, dtype=np.int64)

        heads, tails, widths = ctx.pools.cached(f"_fresh_{key}", make)
        pick = ctx.rng.integers(0, len(heads), ctx.n)
        width = widths[pick]
        low = np.where(width > 1, 10 ** np.maximum(width - 1, 0), 0)
        numbers = low + (ctx.rng.random(ctx.n) * (10**width - low)).astype(np.int64)
        text = objects([str(x) for x in numbers.tolist()])
        values: list[Any] = np.where(width > 0, heads[pick] + text + tails[pick], heads[pick]).tolist()
        if ctx.column.unique:
            return unique_suffixed(values, ctx, "{p} #{i}")
        return fit(values, ctx.column.max_length)

    return gen


def zipf_pool(key: str, size: int = 2000, exponent: float = 0.9) -> Gen:
    """A Faker provider's values with the long tail real data has: a few cities hold much
    of the population, most appear a handful of times."""

    def gen(ctx: Ctx) -> list[Any]:
        def make() -> tuple[np.ndarray, np.ndarray]:
            provider = getattr(ctx.pools.faker, key)
            made = drawn(ctx.pools.faker, ctx.pools.locale, f"zipf:{key}", size, lambda: str(provider()))
            values = list(dict.fromkeys(made))
            # The largest takes ~2.5% (New York's share of the US), the rest fall off.
            weights = 1.0 / (np.arange(len(values)) + 5.0) ** exponent
            return objects(values), np.cumsum(weights) / weights.sum()

        values, cdf = ctx.pools.cached(f"_zipf_{key}_{size}_{exponent}", make)
        picks = np.minimum(np.searchsorted(cdf, ctx.rng.random(ctx.n)), len(values) - 1)
        out: list[Any] = values[picks].tolist()
        if ctx.column.unique:
            return unique_suffixed(out, ctx, "{p} {i}")
        return fit(out, ctx.column.max_length)

    return gen
