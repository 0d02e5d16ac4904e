"""The bulk path: an empty table's run loaded in one transaction, its indexes built after.

Building a B-tree from sorted input is several times cheaper than inserting into it row by
row, and a foreign key validated once over the loaded rows is cheaper than checked per row;
so for an empty table the database's own limit is "load unindexed, then index". The
backend does it in one transaction no other session can see into (`Connection.bulk_load`);
rows are made and encoded in a generator process (`producer.py`), so generation and the
database's work overlap on two cores.

Exactly-once holds as on the batch path: the run's rows and their ledger record commit
together. After a kill -9 nothing of the table is kept and the ledger shows the run with
no rows, so `--resume` loads it again, from an empty table, by this path. Ctrl-C stops the
generator; the rows already written are indexed and committed with their record, and
`--resume` appends the rest by the batch path. Sharded runs never take this path: shards
share the table, so none may take its indexes away (each appends with indexes live).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from typing import Any

from toolkit.backends.base import Backend, Connection
from toolkit.seed import ledger
from toolkit.seed.chunks import CHUNK_ROWS
from toolkit.seed.loader import Batch, Stop
from toolkit.seed.producer import produced, worker_count
from toolkit.seed.request import SeedRequest
from toolkit.seed.rows import RowMaker

# Below this many rows the load is a fraction of a second either way, and dropping and
# making indexes is most of the bulk path's work (a chosen bound, not a measured crossover);
# `--indexes after` takes the path whatever the size.
AUTO_MIN_ROWS = 50_000
# Rows per COPY: large enough that a statement's overhead vanishes, small enough that the
# generator's queue stays a few megabytes. A whole number of chunks: batches start on a
# chunk's first row, so no two workers make the same chunk.
BULK_BATCH_ROWS = 5 * CHUNK_ROWS


def wanted(request: SeedRequest, rows: int) -> bool:
    """Whether this run should try the bulk path (the table must still prove empty)."""
    if request.indexes == "live" or request.shard[1] > 1:
        return False
    return request.indexes == "after" or rows >= AUTO_MIN_ROWS


def aligned(ranges: Iterator[tuple[int, int]], size: int) -> Iterator[Batch]:
    """Batches of `ranges` cut at the multiples of `size` (absolute row indices)."""
    for lo, hi in ranges:
        while lo < hi:
            cut = min(hi, (lo // size + 1) * size)
            yield [(lo, cut - lo)]
            lo = cut


def merged(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """(first, count) ranges with neighbours joined: one ledger row for a whole run."""
    out: list[tuple[int, int]] = []
    for first, count in sorted(ranges):
        if out and out[-1][0] + out[-1][1] == first:
            out[-1] = (out[-1][0], out[-1][1] + count)
        else:
            out.append((first, count))
    return out


async def load_empty(
    conn: Connection,
    backend: Backend,
    maker: RowMaker,
    run: ledger.Run,
    todo: Iterable[tuple[int, int]],
    stop: Stop,
    on_rows: Callable[[int], None],
) -> int | None:
    """Load `todo` into the empty table in one transaction; the rows committed, or None
    when the table turned out not to be empty (or the database has no bulk path)."""
    async with conn.bulk_load(maker.table.name, maker.columns) as load:
        if load is None:
            return None
        encode = load.encoder
        written: list[tuple[int, int]] = []
        loaded = 0
        # The first row made here builds the value pools once, before the workers fork.
        first = next(iter(todo))[0]
        maker.columns_of(first, first + 1)
        stream = produced(maker, encode, aligned(iter(todo), BULK_BATCH_ROWS), worker_count())

        async def payloads() -> AsyncGenerator[Any, None]:
            nonlocal loaded
            async with contextlib.aclosing(stream) as items:
                async for batch, payload, rows in items:
                    yield payload
                    # Asked for the next one: this one is with the database.
                    written.extend(batch)
                    loaded += rows
                    on_rows(rows)
                    if stop.requested:
                        return

        async with contextlib.aclosing(payloads()) as source:
            await load.write_all(source)
        for sql, args in ledger.batch_record(run, merged(written)):
            await load.execute(sql, *args)
    return loaded
