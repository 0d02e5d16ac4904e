"""Tortoise sessions: build the ORM config from `Settings`, open it, and always close it."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from tortoise import Tortoise
from tortoise.exceptions import ConfigurationError
from tortoise.models import Model

from toolkit.backends import backend_for
from toolkit.errors import ConfigError
from toolkit.settings import Settings
from toolkit.urls import dialect_of

AERICH_MODELS = "aerich.models"


def tortoise_config(settings: Settings, url: str | None = None) -> dict[str, Any]:
    """The Tortoise config for the project's app, with Aerich's own table added to it."""
    db_url = url if url is not None else backend_for(settings.database_url).tortoise_url()
    # Tortoise caches each model's INSERT by connection name, not by dialect: a name per
    # dialect keeps one process (a test run, the pytest plugin) able to use both.
    alias = f"toolkit_{dialect_of(db_url)}"
    # Every app of the project, so a foreign key into another one resolves; Aerich's model
    # in one of them, always the same (Tortoise binds a model class to its first app), as
    # Aerich's own config wants it. Its rows name the app they migrate, whichever it is.
    apps: dict[str, Any] = {
        name: {"models": list(models), "default_connection": alias} for name, models in settings.tortoise_apps.items()
    }
    if not any(AERICH_MODELS in app["models"] for app in apps.values()):
        next(iter(apps.values()))["models"].append(AERICH_MODELS)
    return {"connections": {alias: db_url}, "apps": apps}


def explain_config_error(exc: Exception, settings: Settings) -> ConfigError:
    import_error = import_failure(settings)
    if import_error is not None:
        return import_error
    return ConfigError(
        f"cannot load the models {', '.join(settings.models)} (from {settings.config_path}): "
        f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}; fix [toolkit] models"
    )


def import_failure(settings: Settings) -> ConfigError | None:
    """Why a model module doesn't import, told apart from a wrong name in the config.

    Tortoise reports every failure as "module not found", which hides a missing
    dependency or an error in the module itself.
    """
    for module in settings.models:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if module == missing or module.startswith(missing + "."):
                return ConfigError(
                    f"model module {module!r} is not importable from {settings.project_root}; "
                    f"fix [toolkit] models in {settings.config_path}"
                )
            return ConfigError(
                f"model module {module!r} imports {missing!r}, which is not installed; "
                "install it into this environment"
            )
        except SyntaxError as exc:
            return ConfigError(
                f"model module {module!r} has a syntax error at {exc.filename}:{exc.lineno}: {exc.msg}; fix it"
            )
        except Exception as exc:  # the user's module raised while importing
            first = str(exc).splitlines()[0] if str(exc) else ""
            return ConfigError(
                f"importing model module {module!r} failed: {type(exc).__name__}: {first}; fix the module"
            )
    return None


@asynccontextmanager
async def orm(settings: Settings, url: str | None = None) -> AsyncIterator[None]:
    """Tortoise initialised on the settings' database; connections closed on the way out.

    Closing matters: a Tortoise/aiosqlite program that forgets to close hangs at exit.
    """
    async with initialised(settings, Tortoise.init(config=tortoise_config(settings, url)), Tortoise.close_connections):
        yield


@asynccontextmanager
async def initialised(
    settings: Settings, start: Awaitable[Any], close: Callable[[], Awaitable[Any]]
) -> AsyncIterator[None]:
    """Run `start` (Tortoise's init, or Aerich's, which calls it), explaining a model module
    that can't load in one line; `close` runs on the way out, whatever happened."""
    try:
        await start
    except (ConfigurationError, ImportError, SyntaxError) as exc:
        await close()
        raise explain_config_error(exc, settings) from None
    except Exception:
        await close()
        failure = import_failure(settings)  # a model module that raised while importing
        if failure is not None:
            raise failure from None
        raise
    except BaseException:
        await close()
        raise
    try:
        yield
    finally:
        await close()


def app_models(settings: Settings) -> list[type[Model]]:
    """The project's models (Aerich's bookkeeping model excluded), in declaration order."""
    models = dict(Tortoise.apps.items()).get(settings.app, {})
    return [m for m in models.values() if m._meta.db_table != "aerich"]


def other_app_models(settings: Settings) -> dict[str, list[str]]:
    """The models of the configured modules that Tortoise leaves out of the app, as their
    `Meta.app` names another one: app -> model names, in declaration order.

    Tortoise drops them without a word, so a seed (or a migration) would skip them silently.
    """
    found: dict[str, list[str]] = {}
    for name in settings.models:
        if name == AERICH_MODELS:
            continue
        try:
            module = importlib.import_module(name)
        except Exception:  # reported by `orm`, which imports the same modules
            continue
        # What Tortoise looks at: `__models__` if the module lists them, else every name.
        listed = getattr(module, "__models__", None)
        candidates = list(listed) if listed else [getattr(module, a) for a in vars(module)]
        for obj in candidates:
            if not (isinstance(obj, type) and issubclass(obj, Model)) or obj._meta.abstract:
                continue
            app = obj._meta.app
            if app and app != settings.app and obj.__name__ not in found.get(app, []):
                found.setdefault(app, []).append(obj.__name__)
    return found
