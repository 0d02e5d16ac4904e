"""The shop test project (tests/shopproject): a copy per test, and SQL on either backend."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import Project, query_db

SHOP = Path(__file__).resolve().parent / "shopproject"

# Every model of the shop, and the two link tables no model describes.
MODELS = ["Category", "Coupon", "Customer", "Order", "Product", "Profile", "Review", "Tag"]
TABLES = {
    "Category": "shop_categories",
    "Coupon": "shop_coupons",
    "Customer": "shop_customers",
    "Order": "shop_orders",
    "Product": "shop_products",
    "Profile": "shop_profiles",
    "Review": "shop_reviews",
    "Tag": "shop_tags",
}
LINKS = {"shop_order_lines": ("order_id", "product_id"), "shop_products_shop_tags": ("shop_products_id", "tag_id")}


def make_shop(root: Path) -> Project:
    root.mkdir(parents=True)
    for folder in ("config", "migrations", "shopkeeper"):
        shutil.copytree(SHOP / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3*"))
    return Project(root)


@dataclass
class Db:
    """Plain SQL against the project's database: SQLite by default, else PostgreSQL."""

    project: Project
    url: str | None = None

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url} if self.url else {}

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        sqlite_path = self.project.sqlite_path if self.url is None else None
        return query_db(sql, sqlite_path=sqlite_path, url=self.url)

    def value(self, sql: str) -> Any:
        return self.rows(sql)[0][0]

    def count(self, table: str) -> int:
        return int(self.value(f'SELECT COUNT(*) FROM "{table}"'))

    def exists(self, table: str) -> bool:
        if self.url is None:
            return bool(self.rows(f"SELECT COUNT(*) FROM sqlite_master WHERE name = '{table}'")[0][0])
        return bool(self.value(f"SELECT to_regclass('\"{table}\"') IS NOT NULL"))

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every seeded table's rows, sorted: for comparing two runs."""
        out = {}
        for table in [*TABLES.values(), *LINKS]:
            out[table] = sorted(self.rows(f'SELECT * FROM "{table}"'), key=repr)
        return out
