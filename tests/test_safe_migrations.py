"""`makemigrations --safe`: PostgreSQL gets the lock-safe forms (indexes built concurrently
outside a transaction, constraints NOT VALID then validated) in migrations of their own;
SQLite and MySQL keep the SQL they had. Applied and reverted on a real PostgreSQL."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from tests.conftest import REPO, Project
from tests.migration_helpers import Target, write_migration
from toolkit.migrations.lint import Schema, lint_sql
from toolkit.migrations.safe_sql import safe_steps

TEAM = '''

class Team(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)

    class Meta:
        table = "teams"
'''


def _changed_models(project: Project) -> None:
    """An index, a unique field, a new foreign key and a column made NOT NULL on `users`."""
    module = f"tksafe_{uuid.uuid4().hex[:8]}"  # Python caches modules, Tortoise keeps state
    source = (REPO / "toolkit" / "models.py").read_text()
    for old, new in (
        ("city = fields.CharField(max_length=128, null=True)", "city = fields.CharField(max_length=128, null=True, db_index=True)"),
        ("phone = fields.CharField(max_length=32, null=True)", "phone = fields.CharField(max_length=32, null=True, unique=True)"),
        ("country_code = fields.CharField(max_length=2, null=True)", "country_code = fields.CharField(max_length=2)"),
        ('    class Meta:\n        table = "users"',
         '    team = fields.ForeignKeyField("models.Team", null=True, related_name="members")\n\n    class Meta:\n        table = "users"'),
    ):
        assert old in source
        source = source.replace(old, new)
    (project.root / f"{module}.py").write_text(source + TEAM)
    config = project.root / "config" / "toolkit.toml"
    config.write_text(config.read_text().replace('["toolkit.models"]', f'["{module}"]'))


def _scripts(path: Path, dialect: str) -> tuple[str, str]:
    text = path.read_text()
    up, down = (re.search(rf"^{k} = \{{\n.*?^\}}$", text, re.S | re.M).group(0) for k in ("UPGRADE", "DOWNGRADE"))  # type: ignore[union-attr]
    entry = rf'^    "{dialect}": (""".*?"""|".*?"),$'
    return tuple(re.search(entry, block, re.S | re.M).group(1) for block in (up, down))  # type: ignore[return-value,union-attr]


def _files(project: Project) -> list[Path]:
    return sorted((project.root / "migrations" / "models").glob("[1-9]_*.py"), key=lambda p: int(p.name.split("_")[0]))


USER = (
    "INSERT INTO users (email, username, first_name, last_name, country_code, is_active, created_at) "
    "VALUES ('{n}@x.org', '{n}', 'A', 'B', 'fr', true, now())"
)


def test_safe_migrations_lint_clean_and_apply_valid_on_postgres(project: Project, pg_url: str) -> None:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert project.run("migrate", env=db.env).returncode == 0
    for n in ("ann", "bob"):
        db.query(USER.format(n=n))  # rows to validate against
    _changed_models(project)
    made = project.run("makemigrations", "--safe", "--json")
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout)
    assert data["lint"] == []
    assert [Path(p).name.split("_", 2)[2] for p in data["safe_steps"]] == [
        "update_concurrently_1.py", "update_concurrently_2.py", "update_validate.py",
    ]
    linted = project.run("lint")
    assert linted.returncode == 0 and linted.stdout == "No findings.\n", linted.stdout
    applied = project.run("migrate", env=db.env)
    assert applied.returncode == 0, applied.stderr
    assert db.query(
        "SELECT c.relname, i.indisvalid, i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname IN ('uid_users_phone_f72cc5', 'idx_users_city_e2b585') ORDER BY 1"
    ) == [("idx_users_city_e2b585", True, False), ("uid_users_phone_f72cc5", True, True)]
    assert db.query("SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype IN ('f', 'c')") == [
        ("fk_users_teams_0b37847d", True)  # and the CHECK standing in for NOT NULL is gone
    ]
    assert db.query("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'country_code'") == [(True,)]
    versions = db.versions()
    assert len(versions) == len(set(versions)) == 5  # each recorded once
    assert project.run("check", "--strict", env=db.env).returncode == 0
    reverted = project.run("rollback", "--steps", "4", env=db.env)
    assert reverted.returncode == 0, reverted.stderr
    assert db.query("SELECT indexname FROM pg_indexes WHERE tablename = 'users' AND indexname NOT LIKE '%pkey'") == [
        ("users_email_key",), ("users_username_key",)
    ]
    assert db.query("SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'country_code'") == [(False,)]
    assert "teams" not in db.tables() and len(db.versions()) == 1
    assert project.run("migrate", env=db.env).returncode == 0  # and forward again


def test_sqlite_and_mysql_scripts_are_the_ones_makemigrations_writes(project: Project) -> None:
    _changed_models(project)
    same = {"PYTHONHASHSEED": "0"}  # Aerich orders a model's new indexes as a set iterates
    assert project.run("makemigrations", env=same).returncode == 0
    (plain,) = _files(project)
    before = {d: _scripts(plain, d) for d in ("mysql", "sqlite")}
    plain.unlink()
    assert project.run("makemigrations", "--safe", env=same).returncode == 0
    first, *steps = _files(project)
    assert {d: _scripts(first, d) for d in ("mysql", "sqlite")} == before
    assert len(steps) == 3
    # The steps after it do nothing on SQLite: the whole project migrates and reverts there.
    assert project.run("migrate").returncode == 0
    assert project.run("rollback", "--steps", "4").returncode == 0
    assert project.run("migrate").returncode == 0


def test_the_config_switch_writes_the_safe_forms(project: Project) -> None:
    config = project.root / "config" / "toolkit.toml"
    config.write_text(config.read_text().replace("[toolkit]\n", "[toolkit]\nsafe_migrations = true\n", 1))
    _changed_models(project)
    made = project.run("makemigrations")
    assert made.returncode == 0, made.stderr
    assert "update_validate.py (postgres, validating)" in made.stdout
    assert "warning:" not in made.stderr


def test_a_failed_concurrent_build_is_reported_with_the_index_it_left(project: Project, pg_url: str) -> None:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert project.run("migrate", env=db.env).returncode == 0
    for n in ("ann", "bob"):
        db.query(USER.format(n=n))  # the same country code twice: no unique index on it
    name = write_migration(
        project.root, 1, "cc_unique", 'CREATE UNIQUE INDEX CONCURRENTLY "uid_cc" ON "users" ("country_code");',
        'DROP INDEX CONCURRENTLY IF EXISTS "uid_cc";', in_transaction=False,
    ).name
    failed = project.run("migrate", env=db.env)
    assert failed.returncode == 1
    line = failed.stderr.strip().splitlines()[-1]  # after the progress lines
    assert line.startswith(f"Error: migration migrations/models/{name} failed on PostgreSQL: could not create unique index")
    assert 'the build left the invalid index "uid_cc" behind: drop it with DROP INDEX CONCURRENTLY "uid_cc"' in line
    assert "it ran outside a transaction" in line and "still pending" in line
    assert db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 'uid_cc'::regclass") == [(False,)]
    assert name not in db.versions()


def test_each_rewrite_lints_clean_and_new_tables_are_left_alone() -> None:
    up = [
        'CREATE TABLE "tags" ("id" SERIAL PRIMARY KEY, "name" TEXT)',
        'CREATE INDEX "idx_tags_name" ON "tags" ("name")',
        'ALTER TABLE "users" ADD CONSTRAINT "uq_users_name" UNIQUE ("first_name", "last_name")',
        'ALTER TABLE "users" ALTER COLUMN "city" SET NOT NULL',
    ]
    down = ['ALTER TABLE "users" ALTER COLUMN "city" DROP NOT NULL', 'ALTER TABLE "users" DROP CONSTRAINT "uq_users_name"', 'DROP TABLE "tags"']
    steps = safe_steps(up, down)
    assert steps.first_up == [up[0], up[1], 'ALTER TABLE "users" ADD CONSTRAINT "users_city_not_null" CHECK ("city" IS NOT NULL) NOT VALID']
    assert steps.concurrent == [(
        'CREATE UNIQUE INDEX CONCURRENTLY "uq_users_name" ON "users" ("first_name", "last_name")',
        'DROP INDEX CONCURRENTLY IF EXISTS "uq_users_name"',
    )]
    assert 'ALTER TABLE "users" ADD CONSTRAINT "uq_users_name" UNIQUE USING INDEX "uq_users_name"' in steps.last_up
    assert steps.first_down == [
        'ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_city_not_null"', down[0], down[2],
    ]
    schema = Schema()
    found = lint_sql("1", ";\n".join(steps.first_up) + ";", schema=schema)
    found += lint_sql("2", steps.concurrent[0][0] + ";", in_transaction=False, schema=schema)
    found += lint_sql("3", ";\n".join(steps.last_up) + ";", schema=schema)
    assert found == []


def test_safe_is_refused_for_tortoise_migrations_before_anything_is_written(tmp_path: Path) -> None:
    from tests.tortoise_helpers import INITIAL, tortoise_project

    shop = tortoise_project(tmp_path / "p", ("0001_initial.py", INITIAL))
    before = sorted(shop.migrations.iterdir())
    result = shop.run("makemigrations", "--safe")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].endswith(
        "--safe rewrites the PostgreSQL SQL of Aerich migrations; Tortoise's migrations hold operations, "
        "not SQL: leave out --safe (and [toolkit] safe_migrations)"
    )
    assert sorted(shop.migrations.iterdir()) == before
