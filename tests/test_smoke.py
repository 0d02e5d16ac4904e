import sqlite3

from tests.conftest import Project


def test_migrate_then_seed_on_default_sqlite(project: Project) -> None:
    result = project.cli("migrate")
    assert result.exit_code == 0, result.output
    result = project.cli("seed", "--count", "500", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert "Seeded 500 rows" in result.output
    db = sqlite3.connect(project.sqlite_path)
    assert db.execute("SELECT COUNT(*) FROM users").fetchone() == (500,)


def test_migrate_then_seed_on_postgres(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    assert project.cli("migrate", env=env).exit_code == 0
    result = project.run("seed", "--count", "700", env=env)
    assert result.returncode == 0, result.stderr
    assert "Seeded 700 rows" in result.stdout
