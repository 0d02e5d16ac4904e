"""Resolve the configuration once, into one frozen `Settings`.

Precedence, for every value: command-line flag > environment variable > config file > default.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import re
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

from toolkit.errors import ConfigError

DEFAULT_CONFIG = Path("config") / "toolkit.toml"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# URL scheme -> dialect. Tortoise and Aerich name PostgreSQL "postgres".
SCHEMES = {
    "sqlite": "sqlite",
    "postgres": "postgres",
    "postgresql": "postgres",
    "asyncpg": "postgres",
    "mysql": "mysql",
}


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

    def __repr__(self) -> str:
        return f"Settings(env={self.env!r}, database_url={self.masked_url!r}, project_root={self.project_root!r})"

    @property
    def dialect(self) -> str:
        return dialect_of(self.database_url)

    @property
    def masked_url(self) -> str:
        return mask_url(self.database_url)

    @property
    def app_migrations_dir(self) -> Path:
        """Aerich keeps each app's files in a subfolder named after the app."""
        return self.migrations_dir / self.app


# --- secrets: one owner for masking, validating and scrubbing database URLs -----------
#
# Every message, JSON document and log line shows a database URL through `mask_url`, and
# `resolve` refuses a URL whose user or password is not percent-encoded, so that no
# malformed URL reaches a driver (whose own error would echo parts of it). `scrub` is
# the last line of defence for text toolkit did not write itself.

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
# A user name shown as is: nothing in it that could be the tail of a password.
_PLAIN_USER = re.compile(r"[^:/?#\[\]@\s]*")
# Query options that hold a secret: password=, sslpassword=, pass=, pwd=, ...token=, ...
_QUERY_SECRET = re.compile(
    r"([?&;][^?&;=#]*?(?:password|passwd|pass|pwd|secret|token)=)[^&;]*", re.IGNORECASE
)
_DELIMITERS = re.compile(r"[:/?#\[\]@!$&'()*+,;=%\s]+")
_ENCODE_HINT = (
    "percent-encode special characters in the user and password "
    "(%40 for @, %3A for :, %2F for /, %3F for ?, %23 for #, %25 for %)"
)


def _unparseable(url: str) -> str:
    # Only a scheme toolkit knows is shown: anything else may be part of the password.
    head = _SCHEME.match(url)
    scheme = head.group(0).lower() if head else ""
    return f"<unparseable {scheme} URL>" if scheme in SCHEMES else "<unparseable URL>"


def _mask_userinfo(userinfo: str) -> str:
    user, colon, _ = userinfo.partition(":")
    if _PLAIN_USER.fullmatch(user):
        return f"{user}:***" if colon else user
    return "***"


def mask_url(url: str) -> str:
    """Return `url` with its password replaced by `***`, safe to print or log.

    Robust to any string: everything between `://` and the last `@` is masked (the user
    name is kept when it is plainly one), so is the value of a `password=`-like query
    option, and a string with no `scheme://` or an authority that does not parse is
    replaced whole (`<unparseable URL>`).
    """
    scheme, sep, rest = url.partition("://")
    if not sep or not _SCHEME.fullmatch(scheme):
        return _unparseable(url)
    is_sqlite = scheme.lower() == "sqlite"
    if "@" in rest and not (is_sqlite and rest.startswith("/")):
        # The last `@`: a password may hold an unencoded `@`, a host never does.
        userinfo, _, after = rest.rpartition("@")
        rest = f"{_mask_userinfo(userinfo)}@{after}"
    elif not is_sqlite:
        # No `@`: `postgres://app:S3cret/db` reads as host `app`, port `S3cret`.
        try:
            urlsplit(url).port  # noqa: B018 - parsing it is the check
        except ValueError:
            return _unparseable(url)
    return f"{scheme}://" + _QUERY_SECRET.sub(r"\1***", rest)


def _secrets_of(url: str) -> set[str]:
    """Every form in which a password of `url` could show up in someone else's message."""
    scheme, sep, rest = url.partition("://")
    body = rest if sep else url
    found: set[str] = set()
    whole: set[str] = set()
    if scheme.lower() == "sqlite" and body.startswith("/"):
        pass  # a file path: an `@` in it is part of a file name
    elif "@" in body:
        userinfo = body.rpartition("@")[0]
        user, colon, password = userinfo.partition(":")
        if colon:
            whole.add(password)
        if not _PLAIN_USER.fullmatch(user):
            whole.add(userinfo)
    else:
        # No `@`: a non-numeric "port" may be a password that lost its `@`.
        netloc = body.split("/", 1)[0].split("?", 1)[0]
        port = netloc.rpartition(":")[2] if ":" in netloc else ""
        if port and not port.isdigit():
            whole.add(port)
    for match in _QUERY_SECRET.finditer(body):
        whole.add(match.group(0)[len(match.group(1)):])
    for secret in list(whole):
        whole |= {unquote(secret), unquote_plus(secret)}
    for secret in whole:
        if len(secret) >= 2:
            found |= {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}
        if len(secret) >= 3:
            # Tortoise's own log masking keeps the first third: `hunter2` -> `hu***`.
            found.add(f"{secret[: len(secret) // 3]}***")
        # Pieces of a password split by a parser (`Port could not be cast ... 'Sup3r'`).
        found |= {piece for piece in _DELIMITERS.split(secret) if len(piece) >= 4}
    return {s for s in found if s}


def scrub(text: str, source: Settings | str | None) -> str:
    """`text` with every trace of the password of `source` (a `Settings` or a URL) removed.

    The last line of defence for text toolkit did not write (a driver's error, a bug's
    message): the URL itself becomes its masked form, then the password, its
    percent-decoded form and its longer pieces become `***` (unless the masked form shows
    them anyway, as a password equal to the user name).
    """
    url = source.database_url if isinstance(source, Settings) else source
    if not url or not text:
        return text
    shown = mask_url(url)
    text = text.replace(url, shown)
    for secret in sorted(_secrets_of(url), key=len, reverse=True):
        # What the masked URL shows is no secret (`postgres:postgres@`: the user name).
        if secret not in shown:
            text = text.replace(secret, "***")
    return text


# The loggers of the libraries toolkit drives. Tortoise's DEBUG startup line prints the
# connection URL with a percent-encoded password in full (it masks only the decoded form).
_LIBRARY_LOGGERS = (
    "tortoise", "tortoise.db_client", "tortoise.migrations.executor",
    "aerich", "asyncpg", "asyncpg.pool", "aiomysql", "asyncio",
)


class _ScrubLogRecords(logging.Filter):
    """Removes the passwords of every URL `resolve` returned from the libraries' log lines."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: dict[str, None] = {}  # ordered, no duplicates

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.urls:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a record whose args don't fit its format: leave it to logging
            return True
        cleaned = message
        for url in self.urls:
            cleaned = scrub(cleaned, url)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            text = logging.Formatter().formatException(record.exc_info)
            for url in self.urls:
                text = scrub(text, url)
            record.exc_text = text
        return True


_LOG_SCRUBBER = _ScrubLogRecords()


def _hide_from_logs(url: str) -> None:
    if not _secrets_of(url):
        return
    _LOG_SCRUBBER.urls[url] = None
    for name in _LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _LOG_SCRUBBER not in logger.filters:
            logger.addFilter(_LOG_SCRUBBER)


def _shown(url: str) -> str:
    """The masked URL as a message quotes it."""
    masked = mask_url(url)
    return masked if masked.startswith("<") else repr(masked)


def dialect_of(url: str) -> str:
    scheme, sep, _ = url.partition("://")
    known = ", ".join(f"{s}://" for s in SCHEMES)
    if sep and _SCHEME.fullmatch(scheme):
        try:
            return SCHEMES[scheme.lower()]
        except KeyError:
            raise ConfigError(
                f"unsupported database URL {_shown(url)} ('{scheme}://'); use one of {known}"
            ) from None
    if not url.strip():
        raise ConfigError(f"the database URL is empty; use one of {known}")
    raise ConfigError(
        f"malformed database URL {_shown(url)} (it does not start with scheme://); use one of {known}, "
        f"as in postgres://user:password@host:port/database, and {_ENCODE_HINT}"
    )


_TOOLKIT_KEYS = ("models", "app", "migrations", "seeds", "default_env")
_ENV_KEYS = ("database_url", "protected")


def _refuse_typos(table: Mapping[str, Any], known: tuple[str, ...], where: str, path: Path) -> None:
    # Other keys are allowed (teams keep their own there); a near miss of a known key is a
    # typo that would silently change behaviour: `protectd = true` protects nothing.
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
            if close:
                raise ConfigError(f"{path}: unknown key {key!r} in {where}; did you mean {close[0]!r}?")


def _flag(value: Any, where: str, path: Path) -> bool:
    # TOML has booleans; a string "false" would otherwise count as true.
    if not isinstance(value, bool):
        raise ConfigError(f"{path}: {where} must be true or false, got {value!r}")
    return value


def _malformed(url: str, reason: str) -> ConfigError:
    return ConfigError(
        f"malformed database URL {_shown(url)} ({reason}); "
        f"use scheme://user:password@host:port/database and {_ENCODE_HINT}"
    )


def _check_url(url: str) -> None:
    """Refuse a server URL that a driver would misread: what it reads as the host, port or
    database may be part of the password, and its error message would show it."""
    dialect = dialect_of(url)
    if dialect == "sqlite":
        return
    rest = url.partition("://")[2]
    if "#" in rest:
        raise _malformed(url, "a '#', which ends a URL: one in the password?")
    if rest.count("@") > 1:
        raise _malformed(url, "more than one '@': one in the password?")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise _malformed(url, "a '[' or ']' outside an IPv6 host") from None
    if "@" in parts.path or "@" in parts.query:
        raise _malformed(url, "an '@' after the host: a '/' or '?' in the password?")
    userinfo = parts.netloc.rpartition("@")[0]
    if "[" in userinfo or "]" in userinfo:
        raise _malformed(url, "a '[' or ']' in the user or password")
    if re.search(r"%(?![0-9A-Fa-f]{2})", parts.netloc):
        raise _malformed(url, "a '%' that is not a %XX escape")
    try:
        parts.port  # noqa: B018 - parsing it is the check
    except ValueError:
        missing_at = "" if "@" in parts.netloc else ", or the '@' after user:password is missing"
        raise _malformed(url, f"the port is not a number from 0 to 65535{missing_at}") from None
    if dialect == "mysql" and not parts.path.strip("/"):
        raise ConfigError(
            f"the MySQL URL {_shown(url)} names no database; use mysql://user:password@host:port/DATABASE"
        )


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
            f"the SQLite URL {_shown(url)} names no file; use sqlite://path/to/db.sqlite3 (relative to the "
            "project root) or sqlite:///absolute/path.sqlite3"
        )
    if path == ":memory:" or Path(path).is_absolute():
        return url
    return f"sqlite://{(base / path).resolve()}{sep}{query}"


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found; run from the project root (the folder holding "
            "config/toolkit.toml) or pass --config PATH"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def resolve(
    *,
    env: str | None = None,
    database_url: str | None = None,
    config: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Build the `Settings` for one command from flags, environment variables and the file."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd

    if config is not None:
        config_path, config_source = Path(config), "flag"
    elif environ.get("TOOLKIT_CONFIG"):
        config_path, config_source = Path(environ["TOOLKIT_CONFIG"]), "TOOLKIT_CONFIG"
    else:
        config_path, config_source = DEFAULT_CONFIG, "default"
    config_path = (cwd / config_path).resolve()
    data = _load_toml(config_path)
    root = _project_root_of(config_path)

    section = data.get("toolkit", {})
    envs = data.get("env", {})
    if not isinstance(section, dict) or not isinstance(envs, dict):
        raise ConfigError(f"{config_path}: [toolkit] and [env.NAME] must be tables")

    default_env = str(section.get("default_env", "dev"))
    if not envs:
        # A config with no environments at all still runs on the embedded default.
        envs = {default_env: {"database_url": f"sqlite://{default_env}.sqlite3"}}
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
    env_section = envs[env_name]
    _refuse_typos(section, _TOOLKIT_KEYS, "[toolkit]", config_path)
    for name, table in envs.items():
        if isinstance(table, dict):
            _refuse_typos(table, _ENV_KEYS, f"[env.{name}]", config_path)

    if database_url is not None and not database_url.strip():
        # An empty flag (`--database-url "$UNSET_VAR"`) must not quietly mean the config's database.
        raise ConfigError(
            "--database-url is empty; pass a URL (scheme://user:password@host:port/database), "
            "or leave the option out to use DATABASE_URL or the config file"
        )
    if database_url:
        url, url_source = database_url, "flag"
        url = _sqlite_absolute(url, cwd) if url.lower().startswith("sqlite://") else url
    elif environ.get("DATABASE_URL"):
        url, url_source = environ["DATABASE_URL"], "DATABASE_URL"
        url = _sqlite_absolute(url, cwd) if url.lower().startswith("sqlite://") else url
    else:
        raw = env_section.get("database_url")
        if not raw:
            raise ConfigError(
                f"environment {env_name!r} has no database_url in {config_path}; "
                "set it there, or pass --database-url / DATABASE_URL"
            )
        url = expand_vars(str(raw), environ, f"[env.{env_name}] database_url")
        url_source = "config"
        url = _sqlite_absolute(url, root) if url.lower().startswith("sqlite://") else url
    try:
        _check_url(url)  # fail early on an unknown scheme or a malformed server address
    except ConfigError:
        raise
    except Exception:  # whatever a parser makes of it, the message shows only the masked form
        raise _malformed(url, "not parseable") from None
    _hide_from_logs(url)

    models = section.get("models", ["toolkit.models"])
    if isinstance(models, str):
        models = [models]
    root_str = str(root)
    # Model modules are named relative to the project root, as in any Python project.
    if root_str not in sys.path:
        sys.path.insert(0, root_str)

    return Settings(
        project_root=root,
        config_path=config_path,
        env=env_name,
        database_url=url,
        models=tuple(str(m) for m in models),
        app=str(section.get("app", "models")),
        migrations_dir=(root / str(section.get("migrations", "migrations"))).resolve(),
        seeds_dir=(root / str(section.get("seeds", "seeds"))).resolve(),
        protected=_flag(env_section.get("protected", False), f"[env.{env_name}] protected", config_path),
        env_source=env_source,
        url_source=url_source,
        config_source=config_source,
        env_options={k: v for k, v in env_section.items() if k != "database_url"},
    )
