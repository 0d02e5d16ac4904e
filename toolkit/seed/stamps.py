"""A column of UTC times kept as microseconds, made into Python datetimes only when asked.

Making a million aware `datetime` objects, then their ISO text, costs more than the rest of
a `users` row; the bulk path wants only the text, which numpy writes for a whole column at
once. Anything that iterates or indexes the column gets the same datetimes as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Stamps(Sequence[Any]):
    """Aware UTC datetimes (or None where `nulls` is set), column-wise."""

    def __init__(self, micros: np.ndarray, nulls: np.ndarray | None = None) -> None:
        self.micros = micros.astype(np.int64, copy=False)
        self.nulls = nulls
        self._objects: list[Any] | None = None

    def __len__(self) -> int:
        return len(self.micros)

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> Stamps: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return Stamps(self.micros[i], None if self.nulls is None else self.nulls[i])
        return self.objects()[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.objects())

    def objects(self) -> list[Any]:
        """The values as Python objects (built once)."""
        if self._objects is None:
            utc = dt.UTC
            made = [d.replace(tzinfo=utc) for d in self.micros.astype("datetime64[us]").astype(object).tolist()]
            if self.nulls is not None:
                made = [None if z else d for d, z in zip(made, self.nulls.tolist())]
            self._objects = made
        return self._objects

    def with_nulls(self, nulls: np.ndarray) -> Stamps:
        return Stamps(self.micros, nulls if self.nulls is None else nulls | self.nulls)

    def iso_texts(self, sep: str = "T", null: Any = None, offset: str = "") -> list[Any]:
        """ISO text of each value in UTC, then `offset`, `null` where NULL; microseconds
        only when not zero, as `datetime.isoformat` writes them."""
        texts = np.datetime_as_string(self.micros.astype("datetime64[us]"), unit="us")
        whole = self.micros % 1_000_000 == 0
        if whole.any():
            texts = np.where(whole, np.char.partition(texts, ".")[:, 0], texts)
        out: list[Any] = texts.tolist()
        if sep != "T" or offset:
            out = [f"{t[:10]}{sep}{t[11:]}{offset}" for t in out]
        if self.nulls is not None:
            out = [null if z else t for t, z in zip(out, self.nulls.tolist())]
        return out

    def copy_text(self) -> list[str]:
        """COPY text fields; the bulk load's session reads times in UTC."""
        return self.iso_texts(null="\\N")

    def sqlite_text(self) -> list[Any]:
        """What Tortoise's SQLite adapter stores: `isoformat(" ")` of the aware value."""
        return self.iso_texts(sep=" ", offset="+00:00")

    @staticmethod
    def concat(parts: Sequence[Stamps]) -> Stamps:
        nulls = [p.nulls if p.nulls is not None else np.zeros(len(p), bool) for p in parts]
        any_nulls = any(p.nulls is not None for p in parts)
        return Stamps(
            np.concatenate([p.micros for p in parts]) if parts else np.zeros(0, np.int64),
            np.concatenate(nulls) if any_nulls else None,
        )


def joined(parts: Sequence[Sequence[Any]]) -> Sequence[Any]:
    """One column from its pieces: still `Stamps` when every piece is."""
    if parts and all(isinstance(p, Stamps) for p in parts):
        return Stamps.concat(parts)  # type: ignore[arg-type]
    if len(parts) == 1 and isinstance(parts[0], list):
        return parts[0]
    out: list[Any] = []
    for p in parts:
        out += p
    return out


def micros_of(value: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (value - _EPOCH) // dt.timedelta(microseconds=1)
