"""Resolve the configuration once, into one frozen `Settings`.

Precedence, for every value: command-line flag > environment variable > config file > default.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ConfigError
from toolkit.urls import check_url, dialect_of, hide_from_logs, malformed, mask_url, shown

DEFAULT_CONFIG = Path("config") / "toolkit.toml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# The migration engines `[toolkit] engine` may name; without the key, the project decides
# (`toolkit.migrations.detect`).
ENGINES = ("aerich", "tortoise")
# `[toolkit] migrations = "app.migrations"`: a package, named as Tortoise's config names it.
_PACKAGE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")

@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know about where it runs. Built by `resolve`."""

    project_root: Path
    config_path: Path
    env: str
    database_url: str  # shown only as `masked_url`, also by repr()
    models: tuple[str, ...] = ("toolkit.models",)
    app: str = "models"
    migrations_dir: Path = Path("migrations")
    seeds_dir: Path = Path("seeds")
    protected: bool = False
    env_source: str = "default"
    url_source: str = "config"
    config_source: str = "default"  # "flag", "TOOLKIT_CONFIG" or "default"
    env_options: Mapping[str, Any] = field(default_factory=dict)
    engine: str | None = None  # "aerich" or "tortoise" from [toolkit] engine; None: detected
    # Set when [toolkit] migrations names a package ("app.migrations"): Tortoise's layout,
    # the files directly in the package's folder (`migrations_dir`), no app subfolder.
    migrations_package: str | None = None
    # How many more times `migrate`/`rollback` try a migration that gave up waiting for a
    # table lock (`--retries`, else TOOLKIT_LOCK_RETRIES, else [toolkit] lock_retries).
    lock_retries: int = 0
    # `makemigrations` writes PostgreSQL's lock-safe forms ([toolkit] safe_migrations).
    safe_migrations: bool = False
    # Every Tortoise app of a project that has several ([toolkit.apps]): name -> model
    # modules, `app` among them. Empty for one app (`models` under `app`).
    apps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Settings(env={self.env!r}, database_url={self.masked_url!r}, project_root={self.project_root!r})"

    @property
    def dialect(self) -> str:
        return dialect_of(self.database_url)

    @property
    def masked_url(self) -> str:
        return mask_url(self.database_url)

    def for_app(self, app: str) -> Settings:
        """The same project, working on another app of [toolkit.apps]."""
        from dataclasses import replace

        return replace(self, app=app, models=self.apps[app]) if app != self.app else self

    @property
    def tortoise_apps(self) -> dict[str, tuple[str, ...]]:
        """Every app Tortoise must know (a foreign key may point into another one)."""
        return dict(self.apps) or {self.app: self.models}

    @property
    def app_migrations_dir(self) -> Path:
        """Aerich keeps each app's files in a subfolder named after the app; a package
        named in the config (Tortoise's way) holds them itself."""
        if self.migrations_package is not None:
            return self.migrations_dir
        return self.migrations_dir / self.app


# --- secrets: one owner for masking, validating and scrubbing database URLs -----------
#
# Every message, JSON document and log line shows a database URL through `mask_url`, and
# `resolve` refuses a URL whose user or password is not percent-encoded, so that no
# malformed URL reaches a driver (whose own error would echo parts of it). `scrub` is
# the last line of defence for text toolkit did not write itself.

_TOOLKIT_KEYS = (
    "models", "app", "apps", "migrations", "seeds", "default_env", "engine", "lock_retries", "safe_migrations",
)
_ENV_KEYS = ("database_url", "protected")


def _refuse_typos(table: Mapping[str, Any], known: tuple[str, ...], where: str, path: Path) -> None:
    # Other keys are allowed (teams keep their own there); a near miss of a known key is a
    # typo that would silently change behaviour: `protectd = true` protects nothing.
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
            if close:
                raise ConfigError(f"{path}: unknown key {key!r} in {where}; did you mean {close[0]!r}?")


def _engine(section: Mapping[str, Any], path: Path) -> str | None:
    value = section.get("engine")
    if value is None:
        return None
    if value not in ENGINES:
        allowed = " or ".join(f'"{e}"' for e in ENGINES)
        raise ConfigError(
            f"{path}: [toolkit] engine must be {allowed}, got {value!r}; or leave it out to "
            "let toolkit tell from the migration files"
        )
    return str(value)


def _migrations_location(value: str, engine: str | None, root: Path) -> tuple[Path, str | None]:
    """The migrations folder, and the package name when `value` is one (`app.migrations`:
    a dotted module path that is not a folder of its own, and the engine is not Aerich's,
    whose location is always a folder)."""
    folder = (root / value).resolve()
    if engine != "aerich" and _PACKAGE.match(value) and not folder.is_dir():
        return (root / value.replace(".", "/")).resolve(), value
    return folder, None


def _flag(value: Any, where: str, path: Path) -> bool:
    # TOML has booleans; a string "false" would otherwise count as true.
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {where} must be true or false, got {value!r}")
    return value



def _lock_retries(environ: Mapping[str, str], section: Mapping[str, Any], path: Path) -> int:
    raw: Any = environ.get("TOOLKIT_LOCK_RETRIES")
    where = "TOOLKIT_LOCK_RETRIES"
    if raw is None:
        raw, where = section.get("lock_retries", 0), f"{path}: [toolkit] lock_retries"
    try:
        # bool is an int in Python; `lock_retries = true` is a mistake, not 1.
        value = int(raw) if not isinstance(raw, (bool, float)) else -1
    except ValueError:
        value = -1
    if value < 0:
        raise ConfigError(f"{where} must be a whole number of retries, 0 or more, got {raw!r}")
    return value


def expand_vars(value: str, environ: Mapping[str, str], where: str) -> str:
    """Expand `${VAR}` from the environment; a missing variable is an error that names it."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise ConfigError(f"{where} uses ${{{name}}}, but {name} is not set; export {name}")
        return environ[name]

    return _VAR.sub(sub, value)


def _project_root_of(config_path: Path) -> Path:
    # The project root is the folder that holds config/; a config file kept
    # elsewhere makes its own folder the root.
    parent = config_path.parent
    return parent.parent if parent.name == "config" else parent


def _sqlite_absolute(url: str, base: Path) -> str:
    path, sep, query = url.split("://", 1)[1].partition("?")
    if not path:
        raise ConfigError(
            f"the SQLite URL {shown(url)} names no file; use sqlite://path/to/db.sqlite3 (relative to the "
            "project root) or sqlite:///absolute/path.sqlite3"
        )
    rest = url.split("://", 1)[1]
    before_at = rest.rpartition("@")[0]
    if "@" in path.split("/", 1)[0] or (before_at and ":" in before_at and not rest.startswith("/")):
        # `sqlite://user:pw@/x.db` would be read as a file named after the password, and
        # every message naming the file would show it.
        raise ConfigError(
            f"the SQLite URL {shown(url)} has a user or password, which SQLite doesn't take; "
            "use sqlite://path/to/db.sqlite3 or sqlite:///absolute/path.sqlite3"
        )
    if path == ":memory:" or Path(path).is_absolute():
        return url
    return f"sqlite://{(base / path).resolve()}{sep}{query}"


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found; run from the project root (the folder holding "
            "config/toolkit.toml) or pass --config PATH"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    if path.name != "pyproject.toml":
        return data
    # pyproject.toml: [tool.toolkit] holds what config/toolkit.toml's [toolkit] holds, and
    # its environments as [tool.toolkit.env.NAME].
    tool = dict(data.get("tool", {}).get("toolkit", {}))
    return {"toolkit": {k: v for k, v in tool.items() if k != "env"}, "env": tool.get("env", {})}


def _find_config(cwd: Path) -> Path:
    """The nearest config, searching upward from `cwd` as git, ruff and pytest do:
    `config/toolkit.toml`, else a `pyproject.toml` with a [tool.toolkit] table."""
    for folder in (cwd, *cwd.parents):
        candidate = folder / DEFAULT_CONFIG
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    raise ConfigError(
        f"no config/toolkit.toml or [tool.toolkit] in pyproject.toml in {cwd} or above it; "
        "run `toolkit init` to write one, or pass --config PATH"
    )


def _has_tool_table(pyproject: Path) -> bool:
    try:
        with pyproject.open("rb") as fh:
            return "toolkit" in tomllib.load(fh).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError):
        return False


def _with_dotenv(root: Path, environ: Mapping[str, str]) -> Mapping[str, str]:
    """The environment, with the project's `.env` beneath it (dbmate, Prisma): a variable
    set in the real environment wins."""
    path = root / ".env"
    if not path.is_file():
        return environ
    from dotenv import dotenv_values

    found = {k: v for k, v in dotenv_values(path).items() if v is not None}
    return {**found, **environ}


def _models_of(section: Mapping[str, Any], config_path: Path) -> list[str]:
    models = section.get("models")
    if models is None:
        table = "[tool.toolkit]" if config_path.name == "pyproject.toml" else "[toolkit]"
        raise ConfigError(
            f"{config_path}: {table} models is not set; name your Tortoise model modules there, "
            'as models = ["app.models"] (toolkit init writes a starting config)'
        )
    return [models] if isinstance(models, str) else list(models)


def _modules(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(m) for m in value]


def _apps(
    app: str | None, environ: Mapping[str, str], section: Mapping[str, Any], config_path: Path
) -> tuple[str, dict[str, tuple[str, ...]]]:
    """The app this command works on (`--app` > TOOLKIT_APP > [toolkit] app > the first of
    [toolkit.apps], as Aerich's `--app`), and every app of [toolkit.apps] ({} without it)."""
    table = section.get("apps") or {}
    if not isinstance(table, dict):
        raise ConfigError(f'{config_path}: [toolkit.apps] must be a table: app = ["module", ...]')
    apps = {
        str(name): tuple(_modules(v.get("models", []) if isinstance(v, dict) else v)) for name, v in table.items()
    }
    chosen, where = (app, "--app") if app else (environ.get("TOOLKIT_APP"), "TOOLKIT_APP")
    if not chosen:
        chosen, where = section.get("app") or next(iter(apps), "models"), "[toolkit] app"
    known = list(apps) or [str(section.get("app", "models"))]
    if str(chosen) not in known:
        raise ConfigError(
            f"unknown app {chosen!r} (from {where}); apps in {config_path}: {', '.join(known)}"
            + ("" if apps else '; list several under [toolkit.apps] (blog = ["blog.models"])')
        )
    return str(chosen), apps


def _config_path(config: str | os.PathLike[str] | None, environ: Mapping[str, str], cwd: Path) -> tuple[Path, str]:
    if config is not None:
        path, source = Path(config), "flag"
    elif environ.get("TOOLKIT_CONFIG"):
        path, source = Path(environ["TOOLKIT_CONFIG"]), "TOOLKIT_CONFIG"
    else:
        path, source = _find_config(cwd), "default"
    return (cwd / path).resolve(), source


def _environment(
    env: str | None, environ: Mapping[str, str], section: Mapping[str, Any], envs: dict[str, Any], config_path: Path
) -> tuple[str, str, dict[str, Any]]:
    """(name, where the name came from, its [env.NAME] table)."""
    default_env = str(section.get("default_env", "dev"))
    if not envs:
        # A config with no environments at all still runs on the embedded default.
        envs[default_env] = {"database_url": f"sqlite://{default_env}.sqlite3"}
    if env:
        env_name, env_source = env, "flag"
    elif environ.get("TOOLKIT_ENV"):
        env_name, env_source = environ["TOOLKIT_ENV"], "TOOLKIT_ENV"
    else:
        env_name, env_source = default_env, "config"
    if env_name not in envs:
        known = ", ".join(sorted(envs)) or "none"
        raise ConfigError(
            f"unknown environment {env_name!r} (from {env_source}); "
            f"known environments in {config_path}: {known}"
        )
    _refuse_typos(section, _TOOLKIT_KEYS, "[toolkit]", config_path)
    for name, table in envs.items():
        if isinstance(table, dict):
            _refuse_typos(table, _ENV_KEYS, f"[env.{name}]", config_path)
    return env_name, env_source, envs[env_name]


def _database_url(
    database_url: str | None, environ: Mapping[str, str], env_name: str, env_section: Mapping[str, Any],
    config_path: Path, cwd: Path, root: Path,
) -> tuple[str, str]:
    """(the URL, where it came from): flag > DATABASE_URL > the environment's table."""
    if database_url is not None and not database_url.strip():
        # An empty flag (`--database-url "$UNSET_VAR"`) must not quietly mean the config's database.
        raise ConfigError(
            "--database-url is empty; pass a URL (scheme://user:password@host:port/database), "
            "or leave the option out to use DATABASE_URL or the config file"
        )
    if database_url:
        url, url_source, base = database_url, "flag", cwd
    elif environ.get("DATABASE_URL"):
        url, url_source, base = environ["DATABASE_URL"], "DATABASE_URL", cwd
    else:
        raw = env_section.get("database_url")
        if not raw:
            raise ConfigError(
                f"environment {env_name!r} has no database_url in {config_path}; "
                "set it there, or pass --database-url / DATABASE_URL"
            )
        url = expand_vars(str(raw), environ, f"[env.{env_name}] database_url")
        url_source, base = "config", root
    url = _sqlite_absolute(url, base) if url.lower().startswith("sqlite://") else url
    try:
        check_url(url)  # fail early on an unknown scheme or a malformed server address
    except ConfigError:
        raise
    except Exception:  # whatever a parser makes of it, the message shows only the masked form
        raise malformed(url, "not parseable") from None
    hide_from_logs(url)
    return url, url_source


def resolve(
    *,
    env: str | None = None,
    database_url: str | None = None,
    config: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    app: str | None = None,
) -> Settings:
    """Build the `Settings` for one command from flags, environment variables and the file."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    config_path, config_source = _config_path(config, environ, cwd)
    data = _load_toml(config_path)
    root = _project_root_of(config_path)
    environ = _with_dotenv(root, environ)
    section = data.get("toolkit", {})
    envs = data.get("env", {})
    if not isinstance(section, dict) or not isinstance(envs, dict):
        raise ConfigError(f"{config_path}: [toolkit] and [env.NAME] must be tables")
    env_name, env_source, env_section = _environment(env, environ, section, envs, config_path)
    url, url_source = _database_url(database_url, environ, env_name, env_section, config_path, cwd, root)
    app_name, apps = _apps(app, environ, section, config_path)
    models = list(apps[app_name]) if apps else _models_of(section, config_path)
    engine = _engine(section, config_path)
    migrations_dir, package = _migrations_location(str(section.get("migrations", "migrations")), engine, root)
    # Model modules are named relative to the project root, as in any Python project.
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return Settings(
        project_root=root,
        config_path=config_path,
        env=env_name,
        database_url=url,
        models=tuple(str(m) for m in models),
        app=app_name,
        migrations_dir=migrations_dir,
        seeds_dir=(root / str(section.get("seeds", "seeds"))).resolve(),
        protected=_flag(env_section.get("protected", False), f"[env.{env_name}] protected", config_path),
        env_source=env_source,
        url_source=url_source,
        config_source=config_source,
        env_options={k: v for k, v in env_section.items() if k != "database_url"},
        engine=engine,
        migrations_package=package,
        lock_retries=_lock_retries(environ, section, config_path),
        safe_migrations=_flag(section.get("safe_migrations", False), "[toolkit] safe_migrations", config_path),
        apps=apps,
    )
