"""No message, JSON document, log line or ledger row shows the database password.

Whatever shape the URL has: percent-encoded or not, a missing `:` or `//`, no scheme at
all, from `${VAR}` expansion or `DATABASE_URL`, a password in a query option. Malformed
URLs are refused before a driver sees them (exit 2, one line, masked); well-formed ones
pointed at a port nothing listens on fail with exit 1, and their messages are masked too.
"""

from __future__ import annotations

import json
import logging
import os
import re
from urllib.parse import quote, unquote

import pytest

from tests.conftest import Project, query_db
from toolkit.errors import ConfigError
from toolkit.settings import resolve
from toolkit.urls import mask_url, scrub

# Every URL delimiter (gen-delims, sub-delims, `%`, space), between distinctive pieces.
PASSWORD = "Zq7@Kx9:Wv3/Jm5?Rt8#Yb2%20Hn4&Pd6=Lc1;Fg0[Ab3]Cd4!Ef5$Gh6'Ij7(Kl8)Mn9*Op1+Qr2,St3 Uv4"
ENCODED = quote(PASSWORD, safe="")
SHORT = "Sup3r", "S3cret"  # the two halves of a password split by a single delimiter
# What must never show: the password's pieces, raw or percent-decoded (a parser that
# splits the password at a delimiter would echo one piece, not the whole).
TOKENS = sorted(
    {piece for form in (PASSWORD, unquote(PASSWORD)) for piece in re.split(r"[^A-Za-z0-9]+", form) if len(piece) >= 3}
    | set(SHORT)
)
DEAD = "127.0.0.1:1"  # nothing listens there: a well-formed URL fails fast

# URLs that must be refused before any connection: exit 2.
MALFORMED = {
    "unencoded": f"postgres://app:{PASSWORD}@{DEAD}/db",
    "unencoded-mysql": f"mysql://app:{PASSWORD}@{DEAD}/db",
    "unencoded-asyncpg": f"asyncpg://app:{PASSWORD}@{DEAD}/db",
    "missing-colon": f"postgres//app:{PASSWORD}@{DEAD}/db",
    "missing-slashes": f"postgres:app:{PASSWORD}@{DEAD}/db",
    "missing-slashes-short": f"postgres:app:{SHORT[0]}{SHORT[1]}@{DEAD}/db",
    "no-scheme": f"app:{PASSWORD}@{DEAD}/db",
    "no-scheme-short": f"app:{SHORT[0]}{SHORT[1]}@{DEAD}/db",
    "slash": f"postgres://app:{SHORT[0]}/{SHORT[1]}@{DEAD}/db",
    "hash": f"postgres://app:{SHORT[0]}#{SHORT[1]}@{DEAD}/db",
    "question-mark": f"postgres://app:{SHORT[0]}?{SHORT[1]}@{DEAD}/db",
    "at-sign": f"postgres://app:{SHORT[0]}@{SHORT[1]}@{DEAD}/db",
    "bracket": f"postgres://app:{SHORT[0]}[{SHORT[1]}@{DEAD}/db",
    "brackets": f"postgres://app:{SHORT[0]}[1]{SHORT[1]}@{DEAD}/db",
    "stray-percent": f"postgres://app:{SHORT[0]}%{SHORT[1]}@{DEAD}/db",
    "numeric-before-slash": f"postgres://app:12345/{SHORT[1]}@{DEAD}/db",
    "no-at-sign": f"postgres://app:{SHORT[0]}{SHORT[1]}/db",
    "mysql-slash": f"mysql://root:{SHORT[0]}/{SHORT[1]}@{DEAD}/db",
    "unknown-scheme": f"oracle://app:{PASSWORD}@{DEAD}/orcl",
    "unknown-scheme-short": f"oracle://app:{SHORT[0]}/{SHORT[1]}@{DEAD}/orcl",
}
# URLs a driver may see: they fail to connect (exit 1), masked.
WELL_FORMED = {
    "encoded": f"postgres://app:{ENCODED}@{DEAD}/db",
    "encoded-mysql": f"mysql://app:{ENCODED}@{DEAD}/db",
    "sslpassword": f"postgresql://app@{DEAD}/db?sslmode=disable&sslpassword={ENCODED}",
    "sslpassword-short": f"postgresql://app@{DEAD}/db?sslpassword={SHORT[0]}{SHORT[1]}",
}
COMMANDS = [
    ("status",), ("status", "--json"),
    ("migrate",), ("migrate", "--json"), ("migrate", "--dry-run", "--json"),
    ("seed", "--count", "1"), ("seed", "--count", "1", "--json"),
    ("check",), ("check", "--json"),
    ("rollback",), ("wait", "--timeout", "1"), ("bootstrap",), ("reset", "--force"),
    ("makemigrations",),
]
# Commands that never open the database (makemigrations runs offline).
OFFLINE = {("makemigrations",)}


def _leaks(text: str) -> list[str]:
    return [token for token in TOKENS if token in text]


def _assert_clean(text: str) -> None:
    assert not _leaks(text), f"password pieces {_leaks(text)} in: {text!r}"


def _one_line_error(output: str) -> str:
    assert "Traceback" not in output, output
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert lines and lines[-1].startswith("Error: "), output
    return lines[-1]


def _error_of(result, cmd: tuple[str, ...]) -> str:  # type: ignore[no-untyped-def]
    """The error a command printed: one line on stderr, or with --json a JSON object on stdout."""
    if "--json" in cmd:
        assert "Traceback" not in result.stderr, result.stderr
        return "Error: " + json.loads(result.stdout)["error"]
    return _one_line_error(result.stderr)


def _cmd_id(cmd: tuple[str, ...]) -> str:
    return "-".join(part.lstrip("-") for part in cmd)


# --- the functions ----------------------------------------------------------------------


@pytest.mark.parametrize("url", [*MALFORMED.values(), *WELL_FORMED.values()], ids=[*MALFORMED, *WELL_FORMED])
def test_mask_url_never_shows_the_password(url: str) -> None:
    _assert_clean(mask_url(url))


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgres://app:{PASSWORD}@h:5432/db", "postgres://app:***@h:5432/db"),
        (f"postgres://app:{ENCODED}@h:5432/db", "postgres://app:***@h:5432/db"),
        (f"postgres://app/{SHORT[1]}@h/db", "postgres://***@h/db"),
        (f"postgres//app:{PASSWORD}@h/db", "<unparseable postgres URL>"),
        (f"postgres:app:{PASSWORD}@h/db", "<unparseable postgres URL>"),
        (f"app:{PASSWORD}@h/db", "<unparseable URL>"),
        (f"postgres://app:{SHORT[0]}/db", "<unparseable postgres URL>"),
        ("postgres://h/db?sslpassword=x&sslmode=require", "postgres://h/db?sslpassword=***&sslmode=require"),
        ("postgres://h/db?password=x;passfile=/p", "postgres://h/db?password=***;passfile=/p"),
        ("postgres://u@h:5432/db", "postgres://u@h:5432/db"),
        ("sqlite:///tmp/a@b/x.db", "sqlite:///tmp/a@b/x.db"),
        ("sqlite://:memory:", "sqlite://:memory:"),
        ("", "<unparseable URL>"),
    ],
)
def test_mask_url_shapes(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_scrub_removes_every_form_of_the_password() -> None:
    url = f"postgres://app:{ENCODED}@h/db"
    text = (
        f"connect {url} failed; raw {PASSWORD}; decoded {unquote(ENCODED)}; "
        f"repr {PASSWORD!r}; json {json.dumps(PASSWORD)}; piece 'Kx9:Wv3'; port 'Jm5'"
    )
    cleaned = scrub(text, url)
    assert "postgres://app:***@h/db" in cleaned and cleaned.startswith("connect ")
    assert ENCODED not in cleaned and PASSWORD not in cleaned
    # Pieces of 4+ characters go too; the short ones here are not in the text any more.
    assert all(piece not in cleaned for piece in re.split(r"[^A-Za-z0-9]+", PASSWORD) if len(piece) >= 4)


@pytest.mark.parametrize("url", [*MALFORMED.values(), *WELL_FORMED.values()], ids=[*MALFORMED, *WELL_FORMED])
def test_scrub_removes_what_a_parser_would_echo(url: str) -> None:
    # A parser's complaint quotes a piece of the URL: `Port could not be cast ... 'Sup3r'`.
    for piece in (PASSWORD, ENCODED, unquote(PASSWORD), f"{SHORT[0]}{SHORT[1]}"):
        if piece in url or quote(piece, safe="") in url:
            assert piece not in scrub(f"error: {piece!r}", url)
    if f"{SHORT[0]}/" in url or f"{SHORT[0]}#" in url or f"{SHORT[0]}?" in url:
        _assert_clean(scrub(f"Port could not be cast to integer value as '{SHORT[0]}'", url))


def test_scrub_takes_settings_or_nothing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "toolkit.toml").write_text('[toolkit]\nmodels = ["toolkit.models"]\n[env.dev]\ndatabase_url = "sqlite://x.db"\n')
    settings = resolve(database_url=f"postgres://app:{ENCODED}@h/db", environ={}, cwd=tmp_path)
    assert scrub(f"boom {ENCODED}", settings) == "boom ***"
    assert scrub("nothing secret", None) == "nothing secret"
    assert scrub("", settings) == ""
    assert ENCODED not in repr(settings) and "postgres://app:***@h/db" in repr(settings)


def test_scrub_leaves_what_the_masked_url_shows_anyway() -> None:
    # A password equal to the user name: the masked URL shows that name already.
    url = "postgresql://postgres:postgres@h/db"
    assert scrub(f"h refused user 'postgres' ({url})", url) == "h refused user 'postgres' (postgresql://postgres:***@h/db)"
    assert scrub("asyncpg://postgres:Hunt***@h/db", "postgres://postgres:Hunter2Plain@h/db") == "asyncpg://postgres:***@h/db"
    # An SQLite file path holds no password, whatever characters it has.
    assert scrub("no such file /srv/a@b/x.db", "sqlite:///srv/a@b/x.db") == "no such file /srv/a@b/x.db"


@pytest.fixture
def root(tmp_path):  # type: ignore[no-untyped-def]
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "toolkit.toml").write_text(
        '[toolkit]\nmodels = ["toolkit.models"]\n'
        '[env.dev]\ndatabase_url = "sqlite://dev.sqlite3"\n'
        '[env.staging]\ndatabase_url = "postgres://app:${DB_PASSWORD}@127.0.0.1:1/db"\n'
    )
    return tmp_path


@pytest.mark.parametrize("url", MALFORMED.values(), ids=MALFORMED)
def test_resolve_refuses_a_malformed_url_with_a_masked_one_line_fix(root, url: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        resolve(database_url=url, environ={}, cwd=root)
    message = str(caught.value)
    _assert_clean(message)
    assert "\n" not in message
    assert caught.value.exit_code == 2
    if not url.startswith("oracle"):
        assert "malformed database URL" in message and "percent-encode" in message and "%2F for /" in message


@pytest.mark.parametrize("url", WELL_FORMED.values(), ids=WELL_FORMED)
def test_resolve_accepts_a_percent_encoded_url(root, url: str) -> None:  # type: ignore[no-untyped-def]
    settings = resolve(database_url=url, environ={}, cwd=root)
    assert settings.database_url == url
    _assert_clean(settings.masked_url)


@pytest.mark.parametrize("value", ["", " ", "\t"])
def test_an_empty_database_url_flag_is_refused(root, value: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="--database-url is empty; pass a URL"):
        resolve(database_url=value, environ={}, cwd=root)
    assert resolve(database_url=None, environ={}, cwd=root).env == "dev"


def test_a_malformed_url_from_variable_expansion_is_refused_masked(root) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match="malformed database URL 'postgres://app:\\*\\*\\*@127.0.0.1:1/db'") as caught:
        resolve(env="staging", environ={"DB_PASSWORD": PASSWORD}, cwd=root)
    _assert_clean(str(caught.value))
    settings = resolve(env="staging", environ={"DB_PASSWORD": ENCODED}, cwd=root)
    assert settings.masked_url == "postgres://app:***@127.0.0.1:1/db"


# --- the real CLI, every command ----------------------------------------------------------


@pytest.mark.parametrize("cmd", COMMANDS, ids=_cmd_id)
@pytest.mark.parametrize("url", MALFORMED.values(), ids=MALFORMED)
def test_every_command_refuses_a_malformed_url_without_showing_it(project: Project, url: str, cmd: tuple[str, ...]) -> None:
    result = project.cli("--database-url", url, *cmd)
    assert result.exit_code == 2, result.output
    _error_of(result, cmd)
    _assert_clean(result.stdout + result.stderr)
    assert not project.sqlite_path.exists()  # nothing fell back to the config's database


@pytest.mark.parametrize("cmd", COMMANDS, ids=_cmd_id)
@pytest.mark.parametrize("url", WELL_FORMED.values(), ids=WELL_FORMED)
def test_every_command_on_an_unreachable_server_stays_masked(project: Project, url: str, cmd: tuple[str, ...]) -> None:
    result = project.cli(*cmd, env={"DATABASE_URL": url})
    _assert_clean(result.stdout + result.stderr)
    if cmd in OFFLINE:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1, result.output
        assert DEAD in _error_of(result, cmd)


@pytest.mark.parametrize("cmd", COMMANDS, ids=_cmd_id)
def test_an_empty_database_url_flag_is_a_usage_error_for_every_command(project: Project, cmd: tuple[str, ...]) -> None:
    for args in (("--database-url", "", *cmd), (*cmd, "--database-url", "")):
        result = project.cli(*args)
        assert result.exit_code == 2, result.output
        assert "--database-url is empty" in _error_of(result, cmd)
        assert not project.sqlite_path.exists()


@pytest.mark.parametrize("password", [PASSWORD, f"{SHORT[0]}/{SHORT[1]}", f"{SHORT[0]}#{SHORT[1]}", ENCODED])
def test_a_password_from_variable_expansion_never_shows(project: Project, password: str) -> None:
    config = project.root / "config" / "toolkit.toml"
    config.write_text(
        config.read_text() + '\n[env.secret]\ndatabase_url = "postgres://app:${DB_PASSWORD}@127.0.0.1:1/db"\n'
    )
    for cmd in (("status", "--json"), ("migrate",), ("seed", "--count", "1", "--json"), ("check", "--json")):
        result = project.cli("--env", "secret", *cmd, env={"DB_PASSWORD": password})
        assert result.exit_code == (1 if password == ENCODED else 2), result.output
        _error_of(result, cmd)
        _assert_clean(result.stdout + result.stderr)


@pytest.mark.parametrize(
    ("url", "code"),
    [(MALFORMED["unencoded"], 2), (MALFORMED["slash"], 2), (MALFORMED["no-scheme"], 2), (WELL_FORMED["encoded"], 1)],
    ids=["unencoded", "slash", "no-scheme", "encoded"],
)
def test_the_installed_command_never_shows_it_either(project: Project, url: str, code: int) -> None:
    for args in (("--database-url", url, "migrate"), ("status", "--json")):
        result = project.run(*args, env={"DATABASE_URL": url}, timeout=30)
        assert result.returncode == code, result.stderr
        _error_of(result, args)
        _assert_clean(result.stdout + result.stderr)


# --- a real server: JSON, log lines and the rows toolkit writes ---------------------------


def test_a_working_run_keeps_the_password_out_of_output_logs_and_rows(
    project: Project, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Trust auth on the test server accepts any password, so the whole one can be used.
    url = pg_url.replace("postgresql://postgres@", f"postgresql://postgres:{ENCODED}@", 1)
    assert url != pg_url
    caplog.set_level(logging.DEBUG)
    outputs = []
    for cmd in (
        ("migrate", "--json"), ("status", "--json"), ("check", "--json"),
        ("seed", "--count", "3", "--json"), ("migrate", "--dry-run", "--json"),
        ("bootstrap", "--force"), ("rollback", "--force"), ("migrate",), ("wait", "--timeout", "5"),
    ):
        result = project.cli("--database-url", url, *cmd)
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout + result.stderr)
    for out in outputs:
        _assert_clean(out)
    for record in caplog.records:
        _assert_clean(record.getMessage())
    report = json.loads(project.cli("--database-url", url, "status", "--json").stdout)
    assert report["database_url"] == pg_url.replace("postgres@", "postgres:***@", 1)
    # Every row of every table toolkit or Aerich wrote: ledger, metadata, migration history.
    tables = [row[0] for row in query_db(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", url=pg_url
    )]
    assert {"toolkit_metadata", "toolkit_seed_runs", "aerich"} <= set(tables)
    for table in tables:
        _assert_clean(repr(query_db(f'SELECT * FROM "{table}"', url=pg_url)))


def test_tortoise_startup_log_keeps_no_part_of_a_plain_password(
    project: Project, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Tortoise masks a password in its DEBUG startup line by keeping its first third.
    url = pg_url.replace("postgresql://postgres@", "postgresql://postgres:Hunter2Plain@", 1)
    caplog.set_level(logging.DEBUG)
    assert project.cli("--database-url", url, "migrate").exit_code == 0
    startup = [r.getMessage() for r in caplog.records if "Tortoise-ORM startup" in r.getMessage()]
    assert startup and all("postgres:***@" in line for line in startup)
    assert not [r for r in caplog.records if "Hunt" in r.getMessage()]


@pytest.mark.skipif(not os.environ.get("TOOLKIT_TEST_MYSQL_URL"), reason="needs TOOLKIT_TEST_MYSQL_URL")
def test_a_refused_mysql_login_never_shows_the_password(project: Project) -> None:
    server = os.environ["TOOLKIT_TEST_MYSQL_URL"]
    url = server.replace("://root@", f"://root:{ENCODED}@", 1)
    assert url != server
    for cmd in (("status", "--json"), ("migrate",), ("seed", "--count", "1")):
        result = project.cli(*cmd, env={"DATABASE_URL": url})
        assert result.exit_code == 1, result.output
        assert "refused user 'root'" in _error_of(result, cmd)
        _assert_clean(result.stdout + result.stderr)


@pytest.mark.parametrize("cmd", COMMANDS, ids=_cmd_id)
@pytest.mark.parametrize("url", [
    f"sqlite://app:{SHORT[0]}{SHORT[1]}@/tmp/tk-secret.db", f"sqlite://app:{SHORT[0]}{SHORT[1]}@x.db",
    f"sqlite://app:{SHORT[0]}/?@:{SHORT[1]}@/tmp/tk-secret.db",  # the password's / and ? first
])
def test_a_sqlite_url_with_a_password_is_refused_without_showing_it(project: Project, url: str, cmd: tuple[str, ...]) -> None:
    result = project.cli("--database-url", url, *cmd)
    assert result.exit_code == 2, result.output
    assert "has a user or password, which SQLite doesn't take" in result.stdout + result.stderr
    _assert_clean(result.stdout + result.stderr)
    assert not project.sqlite_path.exists()
