"""Which engine a project gets (and the refusal to guess), `[toolkit] engine`, and the rest of
the Tortoise engine's surface: makemigrations, sql, history, --fake, rollback refusals, the
models state it reports for drift."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import make_project
from tests.migration_helpers import target_for
from tests.tortoise_helpers import (
    INITIAL,
    WIDEN,
    TortoiseProject,
    tortoise_changes,
    tortoise_project,
)
from toolkit.commands import inspect
from toolkit.commands import migrate as core
from toolkit.errors import ConfigError, MigrationFailed, ToolkitError
from toolkit.migrations import detect, drift
from toolkit.migrations.tortoise_engine import make_tortoise_migration, tortoise_model_changes
from toolkit.settings import resolve

AERICH_FILE = next((Path(__file__).resolve().parent.parent / "migrations" / "models").glob("0_*.py"))


def _config(project: TortoiseProject, extra: str) -> None:
    path = project.root / "config" / "toolkit.toml"
    path.write_text(path.read_text().replace("[toolkit]\n", f"[toolkit]\n{extra}\n", 1))


def test_a_package_of_tortoise_files_is_detected_without_the_engine_key(tmp_path: Path) -> None:
    shop = tortoise_project(tmp_path / "p", ("0001_initial.py", INITIAL))
    settings = shop.settings()
    assert settings.engine is None and settings.migrations_package == f"{shop.package}.migrations"
    assert settings.app_migrations_dir == shop.migrations
    assert detect.engine_for(settings).name == "tortoise"


def test_tortoise_files_in_the_default_folder_are_detected_too(tmp_path: Path) -> None:
    shop = tortoise_project(tmp_path / "p", config='[toolkit]\nmodels = ["x.models"]\n')
    (shop.root / "migrations" / "models").mkdir(parents=True)
    (shop.root / "migrations" / "models" / "0001_initial.py").write_text(INITIAL)
    assert detect.engine_for(shop.settings()).name == "tortoise"


def test_aerich_files_aerich_models_and_a_new_project_get_aerich(tmp_path: Path) -> None:
    assert detect.engine_for(resolve(environ={}, cwd=make_project(tmp_path / "a").root)).name == "aerich"
    new = tortoise_project(tmp_path / "new", config='[toolkit]\nmodels = ["x.models"]\n')
    assert detect.engine_for(new.settings()).name == "aerich"
    listed = tortoise_project(tmp_path / "l", config='[toolkit]\nmodels = ["x.models", "aerich.models"]\n')
    assert detect.disk_signals(listed.settings())[0].engine == "aerich"


def test_disagreeing_files_are_refused_in_one_line_that_names_them_and_the_fix(tmp_path: Path) -> None:
    shop = tortoise_project(tmp_path / "p", ("0001_initial.py", INITIAL))
    (shop.migrations / AERICH_FILE.name).write_text(AERICH_FILE.read_text())
    with pytest.raises(ToolkitError) as refused:
        detect.engine_for(shop.settings())
    message = str(refused.value)
    assert "\n" not in message
    assert "0001_initial.py has `class Migration`" in message
    assert f"{AERICH_FILE.name} has MODELS_STATE" in message
    assert '[toolkit] engine = "aerich" or "tortoise"' in message

    done = shop.run("status")  # the real CLI says the same, without a traceback
    assert done.returncode != 0
    assert "cannot tell which migration engine" in done.stderr and "Traceback" not in done.stderr

    _config(shop, 'engine = "tortoise"')  # the key settles it
    assert detect.engine_for(shop.settings()).name == "tortoise"


def test_the_database_tables_are_signals_too(tmp_path: Path) -> None:
    shop = tortoise_project(tmp_path / "p", ("0001_initial.py", INITIAL))
    db = target_for("sqlite", shop, None)
    db.query("CREATE TABLE aerich (id INTEGER PRIMARY KEY, version VARCHAR(255), app VARCHAR(100), content TEXT)")
    db.query("INSERT INTO aerich (version, app, content) VALUES ('0_x_init.py', 'models', '{}')")
    with pytest.raises(ToolkitError, match='records migrations of "models" in table "aerich" .so Aerich.'):
        asyncio.run(core.status(shop.settings()))

    # No files at all: the table the database keeps decides.
    bare = tortoise_project(tmp_path / "bare", config='[toolkit]\nmodels = ["x.models"]\n')
    (bare.root / "migrations" / "models").mkdir(parents=True)
    bare_db = target_for("sqlite", bare, None)
    bare_db.query("CREATE TABLE tortoise_migrations (id INTEGER PRIMARY KEY, app VARCHAR(255), name VARCHAR(255), applied_at TIMESTAMP)")
    bare_db.query("INSERT INTO tortoise_migrations (app, name, applied_at) VALUES ('models', '0001_initial', '2026-01-01')")
    report = asyncio.run(core.status(bare.settings()))
    assert report.applied == ["0001_initial.py"] and report.missing == ["0001_initial.py"]


def test_the_engine_key_is_checked(tmp_path: Path) -> None:
    shop = tortoise_project(tmp_path / "p")
    _config(shop, 'engine = "django"')
    with pytest.raises(ConfigError, match='engine must be "aerich" or "tortoise", got .django.'):
        shop.settings()
    typo = tortoise_project(tmp_path / "t")
    _config(typo, 'engin = "tortoise"')
    with pytest.raises(ConfigError, match="did you mean 'engine'"):
        typo.settings()
    aerich = tortoise_project(tmp_path / "a")
    _config(aerich, 'engine = "aerich"')
    settings = aerich.settings()  # Aerich's location is a folder, whatever its name
    assert settings.migrations_package is None and detect.engine_for(settings).name == "aerich"


def test_makemigrations_writes_the_files_tortoise_itself_would(tmp_path: Path) -> None:
    shop = tortoise_project(tmp_path / "p")
    settings = shop.settings()
    first = asyncio.run(make_tortoise_migration(settings))
    assert first is not None and first.name == "0001_initial.py"
    assert "class Migration(migrations.Migration):" in first.read_text()
    assert asyncio.run(make_tortoise_migration(settings)) is None  # nothing changed since
    assert asyncio.run(tortoise_model_changes(settings)) == []
    assert asyncio.run(tortoise_changes(shop)) == []  # nor does `tortoise makemigrations`

    models = shop.root / shop.package / "models.py"
    models.write_text(models.read_text().replace("    bio = fields.TextField(null=True)\n", "    bio = fields.TextField(null=True)\n    born = fields.IntField(null=True)\n"))
    sys.modules.pop(f"{shop.package}.models")  # a new process would import the new models
    assert asyncio.run(tortoise_model_changes(settings)) == ["Add field born to Author"]
    second = asyncio.run(make_tortoise_migration(settings, "born"))
    assert second is not None and second.name == "0002_born.py"
    assert "dependencies = [('models', '0001_initial')]" in second.read_text()

    assert asyncio.run(core.migrate(settings)).applied == ["0001_initial.py", "0002_born.py"]
    db = target_for("sqlite", shop, None)
    assert [r[1] for r in db.query("PRAGMA table_info(author)")] == ["id", "name", "bio", "born"]


def test_sql_history_dry_run_and_fake(tmp_path: Path) -> None:
    shop = tortoise_project(tmp_path / "p", ("0001_initial.py", INITIAL), ("0002_widen.py", WIDEN))
    settings = shop.settings()
    pg = asyncio.run(inspect.sql(settings, "0002", dialect="postgres"))
    assert pg.version == "0002_widen"
    assert 'ALTER TABLE "author" ALTER COLUMN "name" TYPE VARCHAR(80)' in pg.sql
    back = asyncio.run(inspect.sql(settings, "0002", backward=True, dialect="mysql"))
    assert "DROP COLUMN `bio`" in back.sql
    sqlite = asyncio.run(inspect.sql(settings, "0002"))  # the rebuild, statement by statement
    assert 'CREATE TABLE "new__author"' in sqlite.sql and 'DROP TABLE "author";' in sqlite.sql

    plan = asyncio.run(core.dry_run(settings))
    assert [p.name for p in plan.pending] == ["0001_initial", "0002_widen"]
    assert 'CREATE TABLE "author"' in plan.pending[0].sql

    asyncio.run(core.fake(settings, "0001"))
    db = target_for("sqlite", shop, None)
    assert "author" not in db.tables()  # recorded, not run
    history = asyncio.run(inspect.history(settings))
    assert [(e.version, e.applied) for e in history.entries] == [("0001_initial", True), ("0002_widen", False)]
    assert db.query("SELECT app, name FROM tortoise_migrations") == [("models", "0001_initial")]


def test_a_migration_without_a_reverse_is_refused_before_anything_runs(tmp_path: Path) -> None:
    data = textwrap.dedent('''
        from tortoise import migrations
        from tortoise.migrations import operations as ops


        async def forward(apps, schema_editor):
            Author = apps.get_model("models", "Author")
            await Author.create(name="seeded")


        class Migration(migrations.Migration):
            dependencies = [("models", "0001_initial")]
            operations = [ops.RunPython(forward)]
    ''')
    shop = tortoise_project(tmp_path / "p", ("0001_initial.py", INITIAL), ("0002_data.py", data))
    settings = shop.settings()
    asyncio.run(core.migrate(settings))
    db = target_for("sqlite", shop, None)
    assert db.query("SELECT name FROM author") == [("seeded",)]  # RunPython ran, and committed
    with pytest.raises(MigrationFailed, match="0002_data.py cannot be rolled back: its operation 'Run Python code' has no reverse"):
        asyncio.run(core.rollback(settings, force=True))
    with pytest.raises(MigrationFailed, match="has no reverse"):
        asyncio.run(core.rollback(settings, dry_run=True))
    assert [r[0] for r in db.query("SELECT name FROM tortoise_migrations ORDER BY id")] == ["0001_initial", "0002_data"]


def test_the_applied_state_is_described_as_aerich_describes_it_so_drift_works(tmp_path: Path) -> None:
    from toolkit.backends import backend_for

    shop = tortoise_project(tmp_path / "p", ("0001_initial.py", INITIAL), ("0002_widen.py", WIDEN))
    settings = shop.settings()
    asyncio.run(core.migrate(settings))
    target_for("sqlite", shop, None).query("ALTER TABLE author DROP COLUMN bio")

    async def look() -> tuple[dict[str, object] | None, list[str]]:
        backend = backend_for(settings.database_url)
        conn = await backend.connect(1)
        try:
            state = await detect.engine_for(settings).applied_state(conn)
            return state, await drift.find(backend, conn, state or {})
        finally:
            await conn.close()

    state, found = asyncio.run(look())
    assert state is not None
    assert {name: model["table"] for name, model in state.items()} == {  # type: ignore[index]
        "models.Author": "author", "models.Book": "book", "tortoise_migrations": "tortoise_migrations",
    }
    assert found == ['column "author"."bio" is missing']


def test_a_run_sql_that_commits_by_itself_is_refused_before_it_runs(tmp_path: Path) -> None:
    commits = textwrap.dedent('''
        from tortoise import migrations
        from tortoise.migrations import operations as ops


        class Migration(migrations.Migration):
            dependencies = [("models", "0001_initial")]
            operations = [ops.RunSQL("INSERT INTO author (name) VALUES ('early'); COMMIT;", reverse_sql="")]
    ''')
    shop = tortoise_project(tmp_path / "p", ("0001_initial.py", INITIAL), ("0002_commits.py", commits))
    with pytest.raises(MigrationFailed, match="0002_commits.py runs `COMMIT` itself.*Set `atomic = False`"):
        asyncio.run(core.migrate(shop.settings()))
    db = target_for("sqlite", shop, None)
    assert db.query("SELECT count(*) FROM author") == [(0,)]
    assert [r[0] for r in db.query("SELECT name FROM tortoise_migrations")] == ["0001_initial"]
