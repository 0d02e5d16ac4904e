"""`check` reports the lint findings of the pending migrations (every file without a
database) as warnings; `--strict` makes them fail it. `makemigrations` lints what it wrote."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.migration_helpers import write_migration

INDEX = 'CREATE INDEX "idx_users_city" ON "users" ("city");'


def test_check_without_a_database_warns_of_findings_and_strict_fails(project: Project) -> None:
    name = write_migration(project.root, 1, "city_index", INDEX, 'DROP INDEX "idx_users_city";').name
    warned = project.cli("check", "--no-database")
    assert warned.exit_code == 0, warned.output
    assert f"migrations/models/{name}:" in warned.stderr
    assert "index-not-concurrent [users]" in warned.stderr
    assert "In sync: the migrations hold every model change." in warned.stdout
    strict = project.cli("check", "--no-database", "--strict")
    assert strict.exit_code == 1
    assert "which fail --strict" in strict.stdout
    data = json.loads(project.cli("check", "--no-database", "--json").stdout)
    assert [(f["rule"], f["migration"], f["table"]) for f in data["lint"]] == [("index-not-concurrent", name, "users")]
    assert data["in_sync"] is True


def test_check_lints_only_the_pending_migrations(project: Project) -> None:
    name = write_migration(project.root, 1, "city_index", INDEX, 'DROP INDEX "idx_users_city";').name
    pending = project.cli("check", "--json")
    assert pending.exit_code == 1  # pending anyway
    assert [f["migration"] for f in json.loads(pending.stdout)["lint"]] == [name]
    assert project.cli("migrate").exit_code == 0
    applied = project.cli("check", "--strict")
    assert applied.exit_code == 0, applied.output
    assert "index-not-concurrent" not in applied.output


def test_an_accepted_finding_is_no_warning_in_check(project: Project) -> None:
    write_migration(
        project.root, 1, "city_index",
        INDEX + "\n-- toolkit-lint: accept index-not-concurrent -- 200 rows", 'DROP INDEX "idx_users_city";',
    )
    result = project.cli("check", "--no-database", "--strict")
    assert result.exit_code == 0, result.output
    assert "Lint findings" not in result.output


def test_a_clean_project_has_no_lint_in_check(project: Project) -> None:
    data = json.loads(project.cli("check", "--no-database", "--json").stdout)
    assert data["lint"] == []


def _models_with_city_index(project: Project) -> None:
    import uuid

    from tests.conftest import REPO

    module = f"tklint_{uuid.uuid4().hex[:8]}"  # Python caches modules, Tortoise keeps state
    source = (REPO / "toolkit" / "models.py").read_text()
    source = source.replace("max_length=128, null=True)", "max_length=128, null=True, db_index=True)")
    (project.root / f"{module}.py").write_text(source)
    config = project.root / "config" / "toolkit.toml"
    config.write_text(config.read_text().replace('["toolkit.models"]', f'["{module}"]'))


def test_makemigrations_lints_the_file_it_wrote_in_text_and_json(project: Project) -> None:
    _models_with_city_index(project)
    made = project.run("makemigrations", "--json")
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout)
    assert [(f["rule"], f["table"]) for f in data["lint"]] == [("index-not-concurrent", "users")]
    assert data["lint"][0]["migration"] == data["path"].rsplit("/", 1)[-1]
