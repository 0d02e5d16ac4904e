"""`lint --database`: findings ranked by their tables' rows on the database; one on an
empty or missing table is downgraded (safe there, fails nothing). Offline, every finding."""

from __future__ import annotations

import json

from tests.conftest import Project
from tests.migration_helpers import Target, write_migration

SQL = """CREATE INDEX "i_users" ON "users" ("city");
CREATE INDEX "i_tags" ON "tags" ("name");
CREATE INDEX "i_future" ON "future" ("x");
CREATE INDEX "i_events" ON "events" ("at");"""


def _ready(project: Project, pg_url: str) -> tuple[Target, str]:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert project.run("migrate", env=db.env).returncode == 0
    for sql in (
        "CREATE TABLE events (at INT)", "INSERT INTO events SELECT g FROM generate_series(1, 20000) g",
        "ANALYZE events", "CREATE TABLE tags (name TEXT)", "INSERT INTO tags VALUES ('a'), ('b'), ('c')",
    ):
        db.query(sql)
    return db, write_migration(project.root, 1, "indexes", SQL).name


def test_findings_are_ranked_by_rows_and_empty_tables_are_safe(project: Project, pg_url: str) -> None:
    db, name = _ready(project, pg_url)
    result = project.run("lint", "--database", "--json", env=db.env)
    assert result.returncode == 1, result.stderr  # events and tags have rows
    found = [(f["table"], f["rows"], f["downgraded"]) for f in json.loads(result.stdout)]
    assert found == [
        ("events", 20000, None),
        ("tags", 3, None),
        ("users", 0, "table is empty: safe"),
        ("future", None, "table does not exist yet: safe"),
    ]
    text = project.run("lint", "--database", env=db.env).stdout
    assert "index-not-concurrent [events, 20,000 rows]" in text
    assert "index-not-concurrent [users, table is empty: safe]" in text
    assert text.splitlines()[-1] == "4 finding(s), 2 not accepted, 2 safe on this database (empty or missing table)."


def test_offline_every_finding_is_reported_and_fails(project: Project, pg_url: str) -> None:
    db, _ = _ready(project, pg_url)
    result = project.run("lint", "--json", env=db.env)
    assert result.returncode == 1
    found = json.loads(result.stdout)
    assert [f["table"] for f in found] == ["users", "tags", "future", "events"]  # file order
    assert {(f["rows"], f["downgraded"]) for f in found} == {(None, None)}


def test_a_finding_only_on_empty_tables_passes_against_the_database(project: Project, pg_url: str) -> None:
    db = Target("postgres", {"DATABASE_URL": pg_url}, pg_url)
    assert project.run("migrate", env=db.env).returncode == 0
    write_migration(project.root, 1, "city_index", 'CREATE INDEX "i_users" ON "users" ("city");')
    assert project.run("lint", "1", "--database", env=db.env).returncode == 0
    assert project.run("lint", "1", env=db.env).returncode == 1
