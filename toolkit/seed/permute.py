"""A keyed permutation of [0, size): row indices mixed into values that never repeat.

Unique values that must not show the row index (an email's name part) are the image of the
index under a bijection, so two rows can't collide and no row needs a retry. A Feistel
network permutes [0, 4**h) for the smallest 4**h >= size; values that land past `size` are
permuted again (cycle walking), which keeps the map a bijection of [0, size).
"""

from __future__ import annotations

import numpy as np

_ROUNDS = 3  # three rounds already make a Feistel network a pseudo-random permutation
_MUL = np.uint64(0x9E3779B97F4A7C15)


def _round_keys(key: int) -> list[np.uint64]:
    rng = np.random.default_rng([key, 0x5EED])
    return [np.uint64(k) for k in rng.integers(0, 2**63, _ROUNDS, dtype=np.int64)]


def _feistel(x: np.ndarray, half: int, keys: list[np.uint64]) -> np.ndarray:
    mask = np.uint64((1 << half) - 1)
    shift = np.uint64(half)
    left, right = x >> shift, x & mask
    for k in keys:
        mixed = (right ^ k) * _MUL
        mixed ^= mixed >> np.uint64(29)
        left, right = right, left ^ (mixed & mask)
    out: np.ndarray = (left << shift) | right
    return out


def permuted(index: np.ndarray, size: int, key: int) -> np.ndarray:
    """The images of `index` (each in [0, size)) under the permutation named by `key`."""
    if size <= 1:
        return np.zeros(len(index), dtype=np.int64)
    half = max(1, ((size - 1).bit_length() + 1) // 2)
    keys = _round_keys(key)
    with np.errstate(over="ignore"):  # the multiply wraps modulo 2**64 on purpose
        x = _feistel(index.astype(np.uint64), half, keys)
        out = x >= np.uint64(size)
        while out.any():
            x[out] = _feistel(x[out], half, keys)
            out = x >= np.uint64(size)
    return x.astype(np.int64)
