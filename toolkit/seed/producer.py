"""Batches made and encoded in a generator process beside the loading one.

Making rows is pure Python and holds the GIL; the loading process forwards bytes to the
database. In two processes the two use two cores. The child is forked, so it starts with
the run's plans (parent keys included) without pickling them, and it never runs the
parent's cleanup: multiprocessing ends it with `os._exit`, leaving inherited sockets alone.

At most `AHEAD` batches wait in the queue, so memory stays bounded whatever `--count` is.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import queue as queues
import resource
import signal
import stat
from collections.abc import AsyncGenerator, Callable, Iterator, Sequence
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.seed.rows import RowMaker
from toolkit.seed.stamps import joined

AHEAD = 4
MAX_WORKERS = 4
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
Batch = list[tuple[int, int]]
Encode = Callable[[Sequence[Sequence[Any]]], Any]  # columns of values -> what the loader takes


def _make(maker: RowMaker, encode: Encode, batch: Batch) -> tuple[Any, int]:
    parts: list[list[Sequence[Any]]] = [[] for _ in maker.columns]
    for first, count in batch:
        for mine, made in zip(parts, maker.columns_of(first, first + count)):
            mine.append(made)
    return encode([joined(p) for p in parts]), sum(c for _, c in batch)


def _detach(parent: int) -> None:
    """Cut the child loose from the parent's connections, and tie its life to the parent's.

    A forked child holds copies of the parent's sockets: were the parent killed, the child
    alone would keep its database session, and the transaction of the load, open (and the
    table locked) until the child ended. So the child closes every inherited socket, and
    asks the kernel (Linux) to kill it when the parent dies.
    """
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request was in place
        os._exit(1)
    for fd in _open_fds():
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)


def _open_fds() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # no /proc: every descriptor number below the limit
        return list(range(3, min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 4096)))


def _put(queue: Any, item: tuple[Any, ...], parent: int) -> None:
    """Put `item`, waiting for room; give up (and end) if the parent is gone."""
    while True:
        try:
            queue.put(item, timeout=1)
            return
        except queues.Full:
            if os.getppid() != parent:
                os._exit(1)


def _child(
    maker: RowMaker, encode: Encode, batches: Iterator[Batch], queue: Any, mine: int, workers: int,
    parent: int,
) -> None:
    # Ctrl-C reaches the whole process group; the parent decides when this child stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _detach(parent)
    try:
        for number, batch in enumerate(batches):
            if number % workers == mine:
                payload, rows = _make(maker, encode, batch)
                _put(queue, ("batch", batch, payload, rows), parent)
        _put(queue, ("end", None, None, 0), parent)
    except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent, in words
        message = str(exc) if isinstance(exc, ToolkitError) else f"{type(exc).__name__}: {exc}"
        _put(queue, ("error", type(exc).__name__, message, 0), parent)
    finally:
        queue.close()
        queue.join_thread()


class ProducerFailed(ToolkitError):
    """The generator process stopped on an error; its message is the child's own."""


def worker_count() -> int:
    """Generator processes: one per core, beyond the first two only for a remote server's
    sake; the loading process itself mostly waits."""
    return max(1, min(os.cpu_count() or 1, MAX_WORKERS))


async def produced(
    maker: RowMaker, encode: Encode, batches: Iterator[Batch], workers: int = 1
) -> AsyncGenerator[tuple[Batch, Any, int], None]:
    """(batch, encoded rows, row count) in order, made by `workers` forked processes that
    take batches in turn."""
    context = multiprocessing.get_context("fork")
    queues = [context.Queue(AHEAD) for _ in range(workers)]
    processes = [
        context.Process(target=_child, args=(maker, encode, batches, q, k, workers, os.getpid()), daemon=True)
        for k, q in enumerate(queues)
    ]
    for process in processes:
        process.start()
    loop = asyncio.get_running_loop()
    try:
        for turn in itertools.count():
            k = turn % workers
            kind, batch, payload, rows = await loop.run_in_executor(None, _get, queues[k], processes[k])
            if kind == "end":
                return
            if kind == "error":
                raise ProducerFailed(payload)
            yield batch, payload, rows
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process, q in zip(processes, queues):
            await loop.run_in_executor(None, process.join, 5)
            with contextlib.suppress(Exception):
                q.close()


def _get(queue: Any, process: Any) -> tuple[str, Any, Any, int]:
    while True:
        try:
            item: tuple[str, Any, Any, int] = queue.get(timeout=1)
            return item
        except queues.Empty:
            if not process.is_alive() and queue.empty():
                code = process.exitcode
                return ("error", None, f"the generator process ended unexpectedly (exit code {code})", 0)
