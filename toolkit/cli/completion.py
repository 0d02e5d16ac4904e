"""Shell completion (`_TOOLKIT_COMPLETE=bash_source toolkit`): environment names, model
names and migration versions, read from the project the command line points at.

Completion runs at every Tab: it reads the config and the migrations folder, imports the
model modules without a database, and on any error offers nothing, silently. A traceback
or a stray print would land in the middle of the user's command line.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from toolkit.settings import Settings

# A URL that needs no variable, no server and no file: completion never connects, and an
# environment whose URL names an unset ${VAR} must still complete.
_NO_DATABASE = "sqlite://:memory:"


def environments(ctx: click.Context, _: click.Parameter, incomplete: str) -> list[str]:
    """The [env.NAME] tables of the config."""
    return _matching(lambda: _environments(_config(ctx)[1]), incomplete)


def models(ctx: click.Context, _: click.Parameter, incomplete: str) -> list[str]:
    """The models `seed --model` takes; after `NAME=` comes a count, not a name."""
    if "=" in incomplete:
        return []
    return _matching(lambda: _model_names(_settings(ctx)), incomplete)


def versions(ctx: click.Context, _: click.Parameter, incomplete: str) -> list[str]:
    """The migration files, named as `--to` takes them (the file name without .py)."""
    return _matching(lambda: _versions(_settings(ctx)), incomplete)


def rollback_versions(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """`rollback --to` also takes 'zero': revert them all."""
    return versions(ctx, param, incomplete) + (["zero"] if "zero".startswith(incomplete) else [])


def _matching(names: Callable[[], list[str]], incomplete: str) -> list[str]:
    try:
        with _silenced():
            return [n for n in names() if n.startswith(incomplete)]
    except (Exception, SystemExit):  # a broken config or model module: no completions
        return []


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    # Model modules may print or warn while importing; the shell reads stdout as the list.
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _given(ctx: click.Context, name: str) -> Any:
    """A global option typed earlier on the command line, before or after the command."""
    root = ctx.find_root()
    after = (root.obj or {}).get(name)  # the hidden copies after the command store it here
    if after is not None:
        return after
    for c in (ctx, *_parents(ctx)):
        if c.params.get(name) is not None:
            return c.params[name]
    return None


def _parents(ctx: click.Context) -> Iterator[click.Context]:
    while ctx.parent is not None:
        ctx = ctx.parent
        yield ctx


def _config(ctx: click.Context) -> tuple[Path, dict[str, Any]]:
    # The same search the commands make (--config, TOOLKIT_CONFIG, then upward from here),
    # without resolving an environment: that needs its database URL, completion doesn't.
    from toolkit.settings import _config_path, _load_toml

    path, _ = _config_path(_given(ctx, "config"), os.environ, Path.cwd())
    return path, _load_toml(path)


def _environments(data: dict[str, Any]) -> list[str]:
    envs = data.get("env")
    names = sorted(envs) if isinstance(envs, dict) else []
    if names:
        return names
    section = data.get("toolkit")
    # A config without environments runs on its default one.
    return [str(section.get("default_env", "dev"))] if isinstance(section, dict) else ["dev"]


def _settings(ctx: click.Context) -> Settings:
    from toolkit.settings import resolve

    path, data = _config(ctx)
    names = _environments(data)
    env = _given(ctx, "env") or os.environ.get("TOOLKIT_ENV")
    # Models and migrations are the project's, the same in every environment.
    return resolve(env=env if env in names else names[0], database_url=_NO_DATABASE, config=path)


def _model_names(settings: Settings) -> list[str]:
    from tortoise import Tortoise

    # Tortoise's own discovery, as `seed` finds the models, but with no connection.
    Tortoise.init_models(list(settings.models), settings.app)
    app = dict(Tortoise.apps.items()).get(settings.app, {})
    return [name for name, model in app.items() if model._meta.db_table != "aerich"]


def _versions(settings: Settings) -> list[str]:
    from toolkit.migrations.files import migration_files

    return [name.removesuffix(".py") for name in migration_files(settings, required=False)]
