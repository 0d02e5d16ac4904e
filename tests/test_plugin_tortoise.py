"""The pytest plugin on a project that uses Tortoise's built-in migrations: the downstream
shop with its Aerich file replaced by the package `tk_downstream_shop.migrations` holding
`0001_initial.py` (`class Migration`), as `tortoise makemigrations` writes it. Its suite
runs in a subprocess on SQLite, PostgreSQL and MySQL, with pytest-xdist too; one test of
its own checks that Tortoise's table, not Aerich's, records the migration."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.conftest import MYSQL_ADMIN_URL, PG_ADMIN_URL, pg_database_exists
from tests.migration_helpers import mysql_query
from tests.test_pytest_plugin import run_downstream

INITIAL = """
from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='Customer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=255)),
                ('name', fields.CharField(max_length=100)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'customers', 'app': 'shop', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Order',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('customer', fields.ForeignKeyField('shop.Customer', source_field='customer_id', db_constraint=True, to_field='id', related_name='orders', on_delete=OnDelete.CASCADE)),
                ('total_cents', fields.IntField()),
            ],
            options={'table': 'orders', 'app': 'shop', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
"""

# Run inside the downstream suite: the engine the plugin reports, and the version tables
# the migrated database holds (Tortoise's recorder row, no Aerich table).
ENGINE_CHECK = '''
import pytest
from tk_downstream_shop.models import Customer


async def test_the_builtin_engine_migrated_this_database(toolkit_db):
    assert toolkit_db.engine == "tortoise"
    conn = Customer._meta.db
    rows = await conn.execute_query_dict("SELECT name FROM tortoise_migrations WHERE app = 'shop'")
    assert [r["name"] for r in rows] == ["0001_initial"]
    with pytest.raises(Exception):
        await conn.execute_query("SELECT 1 FROM aerich")
'''

MYSQL_SERVER = MYSQL_ADMIN_URL.rsplit("/", 1)[0] + "/"


def builtin(root: Path, *extra: tuple[str, str]) -> None:
    """The downstream shop on Tortoise's built-in migrations, found by the config's package
    name and the file's `class Migration` (no `engine` key)."""
    shutil.rmtree(root / "migrations")
    config = root / "config" / "toolkit.toml"
    text = config.read_text()
    assert 'migrations = "migrations"' in text
    config.write_text(text.replace('migrations = "migrations"', 'migrations = "tk_downstream_shop.migrations"'))
    package = root / "tk_downstream_shop" / "migrations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, body in (("0001_initial.py", INITIAL), *extra):
        (package / name).write_text(textwrap.dedent(body).lstrip())
    (root / "tests" / "test_builtin_engine.py").write_text(textwrap.dedent(ENGINE_CHECK).lstrip())


@pytest.mark.parametrize("server", ["sqlite", "postgres", "mysql"])
def test_downstream_suite_on_builtin_migrations_passes_and_leaves_no_database(tmp_path: Path, server: str) -> None:
    url = {"postgres": PG_ADMIN_URL, "mysql": MYSQL_SERVER}.get(server)
    result, (dialect, name) = run_downstream(
        tmp_path, "-o", "asyncio_mode=auto", "tests",
        env={"TOOLKIT_TEST_DATABASE_URL": url} if url else None, prepare=builtin,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "14 passed" in result.stdout  # the shop's 13 and the engine check
    assert dialect == server
    if server == "sqlite":
        assert not Path(name).exists()
        assert not (tmp_path / "downstream" / "shop.sqlite3").exists()  # not the dev database
    elif server == "postgres":
        assert not pg_database_exists(name)
    else:
        assert mysql_query(MYSQL_ADMIN_URL, f"SHOW DATABASES LIKE '{name}'") == []


def test_each_xdist_worker_migrates_its_own_postgres_database_by_the_builtin_engine(tmp_path: Path) -> None:
    pytest.importorskip("xdist")

    def prepare(root: Path) -> None:
        builtin(root)
        shutil.move(root / "tests" / "test_builtin_engine.py", root / "factory_tests")

    result, _ = run_downstream(
        tmp_path, "-o", "asyncio_mode=auto", "-n", "2", "factory_tests",
        env={"TOOLKIT_TEST_DATABASE_URL": PG_ADMIN_URL}, prepare=prepare,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The rolled-back tests depend on their order: both workers ran, each on its own database.
    assert "9 passed" in result.stdout


BROKEN = """
from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]

    operations = [ops.RunSQL("CREATE TABLE half (id INTEGER PRIMARY KEY")]
"""


def test_a_builtin_migration_that_fails_fails_the_session_in_one_line(tmp_path: Path) -> None:
    result, _ = run_downstream(
        tmp_path, "-o", "asyncio_mode=auto", "tests/test_builtin_engine.py",
        prepare=lambda root: builtin(root, ("0002_broken.py", BROKEN)),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if "toolkit_db:" in x)
    assert "0002_broken.py failed" in line, result.stdout
    assert "Traceback" not in result.stdout + result.stderr
