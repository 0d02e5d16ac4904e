"""Loading one run's rows, batch by batch.

Generation runs in one worker thread, a batch ahead of the loads; at most `concurrency`
batches are being written at once. So memory holds at most concurrency + 2 batches,
whatever `--count` is. Each batch is committed together with its ledger record.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from toolkit.backends.base import Connection
from toolkit.seed import ledger
from toolkit.seed.report import Progress
from toolkit.seed.rows import RowMaker

Rows = list[tuple[Any, ...]]
RETRIES = 3  # attempts after a deadlock or serialization failure, per batch
_RETRIED_SQLSTATES = {"40001", "40P01"}  # PostgreSQL: serialization failure, deadlock
_MYSQL_DEADLOCK = 1213


def retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the database rolled the batch back, so loading
    it again is safe."""
    if getattr(exc, "sqlstate", None) in _RETRIED_SQLSTATES:
        return True
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    return bool(args) and args[0] == _MYSQL_DEADLOCK
Batch = list[tuple[int, int]]  # (first index, count) ranges


def subtract(
    ranges: Iterator[tuple[int, int]], done: Sequence[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """`ranges` minus the committed (first, count) ranges in `done`, both sorted."""
    done_iv = sorted((a, a + c) for a, c in done)
    j = 0
    for lo, hi in ranges:
        while j < len(done_iv) and done_iv[j][1] <= lo:
            j += 1
        k = j
        cur = lo
        while k < len(done_iv) and done_iv[k][0] < hi:
            a, b = done_iv[k]
            if a > cur:
                yield cur, a
            cur = max(cur, b)
            k += 1
        if cur < hi:
            yield cur, hi


class Todo:
    """The index ranges a run still loads, made each time they are read: a shard of a huge
    run owns one range per chunk it owns (a billion rows: 120,000 of them per shard), too
    many to keep as a list."""

    def __init__(self, ranges: Callable[[], Iterator[tuple[int, int]]]) -> None:
        self._ranges = ranges

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return self._ranges()

    def rows(self) -> int:
        return sum(hi - lo for lo, hi in self)


def batches(ranges: Iterator[tuple[int, int]], size: int) -> Iterator[Batch]:
    """Group ranges into batches of `size` rows; a batch is a list of (first, count)."""
    batch: Batch = []
    filled = 0
    for lo, hi in ranges:
        while lo < hi:
            take = min(hi - lo, size - filled)
            batch.append((lo, take))
            filled += take
            lo += take
            if filled == size:
                yield batch
                batch, filled = [], 0
    if batch:
        yield batch


class ProgressCounter:
    """Adds up committed rows of one table and reports them."""

    def __init__(self, report: Callable[[Progress], None], table: str, done: int, total: int) -> None:
        self.report, self.table, self.done, self.total = report, table, done, total

    def __call__(self, rows: int) -> None:
        self.done += rows
        self.report(Progress(self.table, self.done, self.total))


class Stop:
    """Set by Ctrl-C: finish the batches in flight, start no new one."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> None:
        self.requested = True


class _Loads:
    """The batches being written, counted as they commit."""

    def __init__(
        self, conn: Connection, maker: RowMaker, run: ledger.Run, on_batch: Callable[[int], None]
    ) -> None:
        self.conn, self.maker, self.run, self.on_batch = conn, maker, run, on_batch
        self.loaded = 0
        self.in_flight: set[asyncio.Task[int]] = set()

    def make(self, batch: Batch) -> tuple[Rows, Batch]:
        rows: Rows = []
        for first, count in batch:
            rows += self.maker.rows(first, first + count)
        return rows, batch

    async def _load(self, rows: Rows, batch: Batch) -> int:
        table = self.maker.table.name
        for attempt in range(RETRIES + 1):
            try:
                await self.conn.load(
                    table, self.maker.columns, rows, ledger.batch_record(self.run, batch)
                )
                break
            except Exception as exc:
                if attempt == RETRIES or not retryable(exc):
                    raise
                await asyncio.sleep(0.05 * (attempt + 1))
        return len(rows)

    def start(self, rows: Rows, batch: Batch) -> None:
        self.in_flight.add(asyncio.create_task(self._load(rows, batch)))

    async def wait_below(self, limit: int) -> None:
        while len(self.in_flight) >= limit:
            done, self.in_flight = await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
            self._collect(done)

    async def finish(self) -> None:
        if self.in_flight:
            done, _ = await asyncio.wait(self.in_flight)
            self._collect(done)

    def _collect(self, done: set[asyncio.Task[int]]) -> None:
        # Every committed batch is counted before a failure is raised: the report and the
        # progress then match what the ledger holds.
        failures = [e for e in (t.exception() for t in done) if e is not None]
        for task in done:
            if task.exception() is None:
                self.loaded += task.result()
                self.on_batch(task.result())
        if failures:
            raise failures[0]


async def load_run(
    conn: Connection,
    maker: RowMaker,
    run: ledger.Run,
    ranges: Iterator[tuple[int, int]],
    concurrency: int,
    stop: Stop,
    on_batch: Callable[[int], None],
    batch_size: int,
) -> int:
    """Load the rows of `ranges`; returns how many were committed."""
    loads = _Loads(conn, maker, run, on_batch)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="toolkit-generate") as pool:
        batch_iter = batches(ranges, batch_size)
        first = next(batch_iter, None)
        ahead = loop.run_in_executor(pool, loads.make, first) if first is not None else None
        try:
            while ahead is not None and not stop.requested:
                rows, batch = await ahead
                following = next(batch_iter, None)
                ahead = loop.run_in_executor(pool, loads.make, following) if following else None
                await loads.wait_below(concurrency)
                loads.start(rows, batch)
        finally:
            await loads.finish()
            if ahead is not None:
                with contextlib.suppress(BaseException):
                    await ahead
    return loads.loaded
