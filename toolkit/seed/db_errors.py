"""A database failure during a run, told once: the server's reason and how to finish."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from typing import Any

from toolkit.backends.base import Backend
from toolkit.errors import ToolkitError
from toolkit.seed.loader import RETRIES, retryable
from toolkit.seed.table import Table
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
    exc: BaseException,
    backend: Backend,
    table: Table | str,
    resume: str = "toolkit seed --resume",
    loaded: Sequence[str] = (),
) -> ToolkitError:
    """One line for a load that failed: the server's reason, the column and the fix when the
    reason is a predictable one, and what stayed. `loaded`: the models loaded before it."""
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
    name = table if isinstance(table, str) else table.name
    if any(backend.is_connection_lost(e) for e in chain):
        if reason is None and not isinstance(root, OSError):
            text = "the connection was closed"  # the client library's own state, not a cause
        return ToolkitError(
            f"lost the connection to {backend.label} at {backend.where} while seeding {name} "
            f"({text}); committed batches are kept: run `{resume}` to finish"
        )
    if backend.is_disk_full(exc):  # what the user must do first is free space
        what = name if isinstance(table, str) else f"{table.model} ({name})"
        before = f" ({', '.join(loaded)} loaded before it)" if loaded else ""
        return ToolkitError(
            f"the disk of {backend.label} at {backend.where} is full ({text}) while seeding "
            f"{what}; the batch being written was rolled back, committed batches are kept{before}: "
            f"free some space, then run `{resume}` to finish"
        )
    if isinstance(table, str):
        return ToolkitError(f"seeding {table} failed: {text}; committed batches are kept")
    stopped = _stopped(table, loaded, resume)
    duplicate = next((d for d in map(_duplicate, chain) if d is not None), None)
    if duplicate is not None:
        return ToolkitError(f"{_explain_duplicate(table, *duplicate)}; {stopped}")
    if retryable(root):
        return ToolkitError(
            f"seeding {table.model} ({name}) failed: {text}, still after {RETRIES} retries: "
            f"other sessions keep writing to {name} or the tables it points at; run it again "
            f"when they are idle, or with --concurrency 1; {stopped}"
        )
    return ToolkitError(f"seeding {table.model} ({name}) failed: {text}; {stopped}")


def _stopped(table: Table, loaded: Sequence[str], resume: str) -> str:
    before = f" ({', '.join(loaded)} loaded before it)" if loaded else ""
    return (
        f"seeding stopped at {table.model}{before}; committed batches are kept: "
        f"run `{resume}` to finish"
    )


# Each server's words for a unique key that a row would repeat.
_PG_KEY = re.compile(r"Key \((?P<cols>.+?)\)=\((?P<value>.*)\) already exists")
_MYSQL_KEY = re.compile(r"Duplicate entry '(?P<value>.*)' for key '(?P<key>[^']+)'")
_SQLITE_COLUMNS = re.compile(r"UNIQUE constraint failed: (?P<cols>[^']+)$")
_SQLITE_INDEX = re.compile(r"UNIQUE constraint failed: index '(?P<key>[^']+)'")


def _duplicate(exc: BaseException) -> tuple[tuple[str, ...], str, str | None] | None:
    """(columns, key name, value) of a unique violation (each may be unknown), else None."""
    if getattr(exc, "sqlstate", None) == "23505":  # PostgreSQL
        key = str(getattr(exc, "constraint_name", None) or "")
        found = _PG_KEY.search(str(getattr(exc, "detail", None) or ""))
        if found is None:
            return (), key, None
        cols = tuple(c.strip().strip('"') for c in found["cols"].split(","))
        return cols, key, found["value"]
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) == 2 and args[0] == 1062:  # MySQL: ER_DUP_ENTRY
        found = _MYSQL_KEY.search(str(args[1]))
        if found is None:
            return None
        return (), found["key"], found["value"]
    text = str(exc)
    if (found := _SQLITE_COLUMNS.search(text)) is not None:
        return tuple(c.strip().rsplit(".", 1)[-1] for c in found["cols"].split(",")), "", None
    if (found := _SQLITE_INDEX.search(text)) is not None:
        return (), found["key"], None
    return None


def _key_columns(table: Table, key: str) -> tuple[str, ...]:
    """The columns of a unique key the server names only by name, by the names the schema's
    makers give keys: MySQL names a column's own key after it (`email`, `email_2`) and
    PostgreSQL `<table>_<columns>_key`; Tortoise names a unique_together `uid_<table>_<first
    column>_<hash>`."""
    key = key.rsplit(".", 1)[-1]  # MySQL 8 says `table.key`
    names = {c.name for c in table.columns}
    pk = table.primary_key
    if pk is not None and key in ("PRIMARY", f"{table.name}_pkey"):
        return (pk.name,)
    bare = re.sub(r"_\d+$", "", key)
    for guess in (key, bare, key.removeprefix(f"{table.name}_").removesuffix("_key")):
        if guess in names:
            return (guess,)
    groups = [g for g in table.unique_together if key.startswith(f"uid_{table.name}_{g[0]}_")]
    if len(groups) == 1:
        return groups[0]
    return next((g for g in table.unique_together if key == f"{table.name}_{'_'.join(g)}_key"), ())


def _explain_duplicate(table: Table, columns: tuple[str, ...], key: str, value: str | None) -> str:
    columns = columns or _key_columns(table, key)
    shown = f" {_short(value)!r}" if value is not None else "s"
    known = [c for c in table.columns if c.name in columns]
    if not columns or len(known) != len(columns):
        where = f"unique key {key} of {table.name}" if key else f"a unique key of {table.name}"
        return f"{table.model}: duplicate value{shown} ({where}); give its unique columns distinct values in seeds/"
    attrs = [c.attr for c in known]
    if table.link_of is not None:
        return f"{table.model}: duplicate link{shown} in {table.name} ({', '.join(columns)})"
    if len(known) == 1 and known[0].primary_key and known[0].db_generated:
        return (
            f"{table.model}.{attrs[0]}: key{shown.rstrip('s')} is already taken in {table.name}: "
            "rows were written there in this run's key range while it ran"
        )
    override = ", ".join(f'"{a}": ...' for a in attrs)
    fix = f'SeedDefinition(model="{table.model}", fields={{{override}}})'
    if len(known) == 1:
        kind = "primary key" if known[0].primary_key else "unique column"
        return (
            f"{table.model}.{attrs[0]}: duplicate value{shown} ({kind} {table.name}.{columns[0]}); "
            f"give it distinct values in seeds/: {fix}"
        )
    return (
        f"{table.model}.({', '.join(attrs)}): duplicate combination{shown} (unique together "
        f"on {table.name}: {', '.join(columns)}); give them distinct combinations in seeds/: {fix}"
    )


def _short(value: str) -> str:
    return value if len(value) <= 60 else value[:57] + "..."
