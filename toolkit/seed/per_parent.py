"""Children per parent: "each User gets 0-5 Posts", "3 Comments per Post".

Laravel's `has()` and Snaplet's `x(3)`, written in seeds/:
`SeedDefinition(model="Post", per_parent={"author": (0, 5)})`. The model's row count then
follows from its parent's rows (the count asked for is not used), and parent number p of
the parent's keys, in key order, gets `count[p]` children, drawn once per (seed, table,
column). A child's parent follows from its offset in the run, so batches, concurrency,
shards and `--resume` give every row the same parent.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from toolkit.errors import ConfigError
from toolkit.seed.generators import Ctx, Gen
from toolkit.seed.permute import permuted


@dataclass(frozen=True)
class PerParent:
    """Between `low` and `high` children (inclusive) for every parent row of `column`."""

    column: str  # the foreign key's attribute name
    low: int
    high: int

    def describe(self, parent: str) -> str:
        many = str(self.low) if self.low == self.high else f"{self.low}-{self.high}"
        return f"{many} per {parent}"


def parse(model: str, given: Mapping[str, Any]) -> PerParent | None:
    """The definition's `per_parent` (one foreign key at most), checked."""
    if not given:
        return None
    if len(given) > 1:
        raise ConfigError(f"seeds/ {model}: per_parent names {len(given)} foreign keys; give one")
    column, value = next(iter(given.items()))
    low, high = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (list, tuple)) and len(value) == 2 else (None, None)
    if not (isinstance(low, int) and isinstance(high, int) and 0 <= low <= high) or isinstance(low, bool):
        raise ConfigError(
            f"seeds/ {model}: per_parent {{{column!r}: {value!r}}} must be a count or a (low, high) "
            f"pair of counts, as in per_parent={{{column!r}: (0, 5)}}"
        )
    return PerParent(column, low, high)


def counts(seed: int, table: str, column: str, parents: int, rule: PerParent) -> np.ndarray:
    """How many children each of `parents` parents gets, by the parent's place in key order."""
    labels = [zlib.crc32(x.encode()) for x in ("per-parent", table, column)]
    rng = np.random.default_rng([seed, *labels])
    made: np.ndarray = rng.integers(rule.low, rule.high + 1, parents)
    return made


def children(keys: np.ndarray, per: np.ndarray, start: int) -> Gen:
    """The parent of each child row: parent p takes `per[p]` of the run's rows, spread
    over the run by a permutation (a writer's posts are not one block of ids)."""
    n = min(len(keys), len(per))
    ends = np.cumsum(per[:n])
    total = int(ends[-1]) if n else 0

    def gen(ctx: Ctx) -> list[Any]:
        offset = ctx.index - start
        if total:
            offset = permuted(offset % total, total, ctx.key)
        at = np.minimum(np.searchsorted(ends, offset, side="right"), max(n - 1, 0))
        return keys[at].tolist()  # type: ignore[no-any-return]

    return gen
