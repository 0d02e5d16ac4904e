"""At 100,000 rows the data still passes for real: distinct where real values are distinct,
repeated at real frequencies where they repeat, no row numbers in emails, times that agree."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import unicodedata
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.conftest import Project
from tests.shop import make_shop

NOW = "2026-06-01"
ANCHOR = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def _column(db: sqlite3.Connection, table: str, column: str) -> list[Any]:
    return [r[0] for r in db.execute(f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')]


def distinct(values: list[Any]) -> float:
    return len(set(values)) / len(values)


def top_share(values: list[Any]) -> float:
    return Counter(values).most_common(1)[0][1] / len(values)


def numbered(values: list[str]) -> float:
    """Share of handles (an email's part before the @) that show a digit."""
    return sum(bool(re.search(r"\d", v.split("@")[0])) for v in values) / len(values)


def plain(name: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", name).lower() if "a" <= c <= "z")


def test_bundled_users_at_100k_look_real(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--count", "100000", "--seed", "7", "--now", NOW, timeout=300)
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(project.sqlite_path)
    rows = db.execute("SELECT email, username, first_name, last_name FROM users").fetchall()
    assert len(rows) == 100_000
    emails, usernames = [r[0] for r in rows], [r[1] for r in rows]
    # Unique without the row number showing.
    assert distinct(emails) == distinct(usernames) == 1.0
    assert numbered(emails) < 0.10 and numbered(usernames) < 0.10
    # Made from the row's own names.
    own = sum(e.split("@")[0] in (f"{plain(f)}.{plain(la)}", f"{plain(f)}_{plain(la)}") for e, _, f, la in rows)
    assert own > 0.95 * len(rows)
    # Names repeat at a real population's rates: common ones are common.
    firsts, lasts = [r[2] for r in rows], [r[3] for r in rows]
    assert distinct(firsts) < 0.02 and 0.008 < top_share(firsts) < 0.05
    assert distinct(lasts) < 0.02 and 0.005 < top_share(lasts) < 0.05
    # Mostly distinct where real values are; a long tail of cities.
    assert distinct(_column(db, "users", "phone")) > 0.95
    cities = _column(db, "users", "city")
    assert 0.005 < distinct(cities) < 0.2 and 0.005 < top_share(cities) < 0.08
    # Times lead up to the run's --now: birthdays of adults, sign-ups before now.
    born = [dt.date.fromisoformat(b) for b in _column(db, "users", "birth_date")]
    assert all(17.9 <= (ANCHOR.date() - b).days / 365.25 <= 81 for b in born)
    created = [dt.datetime.fromisoformat(c) for c in _column(db, "users", "created_at")]
    assert max(created) <= ANCHOR and (ANCHOR - max(created)).days < 2


def _texts(db: sqlite3.Connection, table: str, *columns: str) -> dict[str, list[Any]]:
    return {c: _column(db, table, c) for c in columns}


def test_a_shop_at_100k_rows_looks_real(tmp_path: Path) -> None:
    project = make_shop(tmp_path / "shop")
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--all", "--count", "12500", "--seed", "3", "--now", NOW, timeout=400)
    assert result.returncode == 0, result.stderr
    db = sqlite3.connect(project.sqlite_path)
    customers = _texts(db, "shop_customers", "email", "phone", "street", "bio", "city", "postcode")
    assert numbered(customers["email"]) < 0.10
    for column in ("phone", "street", "bio"):
        assert distinct(customers[column]) > 0.9, column
    assert distinct(customers["city"]) < 0.5 and distinct(customers["postcode"]) > 0.5
    usernames = _column(db, "shop_profiles", "username")
    assert distinct(usernames) == 1.0 and numbered(usernames) < 0.10
    products = _texts(db, "shop_products", "title", "description")
    assert distinct(products["title"]) > 0.95 and distinct(products["description"]) > 0.99
    reviews = _texts(db, "shop_reviews", "title", "body")
    assert distinct(reviews["title"]) > 0.9 and distinct(reviews["body"]) > 0.99
    # Numbers stay in real ranges, whatever the column holds.
    for lat, lon in db.execute("SELECT latitude, longitude FROM shop_customers"):
        assert -90 <= lat <= 90 and -180 <= Decimal(str(lon)) <= 180
    stock = _column(db, "shop_products", "stock")
    assert min(stock) >= 0 and max(stock) <= 500
    ratings = set(_column(db, "shop_reviews", "rating"))
    assert ratings <= {1, 2, 3, 4, 5}
    prices = [Decimal(str(p)) for p in _column(db, "shop_products", "price")]
    assert min(prices) > 0 and max(prices) < 10**8
    # Children per parent are skewed: some customers have many orders, some none.
    per_customer = Counter(_column(db, "shop_orders", "customer_id"))
    customers_n = db.execute("SELECT COUNT(*) FROM shop_customers").fetchone()[0]
    assert customers_n - len(per_customer) > 0.1 * customers_n  # some with none
    assert max(per_customer.values()) >= 5 * (sum(per_customer.values()) / customers_n)  # some with many
    # Times agree: orders placed before the run's now, customers created before it too.
    for column, table in (("placed_at", "shop_orders"), ("created_at", "shop_customers")):
        assert max(dt.datetime.fromisoformat(t) for t in _column(db, table, column)) <= ANCHOR
