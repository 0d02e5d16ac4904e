"""Configuration resolution: flag > environment variable > config file > default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from toolkit.errors import ConfigError
from toolkit.settings import resolve
from toolkit.urls import mask_url

CONFIG = """
[toolkit]
models = ["toolkit.models"]
app = "models"
migrations = "migrations"
default_env = "dev"

[env.dev]
database_url = "sqlite://dev.sqlite3"

[env.test]
database_url = "${DATABASE_URL}"

[env.staging]
database_url = "postgres://app:${PGPASS}@db.internal:5433/app"
protected = true
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "toolkit.toml").write_text(CONFIG)
    return tmp_path


def test_defaults_come_from_the_config_file(root: Path) -> None:
    s = resolve(environ={}, cwd=root)
    assert s.env == "dev"
    assert s.database_url == f"sqlite://{root / 'dev.sqlite3'}"
    assert s.project_root == root
    assert s.migrations_dir == root / "migrations"
    assert s.models == ("toolkit.models",)
    assert s.app == "models"


def test_env_flag_beats_toolkit_env_which_beats_default_env(root: Path) -> None:
    environ = {"TOOLKIT_ENV": "test", "DATABASE_URL": "postgres://u@h/d"}
    assert resolve(environ=environ, cwd=root).env == "test"
    assert resolve(env="dev", environ=environ, cwd=root).env == "dev"


def test_url_flag_beats_database_url_which_beats_the_environment(root: Path) -> None:
    environ = {"DATABASE_URL": "postgres://u@envhost/d"}
    assert resolve(environ=environ, cwd=root).database_url == "postgres://u@envhost/d"
    flagged = resolve(database_url="postgresql://u@flaghost/d", environ=environ, cwd=root)
    assert flagged.database_url == "postgresql://u@flaghost/d"
    assert flagged.url_source == "flag"


def test_env_var_placeholders_expand(root: Path) -> None:
    s = resolve(env="staging", environ={"PGPASS": "s3cret"}, cwd=root)
    assert s.database_url == "postgres://app:s3cret@db.internal:5433/app"
    assert s.protected is True
    assert "s3cret" not in s.masked_url


def test_missing_placeholder_variable_is_named(root: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$\{PGPASS\}.*PGPASS is not set"):
        resolve(env="staging", environ={}, cwd=root)


def test_unknown_environment_is_an_error_even_with_a_url(root: Path) -> None:
    with pytest.raises(ConfigError, match="unknown environment 'prod'.*dev, staging, test"):
        resolve(env="prod", database_url="sqlite://x.db", environ={}, cwd=root)


def test_unknown_url_scheme_is_refused(root: Path) -> None:
    with pytest.raises(ConfigError, match="unsupported database URL 'mysqlx://u:\\*\\*\\*@h/d'"):
        resolve(database_url="mysqlx://u:pw@h/d", environ={}, cwd=root)


def test_all_postgres_schemes_are_accepted(root: Path) -> None:
    for scheme in ("postgres", "postgresql", "asyncpg"):
        assert resolve(database_url=f"{scheme}://u@h/d", environ={}, cwd=root).dialect == "postgres"


def test_config_flag_beats_toolkit_config_which_beats_the_default(root: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / "config"
    other.mkdir(parents=True)
    (other / "toolkit.toml").write_text(CONFIG.replace('default_env = "dev"', 'default_env = "test"'))
    environ = {"TOOLKIT_CONFIG": str(other / "toolkit.toml"), "DATABASE_URL": "sqlite://a.db"}
    assert resolve(environ=environ, cwd=root).project_root == tmp_path / "elsewhere"
    assert resolve(config=root / "config" / "toolkit.toml", environ=environ, cwd=root).project_root == root


def test_missing_config_file_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no config/toolkit.toml or \[tool.toolkit\] in pyproject.toml in .* or above it; run `toolkit init` to write one, or pass --config PATH"):
        resolve(environ={}, cwd=tmp_path)


def test_sqlite_path_in_config_is_relative_to_the_project_root(root: Path) -> None:
    sub = root / "somewhere" / "deep"
    sub.mkdir(parents=True)
    s = resolve(config=root / "config" / "toolkit.toml", environ={}, cwd=sub)
    assert s.database_url == f"sqlite://{root / 'dev.sqlite3'}"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://app:s3cret@db:5432/app", "postgres://app:***@db:5432/app"),
        ("postgresql://app@db/app", "postgresql://app@db/app"),
        ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db"),
        ("asyncpg://u:p%40ss@h/d", "asyncpg://u:***@h/d"),
    ],
)
def test_passwords_are_masked(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_a_config_without_environments_runs_on_the_embedded_default(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "toolkit.toml").write_text('[toolkit]\nmodels = ["shop.models"]\n')
    s = resolve(environ={}, cwd=tmp_path)
    assert (s.env, s.database_url) == ("dev", f"sqlite://{tmp_path / 'dev.sqlite3'}")
    assert resolve(environ={"DATABASE_URL": "postgres://u@h/d"}, cwd=tmp_path).database_url == "postgres://u@h/d"
    with pytest.raises(ConfigError, match="unknown environment 'prod'.*: dev"):
        resolve(env="prod", environ={}, cwd=tmp_path)


@pytest.mark.parametrize(
    "url", ["postgresql://u:pw@h:notaport/d", "postgresql://u:pw@h:99999/d", "postgresql://u:pw@[::1:5432/d"]
)
def test_a_malformed_server_address_is_a_usage_error(root: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="malformed database URL .*use scheme://") as caught:
        resolve(database_url=url, environ={}, cwd=root)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ('[toolkit]\nmodel = ["toolkit.models"]\n', "unknown key 'model' in [toolkit]; did you mean 'models'?"),
        ('[toolkit]\nmodels = ["toolkit.models"]\n[env.dev]\ndatabase_url = "sqlite://x.db"\nprotectd = true\n',
         "unknown key 'protectd' in [env.dev]; did you mean 'protected'?"),
    ],
)
def test_a_near_miss_of_a_known_key_is_refused(tmp_path: Path, snippet: str, message: str) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "toolkit.toml").write_text(snippet)
    with pytest.raises(ConfigError, match=re.escape(message)):
        resolve(environ={}, cwd=tmp_path)


def test_keys_of_a_teams_own_are_allowed(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "toolkit.toml").write_text(
        '[toolkit]\nmodels = ["toolkit.models"]\nowner = "platform"\n[env.dev]\ndatabase_url = "sqlite://x.db"\nslack_channel = "#db"\n'
    )
    assert resolve(environ={}, cwd=tmp_path).env_options == {"slack_channel": "#db"}


def test_an_sqlite_url_without_a_file_is_a_usage_error(root: Path) -> None:
    with pytest.raises(ConfigError, match="names no file; use sqlite://path/to/db.sqlite3"):
        resolve(database_url="sqlite://", environ={}, cwd=root)


def test_protected_must_be_a_boolean(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "toolkit.toml").write_text(
        '[toolkit]\nmodels = ["toolkit.models"]\n[env.dev]\ndatabase_url = "sqlite://x.db"\nprotected = "false"\n'
    )
    with pytest.raises(ConfigError, match=r"\[env.dev\] protected must be true or false, got 'false'"):
        resolve(environ={}, cwd=tmp_path)


def test_a_mysql_url_without_a_database_is_a_usage_error(root: Path) -> None:
    with pytest.raises(ConfigError, match="names no database; use mysql://user:password@host:port/DATABASE"):
        resolve(database_url="mysql://root:pw@127.0.0.1:3306/", environ={}, cwd=root)
