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
