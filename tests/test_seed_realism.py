"""Values that look like what the column is for."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from tests.conftest import model_project

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Author(Model):
    id = fields.IntField(primary_key=True)
    full_name = fields.CharField(max_length=80)
    email = fields.CharField(max_length=120, unique=True)
    phone = fields.CharField(max_length=40, default="")
    karma = fields.IntField(default=0)
    mood = fields.CharField(max_length=10, null=True)

    class Meta:
        table = "r_authors"


class Country(Model):
    code = fields.CharField(max_length=2, primary_key=True)
    name = fields.CharField(max_length=80, unique=True)

    class Meta:
        table = "r_countries"
"""

SEEDS = {
    "authors.py": """
        from toolkit.seed.definitions import SeedDefinition

        SEED = SeedDefinition(model="Author", fields={"mood": ["happy", "calm"]})
    """
}


def test_names_drive_emails_and_names_beat_defaults(tmp_path: Path) -> None:
    project = model_project(tmp_path / "realism", MODELS, SEEDS)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--model", "Author=400", "--model", "Country=100", "--seed", "4")
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(project.sqlite_path)
    authors = db.execute("SELECT full_name, email, phone, karma, mood FROM r_authors").fetchall()
    made_from_name = 0
    for full_name, email, phone, _, mood in authors:
        first, last = full_name.lower().split(" ", 1)
        local = email.split("@")[0]
        made_from_name += first in local and last.split(" ")[-1] in local
        assert re.search(r"\d", phone)  # a phone number, not the empty default
        assert mood in ("happy", "calm")  # an override's values, as given: no NULLs added
    assert made_from_name > 0.9 * len(authors)
    karma = [a[3] for a in authors]
    assert 0 in karma and len(set(karma)) > 10
    countries = db.execute("SELECT code, name FROM r_countries").fetchall()
    assert all(len(c) == 2 and c.isupper() for c, _ in countries)
    assert "Germany" in {n for _, n in countries} or "France" in {n for _, n in countries}
    assert not any(re.search(r"\d", n) for _, n in countries)


STAMPED = """
from tortoise import fields
from tortoise.models import Model


class Note(Model):
    id = fields.IntField(primary_key=True)
    created = fields.DatetimeField(auto_now_add=True)
    touched = fields.DatetimeField(auto_now=True)
    published_at = fields.DatetimeField(null=True)

    class Meta:
        table = "r_notes"


class Draft(Model):
    id = fields.IntField(primary_key=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "r_drafts"
"""


def test_a_row_is_updated_after_it_was_created(tmp_path: Path) -> None:
    project = model_project(tmp_path / "stamps", STAMPED)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--all", "--count", "500", "--seed", "8")
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(project.sqlite_path)
    for table, created, updated in (("r_notes", "created", "touched"), ("r_drafts", "created_at", "updated_at")):
        pairs = db.execute(f"SELECT {created}, {updated} FROM {table}").fetchall()
        assert len(pairs) == 500
        # Same format on both sides ("YYYY-MM-DD HH:MM:SS.ffffff+00:00"): text order is time order.
        assert all(c <= u for c, u in pairs), table
        assert sum(c < u for c, u in pairs) > 450, table  # an update time of its own, not a copy
    # An unrelated time column stays independent of creation.
    published = db.execute("SELECT created, published_at FROM r_notes WHERE published_at IS NOT NULL").fetchall()
    assert any(p < c for c, p in published)


NAMED = """
from tortoise import fields
from tortoise.models import Model


class Pet(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)

    class Meta:
        table = "r_pets"


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)

    class Meta:
        table = "r_categories"


class Clinic(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)

    class Meta:
        table = "r_clinics"
"""


def test_a_name_fits_what_the_model_is(tmp_path: Path) -> None:
    from faker.providers.person.en_US import Provider

    project = model_project(tmp_path / "named", NAMED)
    assert project.run("migrate").returncode == 0
    assert project.run("seed", "--all", "--count", "200", "--seed", "3").returncode == 0
    db = sqlite3.connect(project.sqlite_path)
    first_names = set(Provider.first_names)
    pets = [n for (n,) in db.execute("SELECT name FROM r_pets")]
    assert sum(n in first_names for n in pets) > 0.9 * len(pets)  # a pet is called Bella
    categories = [n for (n,) in db.execute("SELECT name FROM r_categories")]
    assert sum(n in first_names for n in categories) < 0.1 * len(categories)  # "cat" is no animal here
    clinics = [n for (n,) in db.execute("SELECT name FROM r_clinics")]
    company = re.compile(r"(LLC|Inc|Ltd|PLC|Group| and |-|, )")
    assert sum(bool(company.search(n)) for n in clinics) > 0.5 * len(clinics)


def test_a_definition_for_a_misspelt_model_is_refused(tmp_path: Path) -> None:
    seeds = {
        "authors.py": """
            from toolkit.seed.definitions import SeedDefinition

            SEED = SeedDefinition(model="Autor", fields={"mood": ["happy"]})
        """,
        # A model this project doesn't have at all (a copied seed) is left alone.
        "users.py": """
            from toolkit.seed.definitions import SeedDefinition

            SEED = SeedDefinition(model="Invoice", fields={"total": 1})
        """,
    }
    project = model_project(tmp_path / "typo", MODELS, seeds)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--model", "Author=5")
    assert result.returncode == 2
    assert result.stderr == "Error: seeds/ has a definition for unknown model 'Autor'; did you mean 'Author'?\n"
    (project.root / "seeds" / "authors.py").unlink()
    assert project.run("seed", "--model", "Author=5").returncode == 0


BORN = """
from tortoise import fields
from tortoise.models import Model


class Patient(Model):
    id = fields.IntField(primary_key=True)
    birthday = fields.DatetimeField()
    seen_at = fields.DatetimeField(unique=True)

    class Meta:
        table = "r_patients"
"""


def test_birthdays_are_adult_and_unique_times_spread_out(tmp_path: Path) -> None:
    import datetime as dt

    project = model_project(tmp_path / "born", BORN)
    assert project.run("migrate").returncode == 0
    assert project.run("seed", "--all", "--count", "3000", "--seed", "2", "--now", "2031-06-01").returncode == 0
    db = sqlite3.connect(project.sqlite_path)
    rows = db.execute("SELECT birthday, seen_at FROM r_patients").fetchall()
    births = [dt.datetime.fromisoformat(b) for b, _ in rows]
    seen = sorted(dt.datetime.fromisoformat(s) for _, s in rows)
    anchor = dt.datetime(2031, 6, 1, tzinfo=dt.UTC)  # the run's --now: times lead up to it
    assert max(seen) <= anchor and (anchor - max(seen)).days < 7
    assert all(17.9 <= (anchor - b).days / 365.25 <= 81 for b in births)
    assert len(set(seen)) == 3000 and (seen[-1] - seen[0]).days >= 1  # not bunched in minutes


STOCKED = """
from tortoise import fields
from tortoise.models import Model


class Item(Model):
    id = fields.IntField(primary_key=True)
    tags = fields.JSONField(default=list)
    attributes = fields.JSONField(null=True)
    stock = fields.SmallIntField()

    class Meta:
        table = "r_items"
"""


def test_list_json_fields_get_lists_and_stock_looks_like_stock(tmp_path: Path) -> None:
    import json

    project = model_project(tmp_path / "stocked", STOCKED)
    assert project.run("migrate").returncode == 0
    assert project.run("seed", "--all", "--count", "300", "--seed", "6").returncode == 0
    db = sqlite3.connect(project.sqlite_path)
    rows = db.execute("SELECT tags, attributes, stock FROM r_items").fetchall()
    assert all(isinstance(json.loads(t), list) for t, _, _ in rows)
    assert any(json.loads(t) for t, _, _ in rows)
    assert all(isinstance(json.loads(a), dict) for _, a, _ in rows if a is not None)
    assert all(0 <= s <= 500 for _, _, s in rows)
