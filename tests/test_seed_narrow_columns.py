"""Unique columns stay unique however narrow they are, or the run is refused up front."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import Project, model_project

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Country(Model):
    code = fields.CharField(max_length=2, primary_key=True)
    name = fields.CharField(max_length=12, unique=True)

    class Meta:
        table = "n_countries"


class Item(Model):
    sku = fields.CharField(max_length=10, primary_key=True)
    title = fields.CharField(max_length=40)
    email = fields.CharField(max_length=20, unique=True)
    country = fields.ForeignKeyField("models.Country", related_name="items")

    class Meta:
        table = "n_items"


class Warehouse(Model):
    id = fields.IntField(primary_key=True)
    country_code = fields.CharField(max_length=2, unique=True)
    price = fields.DecimalField(max_digits=8, decimal_places=2, unique=True)

    class Meta:
        table = "n_warehouses"


class Tag(Model):
    id = fields.SmallIntField(primary_key=True)
    label = fields.CharField(max_length=30)

    class Meta:
        table = "n_tags"
"""


@pytest.fixture
def narrow(tmp_path: Path) -> Project:
    return model_project(tmp_path / "narrow", MODELS)


def _values(project: Project, sql: str) -> list[tuple]:
    db = sqlite3.connect(project.sqlite_path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_narrow_unique_columns_stay_unique_and_fit(narrow: Project) -> None:
    assert narrow.run("migrate").returncode == 0
    for _ in range(2):  # appending keeps them unique too
        result = narrow.run("seed", "--model", "Item=600", "--model", "Warehouse=90")
        assert result.returncode == 0, result.stderr
    skus = [r[0] for r in _values(narrow, "SELECT sku FROM n_items")]
    assert len(skus) == len(set(skus)) == 1200 and max(map(len, skus)) <= 10
    emails = [r[0] for r in _values(narrow, "SELECT email FROM n_items")]
    assert len(set(emails)) == 1200 and max(map(len, emails)) <= 20
    assert all("@" in e for e in emails)
    codes = [r[0] for r in _values(narrow, "SELECT country_code FROM n_warehouses")]
    assert len(set(codes)) == 180 and all(len(c) == 2 and c.isupper() for c in codes)
    prices = [r[0] for r in _values(narrow, "SELECT price FROM n_warehouses")]
    assert len(set(prices)) == 180


def test_a_run_that_cannot_fit_is_refused_before_writing(narrow: Project) -> None:
    narrow.run("migrate")
    result = narrow.run("seed", "--model", "Tag=40000")
    assert result.returncode == 2
    assert "Tag.id is a smallint column: it holds values up to 32,767" in result.stderr, result.stderr
    assert _values(narrow, "SELECT COUNT(*) FROM n_tags") == [(0,)]
    too_many = narrow.run("seed", "--model", "Warehouse=300")
    assert too_many.returncode == 2
    assert "Warehouse.country_code is unique and can hold 195 distinct generated values" in too_many.stderr
    assert "Traceback" not in too_many.stderr
    assert _values(narrow, "SELECT COUNT(*) FROM n_warehouses") == [(0,)]


def test_dry_run_refuses_what_the_real_run_would(narrow: Project) -> None:
    narrow.run("migrate")
    result = narrow.run("seed", "--dry-run", "--model", "Warehouse=300")
    assert result.returncode == 2
    assert "can hold 195 distinct generated values" in result.stderr


def test_resume_refuses_new_counts(narrow: Project) -> None:
    narrow.run("migrate")
    result = narrow.run("seed", "--resume", "--truncate")
    assert result.returncode == 2
    assert "--resume finishes a run with the counts it began with" in result.stderr


def test_a_column_made_nullable_on_sqlite_is_nullable_there_and_seeds(tmp_path: Path) -> None:
    from tests.conftest import model_project

    source = """
        from tortoise import fields
        from tortoise.models import Model


        class Venue(Model):
            id = fields.IntField(primary_key=True)
            city = fields.CharField(max_length=50)

            class Meta:
                table = "venues"
    """
    project = model_project(tmp_path / "venues", source)
    module = next(project.root.glob("adhoc_models_*.py"))
    module.write_text(module.read_text().replace("max_length=50)", 'max_length=50, null=True, default="Paris")'))
    assert project.run("makemigrations").returncode == 0
    assert project.run("migrate").returncode == 0
    # SQLite's table is rebuilt, so the column really is nullable now, as on the servers.
    assert [r[3] for r in _values(project, "PRAGMA table_info(venues)") if r[1] == "city"] == [0]
    result = project.run("seed", "--model", "Venue=500")
    assert result.returncode == 0, result.stderr
    assert _values(project, "SELECT COUNT(*) FROM venues") == [(500,)]
