"""Migration 0: init.

Written by `toolkit makemigrations`: a plain Aerich migration that carries the SQL of each
supported dialect. `aerich upgrade` and `toolkit migrate` both run it.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

UPGRADE = {
    "postgres": """
        CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);
        CREATE TABLE IF NOT EXISTS "shop_categories" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(64) NOT NULL,
    "slug" VARCHAR(80) NOT NULL UNIQUE,
    "parent_id" INT REFERENCES "shop_categories" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "shop_categories" IS 'A tree: a nullable self-reference.';
        CREATE TABLE IF NOT EXISTS "shop_coupons" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "campaign" VARCHAR(24) NOT NULL,
    "code" VARCHAR(16) NOT NULL,
    "discount" DECIMAL(5,2) NOT NULL,
    "valid_for" BIGINT NOT NULL,
    "priority" SMALLINT NOT NULL,
    CONSTRAINT "uid_shop_coupon_campaig_5eb192" UNIQUE ("campaign", "code")
);
COMMENT ON COLUMN "shop_coupons"."priority" IS 'LOW: 1\\nNORMAL: 2\\nHIGH: 3';
COMMENT ON TABLE "shop_coupons" IS 'A BigInt key the database doesn''t generate; unique_together on plain columns.';
        CREATE TABLE IF NOT EXISTS "shop_customers" (
    "id" UUID NOT NULL PRIMARY KEY,
    "email" VARCHAR(120) NOT NULL UNIQUE,
    "first_name" VARCHAR(40) NOT NULL,
    "last_name" VARCHAR(40) NOT NULL,
    "phone" VARCHAR(32),
    "street" VARCHAR(120) NOT NULL,
    "city" VARCHAR(60) NOT NULL,
    "postcode" VARCHAR(12) NOT NULL,
    "country_code" VARCHAR(2) NOT NULL,
    "latitude" DOUBLE PRECISION NOT NULL,
    "longitude" DECIMAL(9,6) NOT NULL,
    "website" VARCHAR(200),
    "ip_address" VARCHAR(45) NOT NULL,
    "company" VARCHAR(100),
    "bio" TEXT,
    "is_vip" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "referred_by_id" UUID REFERENCES "shop_customers" ("id") ON DELETE SET NULL
);
COMMENT ON TABLE "shop_customers" IS 'UUID primary key; a nullable self-reference.';
        CREATE TABLE IF NOT EXISTS "shop_tags" (
    "code" VARCHAR(12) NOT NULL PRIMARY KEY,
    "title" VARCHAR(40) NOT NULL
);
COMMENT ON TABLE "shop_tags" IS 'A character primary key.';
        CREATE TABLE IF NOT EXISTS "shop_orders" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "number" BIGINT NOT NULL UNIQUE,
    "placed_at" TIMESTAMPTZ NOT NULL,
    "total" DECIMAL(12,2) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "status" VARCHAR(9) NOT NULL,
    "note" VARCHAR(200),
    "customer_id" UUID NOT NULL REFERENCES "shop_customers" ("id") ON DELETE CASCADE
);
COMMENT ON COLUMN "shop_orders"."status" IS 'PENDING: pending\\nPAID: paid\\nSHIPPED: shipped\\nCANCELLED: cancelled';
COMMENT ON TABLE "shop_orders" IS 'A named through table for its products.';
        CREATE TABLE IF NOT EXISTS "shop_products" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "sku" VARCHAR(20) NOT NULL UNIQUE,
    "title" VARCHAR(120) NOT NULL,
    "description" TEXT NOT NULL,
    "price" DECIMAL(10,2) NOT NULL,
    "weight" DOUBLE PRECISION,
    "stock" SMALLINT NOT NULL,
    "status" VARCHAR(7) NOT NULL,
    "priority" SMALLINT NOT NULL,
    "attributes" JSONB,
    "category_id" INT NOT NULL REFERENCES "shop_categories" ("id") ON DELETE CASCADE,
    "created_by_id" UUID NOT NULL REFERENCES "shop_customers" ("id") ON DELETE CASCADE
);
COMMENT ON COLUMN "shop_products"."status" IS 'DRAFT: draft\\nACTIVE: active\\nRETIRED: retired';
COMMENT ON COLUMN "shop_products"."priority" IS 'LOW: 1\\nNORMAL: 2\\nHIGH: 3';
COMMENT ON TABLE "shop_products" IS 'Decimal, enums, JSON; an implicit many-to-many.';
        CREATE TABLE IF NOT EXISTS "shop_profiles" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "username" VARCHAR(32) NOT NULL UNIQUE,
    "avatar" BYTEA,
    "preferences" JSONB NOT NULL,
    "wakes_at" TIMETZ NOT NULL,
    "session_length" BIGINT NOT NULL,
    "birth_date" DATE,
    "customer_id" UUID NOT NULL UNIQUE REFERENCES "shop_customers" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "shop_profiles" IS 'One-to-one with Customer; binary, JSON, time and interval columns.';
        CREATE TABLE IF NOT EXISTS "shop_reviews" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "rating" SMALLINT NOT NULL,
    "title" VARCHAR(80) NOT NULL,
    "body" TEXT NOT NULL,
    "customer_id" UUID NOT NULL REFERENCES "shop_customers" ("id") ON DELETE CASCADE,
    "product_id" BIGINT NOT NULL REFERENCES "shop_products" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_shop_review_custome_3236c6" UNIQUE ("customer_id", "product_id")
);
COMMENT ON TABLE "shop_reviews" IS 'A link model: two foreign keys, unique as a pair.';
        CREATE TABLE "shop_order_lines" (
    "order_id" INT NOT NULL REFERENCES "shop_orders" ("id") ON DELETE CASCADE,
    "product_id" BIGINT NOT NULL REFERENCES "shop_products" ("id") ON DELETE CASCADE
);
        CREATE TABLE "shop_products_shop_tags" (
    "shop_products_id" BIGINT NOT NULL REFERENCES "shop_products" ("id") ON DELETE CASCADE,
    "tag_id" VARCHAR(12) NOT NULL REFERENCES "shop_tags" ("code") ON DELETE CASCADE
);""",
    "sqlite": """
        CREATE TABLE IF NOT EXISTS "aerich" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSON NOT NULL
);
        CREATE TABLE IF NOT EXISTS "shop_categories" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "slug" VARCHAR(80) NOT NULL UNIQUE,
    "parent_id" INT REFERENCES "shop_categories" ("id") ON DELETE CASCADE
) /* A tree: a nullable self-reference. */;
        CREATE TABLE IF NOT EXISTS "shop_coupons" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "campaign" VARCHAR(24) NOT NULL,
    "code" VARCHAR(16) NOT NULL,
    "discount" VARCHAR(40) NOT NULL,
    "valid_for" BIGINT NOT NULL,
    "priority" SMALLINT NOT NULL /* LOW: 1\\nNORMAL: 2\\nHIGH: 3 */,
    CONSTRAINT "uid_shop_coupon_campaig_5eb192" UNIQUE ("campaign", "code")
) /* A BigInt key the database doesn't generate; unique_together on plain columns. */;
        CREATE TABLE IF NOT EXISTS "shop_customers" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "email" VARCHAR(120) NOT NULL UNIQUE,
    "first_name" VARCHAR(40) NOT NULL,
    "last_name" VARCHAR(40) NOT NULL,
    "phone" VARCHAR(32),
    "street" VARCHAR(120) NOT NULL,
    "city" VARCHAR(60) NOT NULL,
    "postcode" VARCHAR(12) NOT NULL,
    "country_code" VARCHAR(2) NOT NULL,
    "latitude" REAL NOT NULL,
    "longitude" VARCHAR(40) NOT NULL,
    "website" VARCHAR(200),
    "ip_address" VARCHAR(45) NOT NULL,
    "company" VARCHAR(100),
    "bio" TEXT,
    "is_vip" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "referred_by_id" CHAR(36) REFERENCES "shop_customers" ("id") ON DELETE SET NULL
) /* UUID primary key; a nullable self-reference. */;
        CREATE TABLE IF NOT EXISTS "shop_tags" (
    "code" VARCHAR(12) NOT NULL PRIMARY KEY,
    "title" VARCHAR(40) NOT NULL
) /* A character primary key. */;
        CREATE TABLE IF NOT EXISTS "shop_orders" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "number" BIGINT NOT NULL UNIQUE,
    "placed_at" TIMESTAMP NOT NULL,
    "total" VARCHAR(40) NOT NULL,
    "currency" VARCHAR(3) NOT NULL,
    "status" VARCHAR(9) NOT NULL /* PENDING: pending\\nPAID: paid\\nSHIPPED: shipped\\nCANCELLED: cancelled */,
    "note" VARCHAR(200),
    "customer_id" CHAR(36) NOT NULL REFERENCES "shop_customers" ("id") ON DELETE CASCADE
) /* A named through table for its products. */;
        CREATE TABLE IF NOT EXISTS "shop_products" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "sku" VARCHAR(20) NOT NULL UNIQUE,
    "title" VARCHAR(120) NOT NULL,
    "description" TEXT NOT NULL,
    "price" VARCHAR(40) NOT NULL,
    "weight" REAL,
    "stock" SMALLINT NOT NULL,
    "status" VARCHAR(7) NOT NULL /* DRAFT: draft\\nACTIVE: active\\nRETIRED: retired */,
    "priority" SMALLINT NOT NULL /* LOW: 1\\nNORMAL: 2\\nHIGH: 3 */,
    "attributes" JSON,
    "category_id" INT NOT NULL REFERENCES "shop_categories" ("id") ON DELETE CASCADE,
    "created_by_id" CHAR(36) NOT NULL REFERENCES "shop_customers" ("id") ON DELETE CASCADE
) /* Decimal, enums, JSON; an implicit many-to-many. */;
        CREATE TABLE IF NOT EXISTS "shop_profiles" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "username" VARCHAR(32) NOT NULL UNIQUE,
    "avatar" BLOB,
    "preferences" JSON NOT NULL,
    "wakes_at" TIME NOT NULL,
    "session_length" BIGINT NOT NULL,
    "birth_date" DATE,
    "customer_id" CHAR(36) NOT NULL UNIQUE REFERENCES "shop_customers" ("id") ON DELETE CASCADE
) /* One-to-one with Customer; binary, JSON, time and interval columns. */;
        CREATE TABLE IF NOT EXISTS "shop_reviews" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "rating" SMALLINT NOT NULL,
    "title" VARCHAR(80) NOT NULL,
    "body" TEXT NOT NULL,
    "customer_id" CHAR(36) NOT NULL REFERENCES "shop_customers" ("id") ON DELETE CASCADE,
    "product_id" BIGINT NOT NULL REFERENCES "shop_products" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_shop_review_custome_3236c6" UNIQUE ("customer_id", "product_id")
) /* A link model: two foreign keys, unique as a pair. */;
        CREATE TABLE "shop_order_lines" (
    "order_id" INT NOT NULL REFERENCES "shop_orders" ("id") ON DELETE CASCADE,
    "product_id" BIGINT NOT NULL REFERENCES "shop_products" ("id") ON DELETE CASCADE
);
        CREATE TABLE "shop_products_shop_tags" (
    "shop_products_id" BIGINT NOT NULL REFERENCES "shop_products" ("id") ON DELETE CASCADE,
    "tag_id" VARCHAR(12) NOT NULL REFERENCES "shop_tags" ("code") ON DELETE CASCADE
);""",
}

DOWNGRADE = {
    "postgres": """
        DROP TABLE IF EXISTS "shop_products_shop_tags";
        DROP TABLE IF EXISTS "shop_order_lines";
        DROP TABLE IF EXISTS "shop_reviews";
        DROP TABLE IF EXISTS "shop_profiles";
        DROP TABLE IF EXISTS "shop_products";
        DROP TABLE IF EXISTS "shop_orders";
        DROP TABLE IF EXISTS "shop_tags";
        DROP TABLE IF EXISTS "shop_customers";
        DROP TABLE IF EXISTS "shop_coupons";
        DROP TABLE IF EXISTS "shop_categories";""",
    "sqlite": """
        DROP TABLE IF EXISTS "shop_products_shop_tags";
        DROP TABLE IF EXISTS "shop_order_lines";
        DROP TABLE IF EXISTS "shop_reviews";
        DROP TABLE IF EXISTS "shop_profiles";
        DROP TABLE IF EXISTS "shop_products";
        DROP TABLE IF EXISTS "shop_orders";
        DROP TABLE IF EXISTS "shop_tags";
        DROP TABLE IF EXISTS "shop_customers";
        DROP TABLE IF EXISTS "shop_coupons";
        DROP TABLE IF EXISTS "shop_categories";""",
}


def _sql_for(scripts: dict, db: BaseDBAsyncClient) -> str:
    dialect = db.capabilities.dialect
    if dialect not in scripts:
        raise NotImplementedError(
            f"this migration has no SQL for {dialect}; it has {sorted(scripts)}"
        )
    return scripts[dialect]


async def upgrade(db: BaseDBAsyncClient) -> str:
    return _sql_for(UPGRADE, db)


async def downgrade(db: BaseDBAsyncClient) -> str:
    return _sql_for(DOWNGRADE, db)


MODELS_STATE = (
    "eJztXWtz2rga/isavmx3Js0EQkiantkZSGjLWQIZQveaHY+wBWhibNeWkzJ7+t+P5Ltsyd"
    "hAKLh8IcHSK8uP5Ffv5ZH4t7YwNaQ7pzeQoJlpL2vX4N+aAReI/pMpOwE1aFlxCbtA4ET3"
    "Kjtz01JUvypGXhmcOMSGKqHFU6g7iF7SkKPa2CLYNJhQGxAboWsAgeHqOmsKOEifvrXRFN"
    "nIUNEpa0czVdoQNmbFRVwDf3GRQswZInNkU8G//6GXsaGhr7RzwVfrSZlipGvcU2ONNeBd"
    "V8jS8q71DPLBq8h6M1FUU3cXRlzZWpK5aUS1sUHY1RkykE0BYc0T22WPH3Y5gYjf07iK38"
    "WEjIam0NUZiEza70B8raYog+FYeeiOFaWWATiUSAAYXFJNgw0O7arjPf2MdeFto968bF6d"
    "t5pXtIrXzejK5Tf/1jEwvqAHz2Bc++aVQwL9Gh7GMaje3wysN3Noi3EN66eQpV1OIxvimA"
    "dteCHGNp6PuwB3Ab8qOjJmZE6/tpo5SP7WHt18ao/etJo/sxua9PXxX69BUNLwihjYMbiO"
    "7s7KgBvW3w6433fectBenRWA9upMCi0r4qG1INUpRCmlEziZ1apBgHGA4N7M3y0oB6Zup0"
    "9C3eDjlQX4g2kjPDN+RUsP5x7tE6T6XYCqYKE6LIS/hXMovBp30YYv0SLFTy0KAH1sRPy3"
    "vf1w077t1jygJ1B9eoG2pkgQV+dY12hLWcw7geSHX0dIh95j/EBw86++bWquSpzNQLr3Wz"
    "nAVUsKEpthZsNMzCxuzmWLFo1F+go04Mx7JHZvdqdwTpmu5XUza4X6JQVsUK9iYQO0g2dU"
    "k4MntATUUgTMgplAh/5jIsf4iYBw1N6DlE0JTANYOgUG+KrfEdmqW25dYNb+XVPhwoJUUd"
    "a8MdRQ7Z9NTF2/x5tZu/tvNvgr2rtG4/z8snF23rq6aF5eXlydRUtbtihvjev0PrJljjMr"
    "VhvFyYErarslZSpoHDeKGMcNuXHcyBjH3htRBuCgfgXBrbcKgFtvScFlRTy4GnaouhUZb7"
    "dIxQuoizFOiqVw1ny500D+ADHPwfi2e9O7a/ffXJw0PJCdLzr2zbcQ/WbGA3mGOqaGnGln"
    "MR7jBbpFOoFilDnJNMwUT0LFT9mHxtqoFtIihTz4fNfp0gn+LuPk2di0MVkKfbyu4S4y/g"
    "fv7yXEt7M2FsG1UQ7UWn/4O9UAj8ZgOKJTkMo/Gp96Hz9dg/O02ZK7ZJ43LlvRIsm+5C2L"
    "D/ROfYn/J/dTXtW+dB1iLjzLKWthhmUFbMygakEr8/Pn3i2g02QB7SWzBd+XCXiWFd5y6J"
    "PdvoQ16LpYO2Uyr2MT1v4zdQ2V4Qq8O7GP5i+13SsYT1uf+2ulZTpkZnuFHlwrzD60gFgv"
    "Y5JEApUL2NUbRSJ2tJbcJmlkVswpth2ilI0481IVtP6aRaBuypHOmiY6XANnTugIcwGYLQ"
    "pRKYgjgbXg3bNYHY/ueaMAuucNKbqsKJU8YelEgQOTkz6JJCo4fV9FI6tC4zrHBxdb01XA"
    "t1UE3pYc3VZWPVDro2yQIylTQZDrRbREXa4l6hkt4YUr7KVSPprEy1UQ7CJYy6HOIM0SKs"
    "QVofxBN6EkMJ0USkE8ZVIHCHJeGGn4udPvgvtR96b30BsO2F0WS+eLHhfy0aVRt91Pw2wa"
    "MwnOuaE7Tu5HjN29O2kVjt29oInDKpVQGAmR6llvjbMiqx+tJVcXZxmQsaVATaPutyBTK8"
    "eZl6qgWm5eFPFDLuR+yEV2DVxY0ChnyMUi1ZvN9UKzuZ4zm+vZ2TzBpiDQj75KFr6gehXA"
    "zcFy3P3Di+UvnGCRCyF8c9f+42du+esPBx/D6gnIb/rDTlpvOMoztrJgd0xTR9CQqI1IKA"
    "X5hEq9ls6Iruw4hzIc9jnUOz1JRiW1IIaZ74TqsBHDRIGiTGGQipJoEE5SlsUK/zlErU0f"
    "UBsa+rIWcZCkr0Hvrvswbt/dc6Ny2x53WUmDNwODq2/S6dyoEfB7b/wJsK/gr+Ggmw5kR/"
    "XGf9VYn6BLTMUwX9iyGSuP8GqIGjfqXl7CpoM3WQoZlPLUQlZygzTD4ei5FUmFHA5lAjCB"
    "41SaSJnIhB0kuCuJlNkJxrEpaTfA4HO/X4xO6TcG9Q2pgtVDndMGpq0FCdP1IRqyNg5QyR"
    "cCSMcOW+mOvNMCWNnoGaOXDTEaeY1UCaJS1AmO6jzFuiBOEaI5NNDYpB+F5l3YVEV0WEmG"
    "ia+iBPSSSHet4JbEerIIfZndRANkbpvubA68lsDUtAEmDgg1iYiYXFjuuJNuz3bSuYsJEp"
    "AB83jbscyRu12Ku51QkTpU13JgOcEK+q8H4q+GmOQ6rMQkUMDMyk2IRDI/YjKk3ijBZFZd"
    "m7EUywWQEzIVDNKfF2GzyMksWS4LJK4kDbKaxxxL7zPStfvu4LY3+HgNLGRoFOpH477du6"
    "VfIdYejYdPvfv7Lv3qzLFlIXrlpj246fb77JrKnlvXkZY2iIqM1bsCY/VOOlYZ0rlhlksM"
    "hvWrEOrfQVYwZGiXDDymxLZJbt5fbb5+2FFNhKx2F3PcU2hXBh1Tk6vs/u0N90UU2dl8B4"
    "3l2GSfBUdtgzDTd3UicobMezIl5bwnntNmMRBq0QvimqbtjcQTWiZgDkY7Gqeg1BMLygI3"
    "vMaFABQdG/45OsKJQq8rGci/5YYmwocQBCcSz7ciPJGcPKsDFIH1ewIQNT+cE/Dfh+HgPY"
    "AGwAtLxyomgPZ2+ZaYb9nfbKBiDfktByy2sR/6QGIW33k7tPPkljGIguqV2xNTiICdw7/O"
    "0q8JJqLgrhzaSGCfHYF9Irgne5bBWc7eSYlVAu1d03gsG6tlSayRzA8ZszkrEbN5oUb8XH"
    "Q2k5yLHYusycTeM2f1lYnY1CVQn7IAP9D5p0sNj0hod/vNz17X9lh3X/lhh79q1HjGz2Ff"
    "CofAbkftD+NroNlwSh6N9s2491v3GvhtPRqj7rg3YuEuGxFsrxfsykM/1BaX0hXyshInLK"
    "wRm/zOhywkIYeE3mriEiR4IZgXJVYsvFR6ecQqAf8DjKdSKTXO4Mi3S9ImyAkfKGMNpO2S"
    "4ChcMfNRqthTUvs82XecEc+SiUuzSjOCx/DuivBu4oTHTcO7xQ+L3FNoV4d3+XdXHN4VT+"
    "Rj/LwQwOn3d/0TUI/8wc35g3kpBgJn20gvjOHs4KJ5ZVMLwTOm0wpckoZPLFBwJUkFLkIv"
    "SS5Exd63cKBK5BiKkLpLj/TazO6DGuvoKUuMdjJRlB5vPsW0jTRSTHnNySJ5DF9xFikk/6"
    "7OIrGaBbNIQwOxFI9pIPCCyRyEa917MMEGtJd+XugEMAodgIYG6Egg+xnq8qN5t9PkkRy7"
    "X+RY10F22QOpkjKVSyZt/7wk+EzBF/KP2WsjiSpEMulds8sg0lCZWEInCA9EsQQKZac3aI"
    "/+FCc5OoJwQufPcbediaCFhzyWiuekxDYK6OypFbuziM4LfEKOkAE+lrK/kzJ5R/BWC37G"
    "xeZmupDZnfjdlUxsggkwIjcf30eOQzsZajfhMOSch5wVPx6KLD8UeYJtMlcYJFmg2Y4HMc"
    "a8VN52h0ppfbZ7Ye8JqPvgKW0jPlmGIVmEqhpubtxBoG0fhuAVaKobHckdRNEE7mQcX1vh"
    "TSaieUX2TFKP+Al4bVEAXky275HFWtnh2s5J8EMsADoAsj0Ftmj35BotiH+6JTGXAl9+s1"
    "9vOXqQG3qQFAd2+wyw+XyMWKpKGbttpKGP3MNX/X3CiakJkkc554UF9SsB7q6phvtn0u3v"
    "AKz8fYTMdhQhqnnse16uSop3B0T846auXVrLgum+BXSrd8ZPGlz+Fd/xhrlcr4VlbQUuS5"
    "DMXeGvhEnXIs6KSi0lWgXZyd8AEvkk8oobZKm+76/n7VEiZVtHyss9j6OlvPVfUdkodHTc"
    "XLsHm2sjHhHPiRDxXNLciJgls0UGjIwe8e3/+fhXUA=="
)
