"""The toolkit pytest plugin: a test database built by the project's real migrations.

Registered through the `pytest11` entry point, so installing toolkit is enough:

    async def test_signup(toolkit_db, toolkit_seed):
        await toolkit_seed("User", 500, seed=1)
        assert await User.all().count() == 500

`toolkit_db` (session scope) creates a fresh database, migrates it as `toolkit migrate` does,
through the project's engine (Aerich or Tortoise's built-in migrations; never
`generate_schemas`, so the migrations themselves are under test) and initialises Tortoise on
it. The default is a temporary SQLite file; `--toolkit-db-url` or `TOOLKIT_TEST_DATABASE_URL`
naming a PostgreSQL or MySQL server makes it create a uniquely named database there, dropped
at the end of the session whatever the tests did.

Event loops: the session fixture is synchronous (its setup runs in a loop of its own), and
Tortoise connects lazily, so each async test opens its connections in its own loop. The
plugin closes them when the test's coroutine returns, still inside that loop; so
pytest-asyncio (auto or strict, any loop scope) and anyio (asyncio backend) both work, and
no connection outlives its loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import os
import shutil
import tempfile
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import pytest

if TYPE_CHECKING:
    from toolkit.settings import Settings

ENV_URL = "TOOLKIT_TEST_DATABASE_URL"
DEFAULT_CONFIG = "config/toolkit.toml"


@dataclass(frozen=True)
class ToolkitTestDatabase:
    """What `toolkit_db` yields: the migrated test database and the settings that reach it."""

    settings: Settings
    url: str
    name: str  # the PostgreSQL database name, or the SQLite file path
    dialect: str
    engine: str = "aerich"  # the engine that migrated it: "aerich" or "tortoise"

    @property
    def masked_url(self) -> str:
        return self.settings.masked_url


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("toolkit", "toolkit test database")
    group.addoption(
        "--toolkit-db-url",
        metavar="URL",
        help=(
            f"PostgreSQL server for the toolkit_db fixture (else ${ENV_URL}); a fresh database "
            "is created there and dropped afterwards. Default: a temporary SQLite file."
        ),
    )
    group.addoption(
        "--toolkit-config",
        metavar="PATH",
        help="toolkit config file, relative to the rootdir (default: the toolkit_config ini value).",
    )
    parser.addini(
        "toolkit_config",
        help="toolkit config file for toolkit_db, relative to the rootdir",
        default=DEFAULT_CONFIG,
    )


def _config_path(config: pytest.Config) -> Path:
    value = config.getoption("toolkit_config") or config.getini("toolkit_config") or DEFAULT_CONFIG
    path = Path(str(value))
    return path if path.is_absolute() else Path(config.rootpath) / path


def _server_url(config: pytest.Config) -> str | None:
    url = config.getoption("toolkit_db_url") or os.environ.get(ENV_URL) or None
    # A SQLite URL means the default: every session gets its own temporary file.
    if url is None or url.lower().startswith("sqlite:"):
        return None
    return str(url)


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


# Connections whose test ended while their event loop lives on (a module-scoped loop, say);
# closed when that loop shuts down, by the closer below.
_orphans: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[Any]] = weakref.WeakKeyDictionary()
_closers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = weakref.WeakKeyDictionary()


def _storage() -> dict[str, Any]:
    """Tortoise's alias -> client map of the test context (no loop check, no new client)."""
    from tortoise.connection import get_connections

    return get_connections()._get_storage()


async def _close_bound_to(loop: asyncio.AbstractEventLoop) -> None:
    storage = _storage()
    clients = _orphans.pop(loop, [])
    for alias, client in list(storage.items()):
        if getattr(client, "_bound_loop", None) is loop:
            clients.append(client)
            del storage[alias]
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()


async def _close_at_shutdown() -> AsyncIterator[None]:
    # An async generator left suspended in a loop is closed by `loop.shutdown_asyncgens()`,
    # which asyncio.Runner (pytest-asyncio, anyio) calls just before closing the loop: the
    # last moment connections opened in that loop can be closed in it.
    try:
        yield
    finally:
        await _close_bound_to(asyncio.get_running_loop())


async def _watch_loop() -> None:
    loop = asyncio.get_running_loop()
    if loop not in _closers:
        closer = _close_at_shutdown()
        await closer.__anext__()
        _closers[loop] = closer


def _closing_test(function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`function`, then the Tortoise connections it opened closed in the same event loop."""

    @functools.wraps(function)
    async def test_then_close(*args: Any, **kwargs: Any) -> Any:
        await _watch_loop()
        try:
            return await function(*args, **kwargs)
        finally:
            await _close_bound_to(asyncio.get_running_loop())

    return test_then_close


def _release_leftovers() -> None:
    """After a test: take connections out of Tortoise's map, so the next test starts clean.

    Those opened after the test's coroutine (by an async fixture's teardown) are closed by
    their loop's closer; when the loop is already gone, close what can be: aiosqlite closes
    from any loop, an asyncpg pool can only be terminated (and the database is dropped with
    FORCE at the end anyway).
    """
    from tortoise.context import get_current_context

    ctx = get_current_context()
    if ctx is None or not ctx.inited:
        return
    storage = _storage()
    for alias, client in list(storage.items()):
        loop = getattr(client, "_bound_loop", None)
        if loop is None:
            continue  # never connected
        del storage[alias]
        if not loop.is_closed() and loop in _closers:
            _orphans.setdefault(loop, []).append(client)
            continue
        try:
            asyncio.run(client.close())
        except Exception:
            with contextlib.suppress(Exception):
                client._pool.terminate()


def _in_transaction() -> bool:
    """Whether the test runs inside a transaction: the plugin's, or one the test's own
    fixture opened with `in_transaction()` (pytest-asyncio and anyio hand a fixture's
    context to the test)."""
    from tortoise.backends.base.client import TransactionalDBClient

    return any(isinstance(c, TransactionalDBClient) for c in _storage().values())


async def _init_tortoise(settings: Settings) -> Any:
    from tortoise import Tortoise

    from toolkit.db import explain_config_error, tortoise_config

    try:
        # The global fallback makes the context visible from every test's task and loop.
        return await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    except Exception as exc:
        raise explain_config_error(exc, settings) from None


@pytest.fixture(scope="session")
def toolkit_db(pytestconfig: pytest.Config) -> Iterator[ToolkitTestDatabase]:
    """A fresh database migrated by the project's real migrations, with Tortoise on it."""
    from toolkit.backends import backend_for
    from toolkit.commands.migrate import migrate
    from toolkit.errors import ToolkitError
    from toolkit.migrations.history import engine_name
    from toolkit.settings import resolve

    config_path = _config_path(pytestconfig)
    server = _server_url(pytestconfig)
    workdir: Path | None = None
    if server is None:
        workdir = Path(tempfile.mkdtemp(prefix="toolkit_db_"))
        name = str(workdir / "test.sqlite3")
        url = f"sqlite://{name}"
    else:
        name = f"toolkit_test_{uuid.uuid4().hex[:12]}"
        url = _with_database(server, name)
        try:
            asyncio.run(backend_for(server).create_database(name))
        except ToolkitError as exc:
            pytest.fail(f"toolkit_db: {exc}", pytrace=False)

    ctx: Any = None
    try:
        try:
            environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            settings = resolve(config=config_path, database_url=url, environ=environ)
            for app in settings.apps or [settings.app]:  # as `toolkit --app APP migrate` each
                asyncio.run(migrate(settings.for_app(app)))
            engine = asyncio.run(engine_name(settings))
            from toolkit.seed.fixtures import fixture_files, load_fixtures

            if fixture_files(settings):  # reference data, as `seed` and `bootstrap` load it
                asyncio.run(load_fixtures(settings))
            ctx = asyncio.run(_init_tortoise(settings))
        except ToolkitError as exc:
            pytest.fail(f"toolkit_db: {exc}", pytrace=False)
        yield ToolkitTestDatabase(settings, url, name, settings.dialect, engine)
    finally:
        if ctx is not None:
            _release_leftovers()
            with contextlib.suppress(Exception):
                asyncio.run(ctx.close_connections())  # also drops the global fallback
        if server is not None:
            asyncio.run(backend_for(server).drop_database(name))
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(autouse=True)
def _toolkit_connections(request: pytest.FixtureRequest) -> Iterator[None]:
    """For tests that use `toolkit_db`: no Tortoise connection outlives the test's loop."""
    if "toolkit_db" not in request.fixturenames:
        yield
        return
    item = request.node
    if isinstance(item, pytest.Function) and inspect.iscoroutinefunction(item.obj):
        test = item.obj
        isolated = {"toolkit_transaction", "toolkit_isolated"} & set(request.fixturenames)
        item.obj = _closing_test(_rolled_back(test) if isolated else test)
    yield
    _release_leftovers()


class _RollBack(Exception):
    """Raised out of the isolation transaction to make Tortoise roll it back."""


def _rolled_back(function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`function` run inside one transaction, rolled back whatever it did.

    It runs in the test's own task (not a fixture's), so the transaction's connection is
    the one every ORM call of the test sees, under pytest-asyncio and anyio alike; an
    `in_transaction()` the test opens nests inside it as a savepoint.
    """

    @functools.wraps(function)
    async def test_in_transaction(*args: Any, **kwargs: Any) -> Any:
        from tortoise.transactions import in_transaction

        result = None
        try:
            async with in_transaction():
                result = await function(*args, **kwargs)
                raise _RollBack
        except _RollBack:
            pass
        return result

    return test_in_transaction


@pytest.fixture
def toolkit_transaction(toolkit_db: ToolkitTestDatabase) -> ToolkitTestDatabase:
    """Run the (async) test inside a transaction rolled back at its end.

    The plugin wraps the test coroutine itself (see `_rolled_back`); this fixture only asks
    for it. Rows made by the ORM, `toolkit_factory` or `toolkit_seed` are gone afterwards.
    """
    return toolkit_db


@pytest.fixture
def toolkit_isolated(toolkit_transaction: ToolkitTestDatabase) -> ToolkitTestDatabase:
    """The same as `toolkit_transaction`."""
    return toolkit_transaction


@pytest.fixture
def toolkit_factory(toolkit_db: ToolkitTestDatabase) -> Callable[..., Any]:
    """`toolkit.factories.factory`, reading the project's seeds/ (definitions and STATES)."""
    from toolkit.factories import factory

    return functools.partial(factory, seeds_dir=toolkit_db.settings.seeds_dir)


Seeder = Callable[..., Awaitable[Any]]


@pytest.fixture
def toolkit_seed(toolkit_db: ToolkitTestDatabase) -> Seeder:
    """`await toolkit_seed("User", 500, seed=1)`: seed with the CLI's seeder.

    What it returns depends on the call only: a `SeedReport` (`report.rows`), or, when a
    keyword names a field (`toolkit_seed("User", 5, is_admin=True)`), the created objects.
    Other keywords are those of `toolkit.seed.run.SeedRequest` (`truncate`, `batch_size`,
    ...). Inside a transaction (`toolkit_transaction`, or the test's own `in_transaction()`)
    the rows are made by `toolkit.factories` on the transaction's connection, since the
    seeder's own connection can't see or join it; the report is then one of that model.
    """

    async def seed(model: str = "User", count: int = 100, **options: Any) -> Any:
        from dataclasses import fields

        from toolkit.seed.run import SeedRequest
        from toolkit.seed.run import seed as run_seed

        known = {f.name for f in fields(SeedRequest)}
        overrides = {k: v for k, v in options.items() if k not in known}
        if overrides or _in_transaction():
            return await _factory_seed(toolkit_db, model, count, options, overrides)
        # A throwaway test database: protection is for the databases people keep.
        request = SeedRequest(counts={model: count}, force=True, **options)
        settings = _app_holding(toolkit_db.settings, model)  # the seeder seeds one app
        loop = asyncio.get_running_loop()
        _refuse_other_loops(loop)
        await _close_bound_to(loop)
        # The seeder initialises Tortoise for itself; its own contextvar copy keeps that
        # from replacing the test's ORM context.
        try:
            return await loop.create_task(run_seed(settings, request), context=contextvars.copy_context())
        finally:
            # ... but it rebinds the model classes: bind them back to the test database.
            await loop.create_task(_rebind(toolkit_db.settings), context=contextvars.copy_context())

    return seed


async def _factory_seed(
    db: ToolkitTestDatabase, model: str, count: int, options: dict, overrides: dict
) -> Any:
    from toolkit.factories import factory, reported_batch

    allowed = {"seed", "locale", "batch_size", "concurrency", "force"}
    refused = sorted(k for k in options if k not in overrides and k not in allowed)
    if refused:
        raise pytest.UsageError(
            f"toolkit_seed: {', '.join(refused)} can't be used with field overrides or inside a "
            "transaction (toolkit_transaction or your own in_transaction(): rows are made "
            "through the ORM there); drop it, or seed outside the transaction"
        )
    locale = options.get("locale", "en_US")
    made = factory(model, seed=options.get("seed"), seeds_dir=db.settings.seeds_dir, locale=locale)
    if overrides:
        return await made.create_batch(count, **overrides)
    return await reported_batch(made, count, app=db.settings.app)


def _app_holding(settings: Settings, model: str) -> Settings:
    from tortoise import Tortoise

    held = [app for app, models in Tortoise.apps.items() if model in models and app in settings.apps]
    return settings.for_app(held[0]) if held else settings


async def _rebind(settings: Settings) -> None:
    from tortoise.context import get_current_context

    ctx = get_current_context()
    if ctx is None:
        return
    with ctx:
        await _init_tortoise(settings)


def _refuse_other_loops(loop: asyncio.AbstractEventLoop) -> None:
    """Before the seeder swaps the ORM's clients: none of this test may live in another,
    still-running loop (an async fixture run by another plugin or loop scope)."""
    for client in _storage().values():
        bound = getattr(client, "_bound_loop", None)
        if bound is not None and bound is not loop and not bound.is_closed():
            raise pytest.UsageError(
                "toolkit_seed: this test holds a Tortoise connection opened in another event "
                "loop (an async fixture run by another plugin or loop scope); run the fixture "
                "and the test in one loop"
            )
