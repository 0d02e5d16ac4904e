"""Relation shapes beyond plain foreign keys to a primary key, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import model_project, query_db

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Country(Model):
    id = fields.IntField(primary_key=True)
    iso = fields.CharField(max_length=2, unique=True)
    name = fields.CharField(max_length=60)

    class Meta:
        table = "s_countries"


class City(Model):
    id = fields.IntField(primary_key=True)
    country = fields.ForeignKeyField("models.Country", to_field="iso", related_name="cities")
    name = fields.CharField(max_length=60)

    class Meta:
        table = "s_cities"


class Node(Model):
    id = fields.IntField(primary_key=True)
    label = fields.CharField(max_length=20)
    parent = fields.ForeignKeyField("models.Node", related_name="children")

    class Meta:
        table = "s_nodes"


class Product(Model):
    id = fields.IntField(primary_key=True)
    # Aerich 0.10 wrote the through table of only the first of these: the link to itself
    # went missing from the migration.
    countries = fields.ManyToManyField("models.Country", related_name="products")
    related = fields.ManyToManyField("models.Product", related_name="related_to")

    class Meta:
        table = "s_products"


class Visit(Model):
    id = fields.IntField(primary_key=True)
    city = fields.ForeignKeyField("models.City", db_constraint=False, related_name="visits")

    class Meta:
        table = "s_visits"
"""


# Each counts the rows of MODELS whose key points nowhere.
ORPHANS = (
    # to_field="iso": the city holds the country's code, not its id.
    "SELECT count(*) FROM s_cities c LEFT JOIN s_countries k ON k.iso = c.country_id WHERE k.id IS NULL",
    # A NOT NULL self-reference points at rows of its own table.
    "SELECT count(*) FROM s_nodes n LEFT JOIN s_nodes p ON p.id = n.parent_id WHERE p.id IS NULL",
    # No constraint to enforce it, and still no dangling key.
    "SELECT count(*) FROM s_visits v LEFT JOIN s_cities c ON c.id = v.city_id WHERE c.id IS NULL",
)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_to_field_self_reference_and_unconstrained_keys_point_at_real_rows(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "shapes", MODELS)
    env = {"DATABASE_URL": request.getfixturevalue("pg_url")} if backend == "postgres" else {}
    where = {"url": env["DATABASE_URL"]} if env else {"sqlite_path": project.sqlite_path}
    assert project.run("migrate", env=env).returncode == 0
    result = project.run("seed", "--all", "--count", "150", "--seed", "5", env=env)
    assert result.returncode == 0, result.stderr
    for sql in ORPHANS:
        assert query_db(sql, **where) == [(0,)], sql
    assert query_db("SELECT count(*), count(DISTINCT country_id) FROM s_cities", **where)[0][1] > 50
    links = query_db("SELECT * FROM s_products_s_products", **where)
    products = {p for (p,) in query_db("SELECT id FROM s_products", **where)}
    assert links and all(a in products and b in products for a, b in links)
    assert len(set(links)) == len(links)
    assert all(a != b for a, b in links)  # nobody is their own related product
    assert query_db("SELECT count(*) FROM s_products_s_countries", **where)[0][0] > 0
    assert query_db("SELECT count(*) FROM s_nodes WHERE parent_id <> id", **where)[0][0] > 120


BOUNDED = """
from tortoise import fields
from tortoise.models import Model
from tortoise.validators import MaxValueValidator, MinValueValidator


class Invoice(Model):
    id = fields.IntField(primary_key=True)
    amount = fields.DecimalField(max_digits=3, decimal_places=0)
    price = fields.DecimalField(max_digits=4, decimal_places=2)
    percent = fields.IntField(validators=[MaxValueValidator(100)])
    rating = fields.SmallIntField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    temperature = fields.FloatField(validators=[MinValueValidator(-20), MaxValueValidator(45)])

    class Meta:
        table = "s_invoices"
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_numbers_fit_their_decimal_digits_and_validators(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    from decimal import Decimal

    project = model_project(tmp_path / "bounded", BOUNDED)
    env = {"DATABASE_URL": request.getfixturevalue("pg_url")} if backend == "postgres" else {}
    where = {"url": env["DATABASE_URL"]} if env else {"sqlite_path": project.sqlite_path}
    assert project.run("migrate", env=env).returncode == 0
    result = project.run("seed", "--all", "--count", "3000", "--seed", "1", env=env)
    assert result.returncode == 0, result.stderr
    rows = query_db("SELECT amount, price, percent, rating, temperature FROM s_invoices", **where)
    assert len(rows) == 3000
    amounts = [Decimal(str(r[0])) for r in rows]
    prices = [Decimal(str(r[1])) for r in rows]
    assert all(0 <= a <= 999 and a == a.to_integral_value() for a in amounts)
    assert all(0 <= p <= Decimal("99.99") for p in prices)
    assert max(prices.count(p) for p in set(prices)) < 30  # not piled up at the cap
    assert {r[2] for r in rows} <= set(range(0, 101)) and len({r[2] for r in rows}) > 50
    assert {r[3] for r in rows} == {1, 2, 3, 4, 5}
    assert all(-20 <= r[4] <= 45 for r in rows)


def test_dry_run_samples_keys_of_a_to_field_before_and_after_loading(tmp_path: Path) -> None:
    import json
    import re

    project = model_project(tmp_path / "dry", MODELS)
    assert project.run("migrate").returncode == 0

    def city_keys() -> list[str]:
        result = project.run("seed", "--model", "Country=20", "--model", "City=20", "--dry-run", "--json")
        assert result.returncode == 0, result.stderr
        return [row["country_id"] for row in json.loads(result.stdout)["samples"]["City"]]

    # Planned countries, then loaded ones mixed with planned ones: ISO codes, never ids.
    assert all(re.fullmatch(r"[A-Z]{2}", k) for k in city_keys())
    assert project.run("seed", "--model", "Country=30", "--seed", "2").returncode == 0
    assert all(re.fullmatch(r"[A-Z]{2}", k) for k in city_keys())


TICKETS = """
from tortoise import fields
from tortoise.models import Model


class Event(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=80)

    class Meta:
        table = "s_events"


class Member(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=120, unique=True)

    class Meta:
        table = "s_members"


class Ticket(Model):
    id = fields.IntField(primary_key=True)
    event = fields.ForeignKeyField("models.Event", related_name="tickets")
    member = fields.ForeignKeyField("models.Member", related_name="tickets")

    class Meta:
        table = "s_tickets"
        unique_together = (("event", "member"),)
"""


def test_a_link_table_that_runs_out_of_pairs_says_so(tmp_path: Path) -> None:
    import json

    project = model_project(tmp_path / "tickets", TICKETS)
    assert project.run("migrate").returncode == 0
    assert project.run("seed", "--model", "Event=5", "--model", "Member=4").returncode == 0
    capped = project.run("seed", "--model", "Ticket=30")
    assert capped.returncode == 0, capped.stderr
    assert "Fewer Ticket rows than asked: capped at 20: that many (event_id, member_id) pairs are left" in capped.stdout
    assert "Seeded 20 rows" in capped.stdout
    none_left = project.run("seed", "--model", "Ticket=5", "--json")
    assert none_left.returncode == 0
    assert json.loads(none_left.stdout)["skipped"] == ["Ticket"]
    text = project.run("seed", "--model", "Ticket=5")
    assert "No Ticket rows added: every pair of rows it links already exists" in text.stdout


def test_a_self_link_table_with_few_rows_is_capped_without_self_pairs(tmp_path: Path) -> None:
    project = model_project(tmp_path / "few", MODELS)
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--model", "Product=2", "--seed", "1")
    assert result.returncode == 0, result.stderr
    links = query_db("SELECT * FROM s_products_s_products", sqlite_path=project.sqlite_path)
    assert sorted(links) == [(1, 2), (2, 1)]  # the only two pairs of two different products
