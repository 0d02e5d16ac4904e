"""The planner and the generators work from the neutral table description alone.

These tables are written by hand, as a database catalog or SQLAlchemy metadata would
describe them: no Tortoise model is involved.
"""

from __future__ import annotations

import ipaddress
import re

import pytest

from toolkit.errors import UsageError
from toolkit.seed.generate import RowMaker, default_plans
from toolkit.seed.plan import Facts, make_plan
from toolkit.seed.pools import Pools
from toolkit.seed.table import Column, ManyToMany, Table, link_table


def pk(name: str = "id") -> Column:
    return Column(name, name, "int", primary_key=True, unique=True, db_generated=True)


def fk(name: str, table: str, *, nullable: bool = False, one_to_one: bool = False) -> Column:
    return Column(name, name.removesuffix("_id"), "int", nullable=nullable, unique=one_to_one,
                  one_to_one=one_to_one, references=(table, "id"))


def table(model: str, name: str, *columns: Column, **kw) -> Table:
    return Table(name=name, model=model, columns=(pk(), *columns), **kw)


def plan_of(tables: list[Table], requested: dict[str, int], rows: dict[str, int] | None = None, free=None):
    by_model = {t.model: t for t in tables}
    return make_plan(by_model, requested, Facts(rows=rows or {}, free=free or {}))


def test_parents_come_first_and_empty_ones_are_added() -> None:
    author = table("Author", "authors", Column("name", "name", "char", max_length=50))
    book = table("Book", "books", fk("author_id", "authors"))
    plan = plan_of([book, author], {"Book": 95})
    assert [(p.model, p.count, p.auto) for p in plan] == [("Author", 10, True), ("Book", 95, False)]
    assert plan[0].reasons == ("authors is empty and Book needs parent rows",)


def test_a_parent_with_rows_is_not_seeded_again() -> None:
    author = table("Author", "authors")
    book = table("Book", "books", fk("author_id", "authors"))
    plan = plan_of([author, book], {"Book": 95}, rows={"authors": 3})
    assert [p.model for p in plan] == ["Book"]


def test_a_self_reference_is_filled_after_loading() -> None:
    node = table("Node", "nodes", fk("parent_id", "nodes", nullable=True))
    (only,) = plan_of([node], {"Node": 10})
    assert only.deferred == ("parent_id",)


def test_a_cycle_is_broken_at_its_nullable_edge() -> None:
    a = table("A", "a", fk("b_id", "b", nullable=True))
    b = table("B", "b", fk("a_id", "a"))
    plan = plan_of([b, a], {"A": 5, "B": 5})
    assert [(p.model, p.deferred) for p in plan] == [("A", ("b_id",)), ("B", ())]


def test_a_cycle_with_no_nullable_edge_is_a_usage_error() -> None:
    a = table("A", "a", fk("b_id", "b"))
    b = table("B", "b", fk("a_id", "a"))
    with pytest.raises(UsageError, match="the foreign keys of A, B form a cycle with no nullable column"):
        plan_of([a, b], {"A": 5, "B": 5})


def test_one_to_one_adds_parents_when_too_few_are_free() -> None:
    user = table("User", "users")
    profile = table("Profile", "profiles", fk("user_id", "users", one_to_one=True))
    plan = plan_of([user, profile], {"Profile": 30}, rows={"users": 20}, free={("profiles", "user_id"): 12})
    assert [(p.model, p.count) for p in plan] == [("User", 18), ("Profile", 30)]
    assert "+18 so that each Profile row gets a User of its own (12 free before this run)" in plan[0].reasons


def test_link_tables_follow_their_owner_and_are_capped_by_the_pairs() -> None:
    post = table("Post", "posts")
    tag = table("Tag", "tags")
    m2m = ManyToMany("post_tags", "post_id", "tag_id", "posts", "tags", name="tags")
    link = link_table(m2m, post, tag)
    plan = plan_of([post, tag, link], {"Post": 3}, rows={"tags": 1})
    assert [(p.model, p.count) for p in plan] == [("Post", 3), ("Post.tags", 3)]
    assert plan[1].reasons[-1] == "capped at 3: that many (post_id, tag_id) pairs are left"


def test_unique_together_on_plain_columns_makes_one_column_unique() -> None:
    coupon = table("Coupon", "coupons", Column("campaign", "campaign", "char", max_length=10),
                   Column("code", "code", "char", max_length=6), unique_together=(("campaign", "code"),))
    rows = RowMaker(coupon, default_plans(coupon), Pools("en_US"), seed=1).rows(0, 5000)
    pairs = [(r[0], r[1]) for r in rows]  # the database makes the id
    assert len(set(pairs)) == 5000
    assert all(len(a) <= 10 and len(b) <= 6 for a, b in pairs)


def test_names_pick_realistic_generators_exact_names_first() -> None:
    shop = Table("shops", "Shop", (
        Column("ip_address", "ip_address", "char", max_length=45),
        Column("email", "email", "char", max_length=80, unique=True),
        Column("country_code", "country_code", "char", max_length=2),
        Column("name", "name", "char", max_length=100),
        Column("zip", "zip", "char", max_length=10),
        Column("price", "price", "decimal", max_digits=6, decimal_places=2),
    ))
    rows = RowMaker(shop, default_plans(shop), Pools("de_DE"), seed=3).rows(0, 200)
    for ip, mail, country, _name, zip_code, price in rows:
        ipaddress.ip_address(ip)
        assert re.fullmatch(r"[a-z0-9._]+@[a-z0-9.-]+\.[a-z]+", mail)
        assert re.fullmatch(r"[A-Z]{2}", country)
        assert len(zip_code) <= 10 and price < 10_000
    assert sum(r[2] == "DE" for r in rows) > 120  # mostly the locale's own country
    # "name" of a shop is a company's name, not a person's.
    assert any(w in " ".join(r[3] for r in rows) for w in ("GmbH", "AG", "KG", "& Co"))
