"""`seed --all` on a project the toolkit has never seen (tests/shopproject), on both backends.

The shop has every field kind and every relation kind: UUID, Char and non-generated BigInt
keys, a one-to-one, self-references, an implicit and a named many-to-many through table,
a link model with unique_together on two foreign keys, unique_together on plain columns,
enums, JSON, Decimal, Binary, Time and TimeDelta.
"""

from __future__ import annotations

import ipaddress
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.shop import LINKS, MODELS, TABLES, Db, make_shop

EMAIL = re.compile(r"^[a-z0-9._]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")


@pytest.fixture
def shop(tmp_path: Path) -> Project:
    return make_shop(tmp_path / "shop")


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, shop: Project) -> Db:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    db = Db(shop, url)
    result = shop.cli("migrate", env=db.env)
    assert result.exit_code == 0, result.output
    return db


def _seed(shop: Project, db: Db, *args: str) -> str:
    result = shop.cli("seed", *args, env=db.env)
    assert result.exit_code == 0, result.output
    return result.output


def _assert_valid(db: Db) -> None:
    """Foreign keys, uniqueness, lengths, enums and realism, checked in SQL and Python."""
    customers = db.rows(
        "SELECT id, email, first_name, country_code, ip_address, latitude, longitude, "
        "referred_by_id, phone, website FROM shop_customers"
    )
    ids = {str(c[0]) for c in customers}
    assert len(ids) == len(customers)
    assert len({c[1] for c in customers}) == len(customers)  # unique emails
    assert all(EMAIL.match(c[1]) and len(c[1]) <= 120 for c in customers)
    assert all(re.fullmatch(r"[A-Z]{2}", c[3]) for c in customers)
    for c in customers:
        ipaddress.ip_address(c[4])
        assert -90 <= c[5] <= 90 and -180 <= Decimal(str(c[6])) <= 180
        assert c[7] is None or str(c[7]) in ids
        assert c[9] is None or c[9].startswith("http")
    assert any(c[7] is not None for c in customers) and any(c[7] is None for c in customers)
    assert any(c[8] is None for c in customers)  # nullable columns hold some NULLs

    # One-to-one: every profile has its own, existing customer.
    profiles = db.rows("SELECT customer_id, username, wakes_at, session_length FROM shop_profiles")
    owners = [str(p[0]) for p in profiles]
    assert len(set(owners)) == len(owners) and set(owners) <= ids
    assert len({p[1] for p in profiles}) == len(profiles)

    # A tree: parents exist and come earlier, so there are no loops.
    categories = db.rows("SELECT id, parent_id, slug, name FROM shop_categories")
    cat_ids = {c[0] for c in categories}
    assert all(c[1] is None or (c[1] in cat_ids and c[1] < c[0]) for c in categories)
    assert len({c[2] for c in categories}) == len(categories)
    assert all(len(c[3]) <= 64 for c in categories)

    products = db.rows(
        "SELECT id, sku, category_id, created_by_id, status, priority, price, title, attributes "
        "FROM shop_products"
    )
    assert len({p[1] for p in products}) == len(products)
    assert all(p[2] in cat_ids and str(p[3]) in ids for p in products)
    assert {p[4] for p in products} <= {"draft", "active", "retired"}
    statuses = [p[4] for p in products]
    assert statuses.count("active") > len(statuses) / 2 and len(set(statuses)) > 1  # the default, mostly
    stock = [r[0] for r in db.rows("SELECT stock FROM shop_products")]
    # A numeric default is kept on about half the rows, as for rows the app never touched.
    assert 0.3 < stock.count(0) / len(stock) < 0.7 and all(0 <= s <= 32767 for s in stock)
    assert {p[5] for p in products} <= {1, 2, 3}
    assert all(Decimal(str(p[6])) < Decimal("100000000") for p in products)
    assert all(len(p[7]) <= 120 for p in products)
    assert all(p[8] is None or isinstance(json.loads(p[8]) if isinstance(p[8], str) else p[8], dict) for p in products)
    product_ids = {p[0] for p in products}

    orders = db.rows("SELECT customer_id, status, currency, number FROM shop_orders")
    assert all(str(o[0]) in ids for o in orders)
    assert {o[1] for o in orders} <= {"pending", "paid", "shipped", "cancelled"}
    assert all(re.fullmatch(r"[A-Z]{3}", o[2]) for o in orders)
    assert len({o[3] for o in orders}) == len(orders)

    reviews = db.rows("SELECT customer_id, product_id, rating FROM shop_reviews")
    pairs = [(str(r[0]), r[1]) for r in reviews]
    assert len(set(pairs)) == len(pairs)
    assert all(a in ids and b in product_ids for a, b in pairs)
    assert {r[2] for r in reviews} <= {1, 2, 3, 4, 5}

    coupons = db.rows("SELECT id, campaign, code FROM shop_coupons")
    assert len({c[0] for c in coupons}) == len(coupons)
    assert len({(c[1], c[2]) for c in coupons}) == len(coupons)
    assert all(len(c[1]) <= 24 and len(c[2]) <= 16 for c in coupons)

    tags = {t[0] for t in db.rows("SELECT code FROM shop_tags")}
    assert all(len(t) <= 12 for t in tags)
    order_ids = {o[0] for o in db.rows("SELECT id FROM shop_orders")}
    for table, (a, b) in LINKS.items():
        links = db.rows(f"SELECT {a}, {b} FROM {table}")
        assert links and len(set(links)) == len(links)
        left = order_ids if table == "shop_order_lines" else product_ids
        right = product_ids if table == "shop_order_lines" else tags
        assert all(x in left and y in right for x, y in links)


def test_seed_all_fills_every_model_with_valid_realistic_rows(shop: Project, db: Db) -> None:
    output = _seed(shop, db, "--all", "--count", "300", "--seed", "5")
    assert "Seeded 3600 rows" in output  # 8 models x 300, and 2 x 600 links
    for table in TABLES.values():
        assert db.count(table) == 300
    assert db.count("shop_order_lines") == db.count("shop_products_shop_tags") == 600
    _assert_valid(db)
    if db.url is None:
        assert db.rows("PRAGMA foreign_key_check") == []


def test_seed_all_appends_and_stays_valid(shop: Project, db: Db) -> None:
    _seed(shop, db, "--all", "--count", "150", "--seed", "1")
    _seed(shop, db, "--all", "--count", "150", "--seed", "1")
    assert db.count("shop_profiles") == 300  # the second run took the 150 new customers
    _assert_valid(db)


def test_rows_are_identical_across_batch_sizes_and_concurrency(shop: Project, db: Db) -> None:
    dumps = []
    for batch, concurrency in (("10000", "1"), ("37", "4")):
        _seed(shop, db, "--all", "--count", "200", "--seed", "8", "--truncate",
              "--batch-size", batch, "--concurrency", concurrency)
        dumps.append(db.dump())
    assert dumps[0] == dumps[1]


def test_a_model_whose_parents_are_empty_seeds_them_first_and_says_so(shop: Project, db: Db) -> None:
    output = _seed(shop, db, "--model", "Product=30")
    assert "Seeding Category first: shop_categories is empty and Product needs parent rows (3 rows)" in output
    assert "Seeding Customer first" in output
    assert "Seeding Tag first: shop_tags is empty and Product.tags needs parent rows" in output
    assert db.count("shop_products") == 30 and db.count("shop_categories") == 3
    assert db.count("shop_products_shop_tags") == 60
    # Customers and products exist now: orders use them and seed nothing else.
    before = db.count("shop_customers")
    output = _seed(shop, db, "--model", "Order=40")
    assert "first" not in output
    assert db.count("shop_orders") == 40 and db.count("shop_customers") == before
    assert db.count("shop_order_lines") == 80


def test_one_to_one_children_get_new_parents_when_too_few_are_free(shop: Project, db: Db) -> None:
    _seed(shop, db, "--model", "Customer=10")
    output = _seed(shop, db, "--model", "Profile=25")
    assert "Seeding Customer first: +15 so that each Profile row gets a Customer of its own" in output
    assert db.count("shop_customers") == 25
    _seed(shop, db, "--model", "Profile=5")  # five more customers again: none is free
    owners = [r[0] for r in db.rows("SELECT customer_id FROM shop_profiles")]
    assert len(owners) == len(set(owners)) == 30


def test_unknown_model_is_a_usage_error_listing_the_models(shop: Project) -> None:
    shop.cli("migrate")
    result = shop.cli("seed", "--model", "Prodcut=3")
    assert result.exit_code == 2
    assert f"unknown model 'Prodcut'; known models: {', '.join(MODELS)}" in result.output


def test_all_needs_a_count(shop: Project) -> None:
    shop.cli("migrate")
    result = shop.cli("seed", "--all")
    assert result.exit_code == 2
    assert "--all needs --count N" in result.output


def test_dry_run_prints_the_plan_and_samples_and_writes_nothing(shop: Project, db: Db) -> None:
    result = shop.cli("seed", "--model", "Review=20", "--dry-run", "--seed", "3", env=db.env)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "nothing was written" in out
    assert re.search(r"\d\. Customer -> shop_customers: 5 rows \[auto\] \(shop_customers is empty", out)
    assert "Review -> shop_reviews: 20 rows" in out and "Sample rows of Review:" in out
    assert all(db.count(t) == 0 for t in TABLES.values())
    assert not db.exists("toolkit_seed_runs")


def test_dry_run_json_has_the_plan_and_sample_rows(shop: Project, db: Db) -> None:
    result = shop.cli("seed", "--all", "--count", "10", "--dry-run", "--json", env=db.env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["dry_run"] is True and data["rows"] == 0
    order = [p["model"] for p in data["plan"]]
    assert order.index("Customer") < order.index("Order") and order.index("Category") < order.index("Product")
    assert order[-2:] == ["Order.products", "Product.tags"]
    assert [p["deferred"] for p in data["plan"] if p["model"] == "Customer"] == [["referred_by_id"]]
    sample = data["samples"]["Customer"][0]
    assert EMAIL.match(sample["email"]) and re.fullmatch(r"[A-Z]{2}", sample["country_code"])
    assert all(db.count(t) == 0 for t in TABLES.values())


def test_seeds_overrides_of_every_kind(shop: Project) -> None:
    (shop.root / "seeds").mkdir()
    (shop.root / "seeds" / "shop.py").write_text(
        "from toolkit.seed.definitions import SeedDefinition\n"
        "SEEDS = [\n"
        "    SeedDefinition(model='Customer', fields={\n"
        "        'company': 'company',\n"  # a Faker provider
        "        'city': ['Lyon', 'Nantes'],\n"  # choices
        "        'is_vip': True,\n"  # a constant
        "        'bio': lambda row: f'customer number {row.index}',\n"  # a callable
        "    }),\n"
        "]\n"
    )
    shop.cli("migrate")
    result = shop.cli("seed", "--model", "Customer=50")
    assert result.exit_code == 0, result.output
    rows = Db(shop).rows("SELECT company, city, is_vip, bio FROM shop_customers")
    assert {r[1] for r in rows} == {"Lyon", "Nantes"}
    assert all(r[2] for r in rows)
    assert {r[3] for r in rows if r[3]} <= {f"customer number {i}" for i in range(50)}
    assert len({r[0] for r in rows if r[0]}) > 10 and all(" " in r[0] or "-" in r[0] for r in rows if r[0])


def test_count_alone_seeds_the_models_defined_in_seeds(shop: Project) -> None:
    (shop.root / "seeds").mkdir()
    (shop.root / "seeds" / "tags.py").write_text(
        "from toolkit.seed.definitions import SeedDefinition\nSEED = SeedDefinition(model='Tag')\n"
    )
    shop.cli("migrate")
    result = shop.cli("seed", "--count", "7")
    assert result.exit_code == 0, result.output
    assert Db(shop).count("shop_tags") == 7 and Db(shop).count("shop_customers") == 0


def test_seed_without_arguments_uses_the_environment_profile(shop: Project) -> None:
    (shop.root / "seeds").mkdir()
    (shop.root / "seeds" / "profiles.toml").write_text(
        "[dev]\nCustomer = 20\nOrder = 60\n\n[test]\nCustomer = 5\n"
    )
    shop.cli("migrate")
    result = shop.cli("seed")
    assert result.exit_code == 0, result.output
    assert Db(shop).count("shop_customers") == 20 and Db(shop).count("shop_orders") == 60


def test_a_profile_naming_an_unknown_model_is_a_config_error(shop: Project) -> None:
    (shop.root / "seeds").mkdir()
    (shop.root / "seeds" / "profiles.toml").write_text("[dev]\nCustomers = 20\n")
    shop.cli("migrate")
    result = shop.cli("seed")
    assert result.exit_code == 2
    assert "seeds/profiles.toml [dev] names unknown model 'Customers'" in result.output
