"""Text columns that hold identifiers: external ids, uuids, tokens, keys, file paths.

A `user_id` or `bot_id` kept as text holds digits, a `token` hex, a `path` a path: words
there would give the data away. Unique ones are derived from the row index through a
keyed permutation, so they never collide and don't count up row by row.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np

from toolkit.seed.composed import _words
from toolkit.seed.generators import Ctx, compact_tokens, fit
from toolkit.seed.permute import permuted
from toolkit.seed.pools import objects

_ID_DIGITS = 10  # a ten-digit id, like a chat platform's user ids
_HEX = np.asarray(list("0123456789abcdef"), dtype=object)


def _narrow(ctx: Ctx, width: int) -> bool:
    limit = ctx.column.max_length
    return limit is not None and limit < width


def external_id(ctx: Ctx) -> list[Any]:
    """Ten digits, not starting with 0; unique ones a permutation of the row index."""
    if _narrow(ctx, _ID_DIGITS):
        if ctx.column.unique:
            return compact_tokens(ctx)
        digits = ctx.column.max_length or 1
        return [str(v) for v in ctx.rng.integers(10 ** (digits - 1), 10**digits, ctx.n).tolist()]
    span = 9 * 10 ** (_ID_DIGITS - 1)
    if ctx.column.unique:
        values = permuted(ctx.index % span, span, ctx.key) + 10 ** (_ID_DIGITS - 1)
        return [str(v) for v in values.tolist()]  # past 9e9 rows compact_tokens would be needed
    return [str(v) for v in ctx.rng.integers(10 ** (_ID_DIGITS - 1), 10**_ID_DIGITS, ctx.n).tolist()]


def uuid_text(ctx: Ctx) -> list[Any]:
    """A version-4 UUID as text; 32 hex digits in a narrower column. Random 122 bits: a
    repeat is less likely than a disk error."""
    raw = ctx.rng.bytes(16 * ctx.n)
    made = [uuid.UUID(bytes=raw[i : i + 16], version=4) for i in range(0, 16 * ctx.n, 16)]
    if not _narrow(ctx, 36):
        return [str(u) for u in made]
    if not _narrow(ctx, 32):
        return [u.hex for u in made]
    return token(ctx)


def token(ctx: Ctx) -> list[Any]:
    """Hex, as long as the column allows up to 40 digits (a SHA-1's worth)."""
    width = min(ctx.column.max_length or 40, 40)
    digits = _HEX[ctx.rng.integers(0, 16, (width, ctx.n))]
    out = digits[0]
    for j in range(1, width):
        out = out + digits[j]
    values: list[Any] = out.tolist()
    if ctx.column.unique:
        if width < 16:
            return compact_tokens(ctx)
        # The first 16 digits are the row index, permuted: unique by construction.
        head = permuted(ctx.index, 2**62, ctx.key).tolist()
        return [f"{h:016x}{v[16:]}" for h, v in zip(head, values)]
    return values


_EXTENSIONS = ("pdf", "png", "jpg", "csv", "txt", "json", "docx", "mp4", "zip", "xlsx")
_ROOTS = ("/var/data", "/srv/files", "/home/app/uploads", "/opt/media", "/data")


def path(ctx: Ctx) -> list[Any]:
    """`/srv/files/harbor/report_48213.pdf`: a root, a word for the folder, a file name."""
    words, _ = _words(ctx.pools)
    plain = ctx.pools.cached("_path_words", lambda: objects(
        [w.lower() for w in words.tolist() if w.isascii() and w.isalpha()] or ["file"]
    ))
    roots, exts = objects(list(_ROOTS)), objects(list(_EXTENSIONS))
    name = ctx.column.attr.lower()
    folder = roots[ctx.rng.integers(0, len(roots), ctx.n)] + "/" + plain[ctx.rng.integers(0, len(plain), ctx.n)]
    numbers = objects([str(v) for v in ctx.rng.integers(1, 100_000, ctx.n).tolist()])
    if ctx.column.unique:
        numbers = objects([str(v) for v in ctx.index.tolist()])
    file = plain[ctx.rng.integers(0, len(plain), ctx.n)] + "_" + numbers + "." + exts[ctx.rng.integers(0, len(exts), ctx.n)]
    full = file if "name" in name else folder + "/" + file
    values: list[Any] = full.tolist()
    if ctx.column.unique and ctx.column.max_length is not None and max(map(len, values)) > ctx.column.max_length:
        return compact_tokens(ctx)
    return fit(values, ctx.column.max_length)
