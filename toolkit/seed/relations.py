"""Values of foreign-key columns: parent keys chosen by (seed, row index).

Parent keys are read once per table (after the parent is loaded), sorted in Python so the
order is the same on every backend, and kept as one array: 8 bytes a key for integer keys,
a Python object each otherwise. That is fine up to a few million parents (tens of MB);
beyond that, a keyed sample would have to replace the full list.

- Plain foreign keys sample the parent keys with a skew real data has: a quarter of the
  parents get no child, the others a log-normal share (a few with many, most with some).
- One-to-one (and unique) foreign keys take the parents no row uses yet, each once, in a
  fixed shuffled order, by the row's rank in the run.
- Two foreign keys unique together (a link table) take pairs: a pair number q maps to one
  (a, b) pair, q -> (q mod |A|, q div |A| + offset) so that no pair repeats; pairs already
  in the table are skipped.
"""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from toolkit.backends.base import Backend, Connection
from toolkit.seed.generators import Ctx, Gen
from toolkit.seed.table import Column


def _norm(value: Any) -> Any:
    # asyncpg hands back UUID objects, SQLite strings: compare and sort them as strings.
    return str(value) if isinstance(value, uuid.UUID) else value


def key_array(values: Sequence[Any]) -> np.ndarray:
    """Keys as a sorted array: int64 when they are all integers, else Python objects."""
    plain = [_norm(v) for v in values]
    if plain and all(isinstance(v, int) and not isinstance(v, bool) for v in plain):
        return np.sort(np.asarray(plain, dtype=np.int64))
    arr = np.empty(len(plain), dtype=object)
    arr[:] = sorted(plain)
    return arr


def _stream(seed: int, *labels: str) -> np.random.Generator:
    return np.random.default_rng([seed, *(zlib.crc32(label.encode()) for label in labels)])


class KeySource:
    """Reads parent keys from the database."""

    def __init__(self, conn: Connection, backend: Backend) -> None:
        self.conn = conn
        self.backend = backend

    async def keys(self, table: str, column: str) -> np.ndarray:
        q = self.backend.quote
        rows = await self.conn.fetch(f"SELECT {q(column)} FROM {q(table)}")
        return key_array([r[0] for r in rows])

    async def free(self, parent: str, parent_key: str, child: str, column: str) -> np.ndarray:
        """Parent keys that no row of `child` points at through `column`."""
        q = self.backend.quote
        rows = await self.conn.fetch(
            f"SELECT p.{q(parent_key)} FROM {q(parent)} p WHERE NOT EXISTS "
            f"(SELECT 1 FROM {q(child)} c WHERE c.{q(column)} = p.{q(parent_key)})"
        )
        return key_array([r[0] for r in rows])

    async def pairs(self, table: str, a: str, b: str) -> list[tuple[Any, Any]]:
        q = self.backend.quote
        rows = await self.conn.fetch(f"SELECT {q(a)}, {q(b)} FROM {q(table)}")
        return [(_norm(x), _norm(y)) for x, y in rows]


class Ranker:
    """A row's rank among the indices a run still has to load (0, 1, 2, ...).

    Unique parents and pairs are handed out by rank, so a resumed run hands out the ones
    still free to exactly the rows still missing.
    """

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        # Made when first needed: only unique parents and pairs need ranks, and a sharded
        # run (which may own millions of ranges) has neither.
        self._ranges = ranges
        self._made = False

    def _make(self) -> None:
        ranges = [(lo, hi) for lo, hi in self._ranges if hi > lo]
        self.los = np.array([lo for lo, _ in ranges] or [0], dtype=np.int64)
        sizes = np.array([hi - lo for lo, hi in ranges] or [0], dtype=np.int64)
        self.before = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
        self._total = int(sizes.sum())
        self._made = True

    @property
    def total(self) -> int:
        if not self._made:
            self._make()
        return self._total

    def __call__(self, index: np.ndarray) -> np.ndarray:
        if not self._made:
            self._make()
        k = np.clip(np.searchsorted(self.los, index, side="right") - 1, 0, len(self.los) - 1)
        rank = self.before[k] + (index - self.los[k])
        # A chunk also holds rows outside the run; their values are made, then dropped.
        return np.clip(rank, 0, max(self.total - 1, 0))


CHILDLESS = 0.25  # share of parents a plain foreign key leaves without children


def sampled(keys: np.ndarray, seed: int = 0, table: str = "", column: str = "") -> Gen:
    """Any parent, with a skew: each parent's share of the children is drawn once per
    (seed, table, column), so a row's parent depends only on the row's own stream."""
    rng = _stream(seed, "children", table, column)
    weights = rng.lognormal(0.0, 1.0, len(keys)) * (rng.random(len(keys)) >= CHILDLESS)
    if not weights.any():
        weights[:] = 1.0
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]

    def gen(ctx: Ctx) -> list[Any]:
        picks = np.minimum(np.searchsorted(cdf, ctx.rng.random(ctx.n), side="right"), len(keys) - 1)
        return keys[picks].tolist()  # type: ignore[no-any-return]

    return gen


def one_each(free: np.ndarray, rank: Ranker, seed: int, table: str, column: str) -> Gen:
    """A parent of its own for every row: the free parents, shuffled once, by rank."""
    order = free[_stream(seed, "one-each", table, column).permutation(len(free))]

    def gen(ctx: Ctx) -> list[Any]:
        return order[rank(ctx.index) % len(order)].tolist()  # type: ignore[no-any-return]

    return gen


class PairSlots:
    """Unique (a, b) pairs for a link table, by the row's rank in the run."""

    def __init__(
        self,
        keys_a: np.ndarray,
        keys_b: np.ndarray,
        taken: Sequence[tuple[Any, Any]],
        rank: Ranker,
        seed: int,
        table: str,
        distinct: bool = False,
    ) -> None:
        self.keys_a, self.keys_b, self.rank = keys_a, keys_b, rank
        na, nb = len(keys_a), len(keys_b)
        rng = _stream(seed, "pairs", table)
        self.perm_a = rng.permutation(na)
        self.offset_b = rng.integers(0, max(nb, 1), na)
        taken_q = self._numbers(taken)
        want = rank.total
        # `distinct`: a model's link to itself pairs a row with other rows only (one pair
        # per row is left out, so look that much further).
        extra = na if distinct else 0
        candidates = np.arange(min(want + len(taken_q) + extra, na * nb), dtype=np.int64)
        keep = ~np.isin(candidates, taken_q)
        if distinct:
            a, b = self._indices(candidates)
            keep &= keys_a[a] != keys_b[b]
        self.free_q = candidates[keep][:want]

    def _indices(self, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        na, nb = len(self.keys_a), len(self.keys_b)
        slot = q % na
        return self.perm_a[slot], (q // na + self.offset_b[slot]) % nb

    def _numbers(self, taken: Sequence[tuple[Any, Any]]) -> np.ndarray:
        if not taken:
            return np.empty(0, dtype=np.int64)
        na, nb = len(self.keys_a), len(self.keys_b)
        a = np.array([x for x, _ in taken], dtype=self.keys_a.dtype)
        b = np.array([y for _, y in taken], dtype=self.keys_b.dtype)
        pa, pb = np.searchsorted(self.keys_a, a), np.searchsorted(self.keys_b, b)
        known = (pa < na) & (pb < nb)
        pa, pb = pa[known], pb[known]
        slot = np.argsort(self.perm_a)[pa]
        t = (pb - self.offset_b[slot]) % nb
        return np.unique(slot + na * t)

    def _pair(self, ctx: Ctx) -> tuple[np.ndarray, np.ndarray]:
        return self._indices(self.free_q[self.rank(ctx.index) % max(len(self.free_q), 1)])

    def first(self, ctx: Ctx) -> list[Any]:
        return self.keys_a[self._pair(ctx)[0]].tolist()  # type: ignore[no-any-return]

    def second(self, ctx: Ctx) -> list[Any]:
        return self.keys_b[self._pair(ctx)[1]].tolist()  # type: ignore[no-any-return]


def self_at_first(pk: Column) -> Gen:
    """A NOT NULL reference to the own table: the row itself, until the fill sets a parent."""

    def gen(ctx: Ctx) -> list[Any]:
        return list(ctx.row[pk.attr])

    gen.derived = True  # type: ignore[attr-defined]  # runs after the key is made
    return gen


def nulls(ctx: Ctx) -> list[Any]:
    return [None] * ctx.n


# --- deferred references ------------------------------------------------------------

ROOT_RATE = 0.2  # share of rows of a tree with no parent (when the column allows NULL)


def fill_values(
    run_keys: Sequence[Any],
    parent_keys: np.ndarray,
    column: Column,
    self_reference: bool,
    seed: int,
    table: str,
) -> list[tuple[Any, Any]]:
    """(new value, row key) for every row of a run whose deferred column is filled now.

    A reference to the own table points at a row that comes earlier in key order, so the
    rows form trees, never loops.
    """
    rng = _stream(seed, "fill", table, column.name)
    keys = [_norm(k) for k in run_keys]
    n = len(keys)
    if n == 0 or len(parent_keys) == 0:
        return []
    u = rng.random(n)
    empty = rng.random(n) < (ROOT_RATE if self_reference else 0.1)
    out: list[tuple[Any, Any]] = []
    if self_reference:
        probe = np.array(keys, dtype=parent_keys.dtype)
        position = np.searchsorted(parent_keys, probe)
        for key, pos, x, e in zip(keys, position.tolist(), u.tolist(), empty.tolist()):
            if pos == 0 or (e and column.nullable):
                out.append((None if column.nullable else key, key))
            else:
                out.append((_item(parent_keys[int(x * pos)]), key))
        return out
    pick = (u * len(parent_keys)).astype(np.int64)
    for key, i, e in zip(keys, pick.tolist(), empty.tolist()):
        out.append((None if e and column.nullable else _item(parent_keys[i]), key))
    return out


def _item(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value



def fill_unique(
    run_keys: Sequence[Any],
    free: np.ndarray,
    column: Column,
    self_reference: bool,
    seed: int,
    table: str,
) -> list[tuple[Any, Any]]:
    """Like `fill_values` for a one-to-one (unique) column: each free parent at most once.

    A reference to the own table takes a free row earlier in key order (chains, never
    loops); a row left without one stays NULL.
    """
    rng = _stream(seed, "fill-unique", table, column.name)
    keys = sorted(_norm(k) for k in run_keys)
    u = rng.random(len(keys)).tolist()
    empty = (rng.random(len(keys)) < (ROOT_RATE if self_reference else 0.1)).tolist()
    parents = [_item(p) for p in free]  # sorted
    if not self_reference:
        parents = [parents[i] for i in rng.permutation(len(parents)).tolist()]
    pool: list[Any] = []
    j = 0
    out: list[tuple[Any, Any]] = []
    for key, x, e in zip(keys, u, empty):
        if self_reference:
            while j < len(parents) and parents[j] < key:
                pool.append(parents[j])
                j += 1
        elif j < len(parents):
            pool.append(parents[j])
            j += 1
        if e or not pool:
            out.append((None, key))
            continue
        i = int(x * len(pool))
        pool[i], pool[-1] = pool[-1], pool[i]
        out.append((pool.pop(), key))
    return out
