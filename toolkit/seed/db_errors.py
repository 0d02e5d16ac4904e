"""A database failure during a run, told once: the server's reason and how to finish."""

from __future__ import annotations

import asyncio
from typing import Any

from toolkit.backends.base import Backend
from toolkit.errors import ToolkitError
from toolkit.settings import Settings


def resume_command(settings: Settings, shard: tuple[int, int] = (1, 1)) -> str:
    """The command that finishes this run, with the options that pointed at this database."""
    parts = ["toolkit"]
    if settings.config_source == "flag":
        parts += ["--config", str(settings.config_path)]
    parts += ["--env", settings.env]
    if settings.url_source == "flag":
        # The URL itself would show its password; masked, it wouldn't connect.
        parts += ["--database-url", "<the same URL>"]
    parts += ["seed", "--resume"]
    if shard[1] > 1:
        parts += ["--shard", f"{shard[0]}/{shard[1]}"]
    return " ".join(parts)


def quiet_fallout(loop: asyncio.AbstractEventLoop, backend: Backend) -> Any:
    """Keep a lost connection's echoes off stderr: the error names the loss once, with the fix.

    The driver reports them through the loop's exception handler ("Future exception was never
    retrieved", ...). Returns the previous handler, for the caller to put back.
    """
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if backend.is_fallout(context):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    return previous


def explain_db_error(
    exc: BaseException, backend: Backend, table: str, resume: str = "toolkit seed --resume"
) -> ToolkitError:
    # The first error in the chain is the server's reason; later ones are the fallout.
    chain = [exc]
    while chain[-1].__cause__ or chain[-1].__context__:
        nxt = chain[-1].__cause__ or chain[-1].__context__
        assert nxt is not None
        chain.append(nxt)
    # With concurrent batches the fallout of one cut connection can surface first.
    reason = next((e for e in reversed(chain) if backend.is_server_reason(e)), None)
    root = reason or chain[-1]
    text = (str(root) or type(root).__name__).splitlines()[0]
    if any(backend.is_connection_lost(e) for e in chain):
        if reason is None and not isinstance(root, OSError):
            text = "the connection was closed"  # the client library's own state, not a cause
        return ToolkitError(
            f"lost the connection to {backend.label} at {backend.where} while seeding {table} "
            f"({text}); committed batches are kept: run `{resume}` to finish"
        )
    return ToolkitError(f"seeding {table} failed: {text}; committed batches are kept")
