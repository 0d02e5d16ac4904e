"""People: a row's first and last name, and the email and username made from them.

A row's person is the image of its index under a keyed bijection onto (first name, last
name, separator) triples, so a unique email or username needs no number: `ashley.white`
and `ashley_white` are two people, and no two rows get the same one. Only past the last
triple (1.38 million in en_US) does a number appear, `ashley.white2`. Handles are letters
and one separator (no concatenation: "ann"+"alee" and "anna"+"lee" would meet).

Names keep the locale's frequencies: the triples are made so that a common first name
pairs with more last names than a rare one (`c_f` last names for first name f, most common
last names first), so "James" and "Smith" come up far more often than "Zion" and "Yoder".
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from toolkit.seed.draw_cache import drawn
from toolkit.seed.generators import INDEX_DIGITS, Ctx, compact_tokens, fit, unique_suffixed
from toolkit.seed.permute import permuted
from toolkit.seed.pools import Pools, objects

SEPARATORS = (".", "_")
_DRAWS = 3000  # Faker calls per name list when the locale lists none: each name's frequency
# Pairs of (first, last) name, in all, after each tier: the last takes every pair left.
_TIERS = (60_000, 200_000, 10**9)


def ascii_handle(name: Any) -> str:
    """`José` -> `jose`; '' for a name with no Latin letters."""
    plain = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in plain if "a" <= ch <= "z")


def _listed(pools: Pools, attribute: str) -> dict[str, float] | None:
    """The locale's own list of names, with its frequencies when it has them."""
    for provider in pools.faker.providers:
        listed = getattr(provider, attribute, None)
        if isinstance(listed, dict) and listed:
            return {str(k): float(v) for k, v in listed.items()}
        if isinstance(listed, (list, tuple)) and listed:
            return {str(k): 1.0 for k in listed}
    return None


def _by_frequency(pools: Pools, provider: str) -> tuple[list[str], np.ndarray]:
    """Distinct names (one per handle) with their frequencies, most common first.

    From the locale's list when its provider has one (no Faker call at all), else counted
    over Faker's own draws.
    """
    listed = _listed(pools, provider + "s")
    if listed is None:
        make = getattr(pools.faker, provider)
        listed = dict(Counter(drawn(pools.faker, pools.locale, f"people:{provider}", _DRAWS, lambda: str(make()))))
    names, weights, seen = [], [], set()
    for name, weight in sorted(listed.items(), key=lambda kv: (-kv[1], kv[0])):
        handle = ascii_handle(name) or name  # names in other scripts: distinct as written
        if handle in seen:  # José and Jose: one handle, one name
            continue
        seen.add(handle)
        names.append(name)
        weights.append(weight)
    return names, np.asarray(weights, dtype=np.float64)


@dataclass(frozen=True)
class Tier:
    """The pairs of one tier: first name f pairs with last names `before[f]`..`before[f] +
    count[f]` (most common last names first); pair numbers start at `starts[f]`."""

    before: np.ndarray
    starts: np.ndarray
    pairs: int


@dataclass(frozen=True)
class People:
    """The (first, last) pairs of one locale, in tiers, and how to find pair p of a tier.

    The first tier holds few pairs, spread in proportion to the names' frequencies, so the
    first ~180,000 rows of a table have names as frequent as the locale's; later tiers
    take the pairs left, so a table of millions still needs no number, with flatter
    frequencies.
    """

    first: np.ndarray  # display names, object arrays
    last: np.ndarray
    first_handle: np.ndarray
    last_handle: np.ndarray
    tiers: tuple[Tier, ...]
    latin: bool  # the names have Latin letters: handles come from them

    @cached_property
    def longest(self) -> int:
        """The longest handle with no number."""
        return int(max(map(len, self.first_handle))) + 1 + int(max(map(len, self.last_handle)))

    @property
    def size(self) -> int:
        """People with no number: pairs times separators."""
        return sum(t.pairs for t in self.tiers) * len(SEPARATORS)

    @classmethod
    def build(cls, pools: Pools) -> People:
        first, wf = _by_frequency(pools, "first_name")
        last, _ = _by_frequency(pools, "last_name")
        tiers, before = [], np.zeros(len(first), dtype=np.int64)
        for target in _TIERS:
            upto = np.maximum(_pair_counts(wf, len(last), target), before)
            count = upto - before
            if count.sum():
                starts = np.concatenate(([0], np.cumsum(count)[:-1])).astype(np.int64)
                tiers.append(Tier(before, starts, int(count.sum())))
            before = upto

        fh, lh = [ascii_handle(n) for n in first], [ascii_handle(n) for n in last]
        return cls(objects(first), objects(last), objects(fh), objects(lh), tuple(tiers), latin=all(fh) and all(lh))

    def pairs_of(self, slot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(first, last) name numbers of pair numbers `slot` (counted over all tiers)."""
        f = np.zeros(len(slot), dtype=np.int64)
        last = np.zeros(len(slot), dtype=np.int64)
        base = 0
        for tier in self.tiers:
            mine = (slot >= base) & (slot < base + tier.pairs)
            p = slot[mine] - base
            ff = np.searchsorted(tier.starts, p, side="right") - 1
            f[mine] = ff
            last[mine] = tier.before[ff] + p - tier.starts[ff]
            base += tier.pairs
        return f, last


def _pair_counts(weights: np.ndarray, n_last: int, target: int) -> np.ndarray:
    """How many last names each first name pairs with: in proportion to its frequency,
    at least 1, at most every last name, about `target` in all."""
    target = min(target, len(weights) * n_last)
    scale = target / weights.sum()
    for _ in range(30):  # names capped at n_last give their share to the others
        counts = np.clip(np.rint(weights * scale), 1, n_last)
        if counts.sum() >= target * 0.98 or counts.min() == n_last:
            break
        scale *= target / counts.sum()
    out: np.ndarray = counts.astype(np.int64)
    return out


@dataclass(frozen=True)
class Identity:
    """The people of one chunk's rows."""

    first: list[Any]
    last: list[Any]
    handles: list[str]  # unique within the table: first, separator, last (and a round number)
    longest: int | None = None  # an upper bound of the handles' lengths, if known


def identity(ctx: Ctx) -> Identity:
    """The people of this chunk: made once per chunk, shared by every column that uses them."""
    made: Identity | None = ctx.row.get("_identity")  # type: ignore[assignment]
    if made is not None:
        return made
    people: People = ctx.pools.cached("_people", lambda: People.build(ctx.pools))
    sep, pair, rounds = _slots(people, ctx)
    f, lst = people.pairs_of(pair)
    first, last = people.first[f].tolist(), people.last[lst].tolist()
    if people.latin:
        seps = np.asarray(SEPARATORS, dtype=object)[sep]
        handles = (people.first_handle[f] + seps + people.last_handle[lst]).tolist()
        if rounds is not None:
            handles = [h if r == 0 else f"{h}{r}" for h, r in zip(handles, rounds)]
    else:
        made_up = ctx.pools.handles()
        picked = made_up[ctx.index % len(made_up)].tolist()
        handles = [f"{h}.{i}" for h, i in zip(picked, ctx.index.tolist())]
    longest = None
    if people.latin:
        longest = people.longest + (len(str(max(rounds))) if rounds else 0)
    made = Identity(first, last, handles, longest)
    ctx.row["_identity"] = made  # type: ignore[assignment]
    return made


def _slots(people: People, ctx: Ctx) -> tuple[np.ndarray, np.ndarray, list[int] | None]:
    """(separator, pair number, round) of each row: a row's tier follows from its index,
    its place within the tier from a permutation keyed by the table and seed."""
    size, base = people.size, 0
    within = ctx.index % size
    slot = np.zeros(ctx.n, dtype=np.int64)
    for tier in people.tiers:
        width = tier.pairs * len(SEPARATORS)
        mine = (within >= base) & (within < base + width)
        if mine.any():
            slot[mine] = base + permuted(within[mine] - base, width, ctx.key + base)
        base += width
    rounds = (ctx.index // size).tolist() if int(ctx.index.max(initial=0)) >= size else None
    return slot % len(SEPARATORS), slot // len(SEPARATORS), rounds


def _own_names(ctx: Ctx) -> tuple[list[Any], list[Any]] | None:
    """The row's first and last names when a seeds/ override made them, not `identity`."""
    first, last = ctx.row.get("first_name"), ctx.row.get("last_name")
    if first is None and last is None:
        return None
    ident = identity(ctx)
    if (first is None or first is ident.first) and (last is None or last is ident.last):
        return None
    return (first or ident.first), (last or ident.last)


def _handles(ctx: Ctx) -> tuple[list[str], int | None]:
    """Handles for the chunk, and their longest length when they are unique by
    themselves (None: they are not)."""
    own = _own_names(ctx)
    if own is None:
        ident = identity(ctx)
        return ident.handles, ident.longest or max(map(len, ident.handles), default=0)
    seps = [SEPARATORS[i] for i in ctx.rng.integers(0, len(SEPARATORS), ctx.n).tolist()]
    fallback = identity(ctx).handles
    made = [f"{ascii_handle(a)}{s}{ascii_handle(b)}" if ascii_handle(a) and ascii_handle(b) else h
            for a, b, s, h in zip(*own, seps, fallback)]
    return made, None


def _unique_fit(values: list[str], ctx: Ctx, longest: int | None, tail: list[str] | None = None) -> list[str]:
    """`values` (+ `tail`) kept unique in the column's width.

    A value that is not unique by itself, or too long, becomes `trimmed.<row index>`: the
    people's handles never hold a dot before a digit, so the two forms can't meet.
    """
    limit = ctx.column.max_length
    unique_alone = longest is not None
    if longest is not None and (limit is None or longest + max(map(len, tail or [""])) <= limit):
        return values if tail is None else [v + b for v, b in zip(values, tail)]  # all fit
    tails = tail or [""] * ctx.n
    if limit is not None and limit < INDEX_DIGITS + 2 + max(map(len, tails), default=0):
        return [f"{t}{b}" if len(t) + len(b) <= limit else t for t, b in zip(compact_tokens(ctx), tails)]
    out = []
    for v, b, i in zip(values, tails, ctx.index.tolist()):
        if unique_alone and (limit is None or len(v) + len(b) <= limit):
            out.append(v + b)
            continue
        mark = f".{i}"
        room = (limit if limit is not None else 10**6) - len(mark) - len(b)
        out.append(v[:room].rstrip("._-") + mark + b)
    return out


def email(ctx: Ctx) -> list[Any]:
    domains = ctx.pools.cached("_at_domains", lambda: ["@" + d for d in ctx.pools.get("free_email_domain").tolist()])
    at = [domains[i] for i in ctx.rng.integers(0, len(domains), ctx.n).tolist()]
    handles, longest = _handles(ctx)
    if ctx.column.unique:
        return _unique_fit(handles, ctx, longest, at)
    limit = ctx.column.max_length
    made = [h + a for h, a in zip(handles, at)]
    if limit is None or max(map(len, made), default=0) <= limit:
        return made
    return [m if len(m) <= limit else f"{h[: max(limit - len(a), 1)]}{a}"[:limit]
            for m, h, a in zip(made, handles, at)]


def username(ctx: Ctx) -> list[Any]:
    handles, longest = _handles(ctx)
    if ctx.column.unique:
        return _unique_fit(handles, ctx, longest)
    return fit(handles, ctx.column.max_length)


def first_name(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        return unique_suffixed([str(v) for v in identity(ctx).first], ctx, "{p} {i}")
    names = identity(ctx).first
    return fit(names, ctx.column.max_length)


def last_name(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        return unique_suffixed([str(v) for v in identity(ctx).last], ctx, "{p} {i}")
    return fit(identity(ctx).last, ctx.column.max_length)


def full_name(ctx: Ctx) -> list[Any]:
    ident = identity(ctx)
    first = ctx.row.get("first_name") or ident.first
    last = ctx.row.get("last_name") or ident.last
    if ctx.pools.locale.split("_")[0] in ("ko", "ja", "zh"):
        names = [f"{b}{a}" for a, b in zip(first, last)]
    else:
        names = [f"{a} {b}" for a, b in zip(first, last)]
    if ctx.column.unique:
        return unique_suffixed(names, ctx, "{p} {i}")
    return fit(names, ctx.column.max_length)
