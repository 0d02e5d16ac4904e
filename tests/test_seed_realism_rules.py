"""Columns get what their names say: numbers in real ranges, identifiers, stamps in order,
model names read by their words, people who are one person per row."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import statistics
import uuid
from pathlib import Path

import pytest

from tests.conftest import model_project

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Account(Model):
    id = fields.IntField(primary_key=True)
    handle = fields.CharField(max_length=40, unique=True)
    email = fields.CharField(max_length=120, unique=True)
    display_name = fields.CharField(max_length=80)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "rr_accounts"


class Request(Model):
    id = fields.IntField(primary_key=True)
    status_code = fields.IntField()
    duration_ms = fields.IntField()
    level = fields.IntField()
    position = fields.IntField()
    percent = fields.FloatField()
    probability = fields.FloatField()
    rating = fields.FloatField()
    hits = fields.IntField()
    retries = fields.IntField(default=3)
    bot_id = fields.CharField(max_length=32)
    external_id = fields.CharField(max_length=64, unique=True)
    uuid = fields.CharField(max_length=36)
    token = fields.CharField(max_length=64, unique=True)
    path = fields.CharField(max_length=255)

    class Meta:
        table = "rr_requests"


class UserProps(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)

    class Meta:
        table = "rr_user_props"


class PetOwner(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)

    class Meta:
        table = "rr_pet_owners"
"""


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    project = model_project(tmp_path_factory.mktemp("rules") / "rules", MODELS)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--all", "--count", "3000", "--seed", "11", "--now", "2027-02-01T12:00:00")
    assert result.returncode == 0, result.stderr
    return sqlite3.connect(project.sqlite_path)


def test_stamps_follow_each_other_up_to_now(seeded: sqlite3.Connection) -> None:
    now = dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)
    rows = seeded.execute("SELECT created_at, updated_at, last_login FROM rr_accounts").fetchall()
    for created, updated, login in rows:
        c, u = dt.datetime.fromisoformat(created), dt.datetime.fromisoformat(updated)
        assert c <= u <= now
        if login is not None:
            assert u <= dt.datetime.fromisoformat(login) <= now


def test_a_row_without_name_columns_is_still_one_person(seeded: sqlite3.Connection) -> None:
    rows = seeded.execute("SELECT handle, email, display_name FROM rr_accounts").fetchall()
    same = 0
    for handle, email, name in rows:
        words = [re.sub(r"[^a-z]", "", w.lower()) for w in name.split()]
        same += email.split("@")[0] == handle and all(w in handle for w in words)
    assert same > 0.95 * len(rows)
    assert sum(bool(re.search(r"\d", h)) for h, _, _ in rows) == 0


def test_numbers_with_a_name_rule_are_in_real_ranges(seeded: sqlite3.Connection) -> None:
    cols = "status_code, duration_ms, level, position, percent, probability, rating, hits, retries"
    rows = seeded.execute(f"SELECT {cols} FROM rr_requests").fetchall()
    status, duration, level, position, percent, probability, rating, hits, retries = zip(*rows)
    assert set(status) <= {200, 201, 204, 301, 302, 304, 400, 401, 403, 404, 500, 502, 503}
    assert status.count(200) > len(rows) / 2
    assert 50 < statistics.median(duration) < 2000 and max(duration) < 100_000
    assert min(level) >= 1 and max(level) <= 100 and min(position) >= 0 and max(position) <= 50
    assert min(percent) >= 0 and max(percent) <= 100 and min(probability) >= 0 and max(probability) <= 1
    assert min(rating) >= 1 and max(rating) <= 5 and len(set(rating)) > 5
    # No rule: small and skewed, most near the median, never up to a million.
    assert statistics.median(hits) < 100 and max(hits) < 100_000 and max(hits) > 10 * statistics.median(hits)
    # A default gives the scale: retries around 3, not around 30.
    assert statistics.median(retries) <= 6


def test_identifier_columns_hold_identifiers(seeded: sqlite3.Connection) -> None:
    rows = seeded.execute("SELECT bot_id, external_id, uuid, token, path FROM rr_requests").fetchall()
    for bot_id, external_id, text_uuid, token, path in rows:
        assert re.fullmatch(r"[1-9]\d{9}", bot_id) and re.fullmatch(r"[1-9]\d{9}", external_id)
        uuid.UUID(text_uuid)
        assert re.fullmatch(r"[0-9a-f]{40}", token)
        assert re.fullmatch(r"(/[a-z]+)+/[a-z]+_\d+\.[a-z0-9]+", path), path
    assert len({r[1] for r in rows}) == len({r[3] for r in rows}) == len(rows)


def test_model_names_are_read_by_their_words(seeded: sqlite3.Connection) -> None:
    # UserProps are props (words), a PetOwner is an owner (a person).
    props = [r[0] for r in seeded.execute("SELECT name FROM rr_user_props")]
    owners = [r[0] for r in seeded.execute("SELECT name FROM rr_pet_owners")]
    first_names = {r[0].split()[0] for r in seeded.execute("SELECT display_name FROM rr_accounts")}
    assert sum(p.split()[0] in first_names for p in props) < 0.05 * len(props)
    assert sum(o.split()[0] in first_names for o in owners) > 0.8 * len(owners)


def test_time_moves_with_the_anchor(tmp_path: Path) -> None:
    project = model_project(tmp_path / "years", MODELS.replace("level = fields.IntField()", "level = fields.IntField()\n    year = fields.IntField()"))
    assert project.run("migrate").returncode == 0
    assert project.run("seed", "--model", "Request=500", "--now", "2031-03-01").returncode == 0
    years = [r[0] for r in sqlite3.connect(project.sqlite_path).execute("SELECT year FROM rr_requests")]
    assert max(years) == 2031 and min(years) >= 1971


def test_dry_run_samples_are_the_rows_the_run_writes(tmp_path: Path) -> None:
    import json

    project = model_project(tmp_path / "dry", MODELS)
    assert project.run("migrate").returncode == 0
    assert project.run("seed", "--model", "Account=20", "--seed", "3").returncode == 0  # the ledger's key
    args = ("seed", "--model", "Account=20", "--seed", "5", "--now", "2027-01-01")
    dry = json.loads(project.run(*args, "--dry-run", "--json").stdout)
    assert project.run(*args).returncode == 0
    written = sqlite3.connect(project.sqlite_path).execute(
        "SELECT email, created_at FROM rr_accounts ORDER BY id LIMIT 3 OFFSET 20"
    ).fetchall()
    samples = [(s["email"], s["created_at"]) for s in dry["samples"]["Account"]]
    assert [e for e, _ in samples] == [e for e, _ in written]
    assert [dt.datetime.fromisoformat(c) for _, c in samples] == [dt.datetime.fromisoformat(c) for _, c in written]
