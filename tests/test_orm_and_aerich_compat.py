"""What the seeder writes is what the ORM writes; toolkit and plain Aerich agree on state."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from pathlib import Path

import asyncpg
import pytest
from tortoise import Tortoise

from tests.conftest import Project
from toolkit.db import tortoise_config
from toolkit.settings import resolve

RAW = "SELECT first_name, last_name, phone, birth_date, city, country_code, is_active, created_at FROM users WHERE id = {}"


async def _orm_copy_of_first_user(settings) -> int:
    """Read seeded user 1 through the ORM and save a copy of it through the ORM."""
    from toolkit.models import User

    await Tortoise.init(config=tortoise_config(settings))
    try:
        seeded = await User.get(id=1)
        assert await User.all().count() == 50
        copy = User(
            email="orm." + seeded.email,
            username="orm." + seeded.username,
            first_name=seeded.first_name,
            last_name=seeded.last_name,
            phone=seeded.phone,
            birth_date=seeded.birth_date,
            city=seeded.city,
            country_code=seeded.country_code,
            is_active=seeded.is_active,
            created_at=seeded.created_at,
        )
        await copy.save()
        return int(copy.id)
    finally:
        await Tortoise.close_connections()


def _settings(project: Project, url: str | None = None):
    return resolve(database_url=url, config=project.root / "config" / "toolkit.toml", environ={}, cwd=project.root)


def test_seeded_sqlite_values_match_what_the_orm_writes(project: Project) -> None:
    project.cli("migrate")
    project.cli("seed", "--count", "50", "--seed", "8")
    new_id = asyncio.run(_orm_copy_of_first_user(_settings(project)))
    db = sqlite3.connect(project.sqlite_path)
    seeded = db.execute(RAW.format(1)).fetchone()
    written = db.execute(RAW.format(new_id)).fetchone()
    assert seeded == written
    assert isinstance(seeded[7], str) and seeded[7].endswith("+00:00")


def test_seeded_postgres_values_match_what_the_orm_writes(project: Project, pg_url: str) -> None:
    env = {"DATABASE_URL": pg_url}
    project.cli("migrate", env=env)
    project.cli("seed", "--count", "50", "--seed", "8", env=env)
    new_id = asyncio.run(_orm_copy_of_first_user(_settings(project, pg_url)))

    async def raw() -> tuple:
        conn = await asyncpg.connect(pg_url)
        try:
            return tuple(await conn.fetchrow(RAW.format(1))), tuple(await conn.fetchrow(RAW.format(new_id)))
        finally:
            await conn.close()

    seeded, written = asyncio.run(raw())
    assert seeded == written


async def _plain_aerich(project: Project, url: str, action: str) -> list[str]:
    """Drive Aerich itself, as `aerich upgrade` / `aerich heads` would, on our migrations."""
    from aerich import Command

    settings = _settings(project, url)
    async with Command(tortoise_config=tortoise_config(settings), app="models",
                       location=str(project.root / "migrations")) as cmd:
        if action == "upgrade":
            return await cmd.upgrade(run_in_transaction=True)
        return await cmd.heads()


@pytest.fixture(params=["sqlite", "postgres"])
def any_url(request, project: Project) -> str:
    if request.param == "sqlite":
        return f"sqlite://{project.root / 'aerich.sqlite3'}"
    return request.getfixturevalue("pg_url")


def test_a_database_aerich_brought_up_is_current_for_toolkit(project: Project, any_url: str) -> None:
    applied = asyncio.run(_plain_aerich(project, any_url, "upgrade"))
    assert len(applied) == 1
    status = project.cli("--database-url", any_url, "status", "--exit-code")
    assert status.exit_code == 0, status.output
    assert "Pending (0)" in status.output
    assert "Nothing to migrate" in project.cli("--database-url", any_url, "migrate").output
    assert project.cli("--database-url", any_url, "seed", "--count", "100").exit_code == 0


def test_a_database_toolkit_brought_up_is_current_for_aerich(project: Project, any_url: str) -> None:
    assert project.cli("--database-url", any_url, "migrate").exit_code == 0
    assert asyncio.run(_plain_aerich(project, any_url, "heads")) == []
    assert asyncio.run(_plain_aerich(project, any_url, "upgrade")) == []


def test_the_committed_migrations_need_no_postgres_to_generate(project: Project) -> None:
    # makemigrations runs offline: point it at an unreachable server and it still works.
    env = {**os.environ}
    result = project.run("--database-url", "postgres://u:p@127.0.0.1:1/none", "makemigrations", env=env)
    assert result.returncode == 0, result.stderr
    assert "No changes" in result.stdout
    assert Path(project.root / "migrations" / "models").is_dir()
