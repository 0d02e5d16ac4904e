"""Migration 0: init.

Written by `toolkit makemigrations`: a plain Aerich migration that carries the SQL of each
supported dialect. `aerich upgrade` and `toolkit migrate` both run it.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

UPGRADE = {
    "mysql": """
        CREATE TABLE IF NOT EXISTS `aerich` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `version` VARCHAR(255) NOT NULL,
    `app` VARCHAR(100) NOT NULL,
    `content` JSON NOT NULL
) CHARACTER SET utf8mb4;
        CREATE TABLE IF NOT EXISTS `customers` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `email` VARCHAR(255) NOT NULL UNIQUE,
    `name` VARCHAR(100) NOT NULL,
    `joined_at` DATETIME(6) NOT NULL
) CHARACTER SET utf8mb4;
        CREATE TABLE IF NOT EXISTS `orders` (
    `id` INT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `total_cents` INT NOT NULL,
    `customer_id` INT NOT NULL,
    CONSTRAINT `fk_orders_customer_732f3cdb` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`) ON DELETE CASCADE
) CHARACTER SET utf8mb4;""",
    "postgres": """
        CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);
        CREATE TABLE IF NOT EXISTS "customers" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "email" VARCHAR(255) NOT NULL UNIQUE,
    "name" VARCHAR(100) NOT NULL,
    "joined_at" TIMESTAMPTZ NOT NULL
);
        CREATE TABLE IF NOT EXISTS "orders" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "total_cents" INT NOT NULL,
    "customer_id" INT NOT NULL REFERENCES "customers" ("id") ON DELETE CASCADE
);""",
    "sqlite": """
        CREATE TABLE IF NOT EXISTS "aerich" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSON NOT NULL
);
        CREATE TABLE IF NOT EXISTS "customers" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "email" VARCHAR(255) NOT NULL UNIQUE,
    "name" VARCHAR(100) NOT NULL,
    "joined_at" TIMESTAMP NOT NULL
);
        CREATE TABLE IF NOT EXISTS "orders" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "total_cents" INT NOT NULL,
    "customer_id" INT NOT NULL REFERENCES "customers" ("id") ON DELETE CASCADE
);""",
}

DOWNGRADE = {
    "mysql": """
        DROP TABLE IF EXISTS `orders`;
        DROP TABLE IF EXISTS `customers`;""",
    "postgres": """
        DROP TABLE IF EXISTS "orders";
        DROP TABLE IF EXISTS "customers";""",
    "sqlite": """
        DROP TABLE IF EXISTS "orders";
        DROP TABLE IF EXISTS "customers";""",
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
    "eJztl21v2jAQx78KyqtO2qqW0QftXUZBRVVhgmiTOk2WiU3IcOw0cURRle9enxPHkEBXJD"
    "SNqa9I/neXO/9i545nJ52L+LSbpVJENHG+tJ4djiOqLmqWjy0Hx7HR4VbiKdOOfumTaqdp"
    "KhPsS2WYYZZSJRGa+kkYy1BwpfKMMRCFrxxDHlgp4+FjRpEUAZVzXczPX0oOOaFPNDW38Q"
    "LNQsrIRq0hgdxaR3IVa23AZV87QrYp8gXLIm6d45WcC155h1yCGlBOEywpPF4mGZQP1ZVL"
    "NSsqKrUuRYlrMYTOcMbk2nKnyGoOQsORhyY9DyFnD0C+4ABXlZrq1QdQwqf2eeeqc/35sn"
    "OtXHSZlXKVF6ktmCJQ4xl6Tq7tWOLCQzO2UGmEQ9bk2p3jZDvYKqDGVhVdZ2tI/rtwI/yE"
    "GOWBnAPRi4tXUH53x91bd3yivD5ASqEOQHE0hqWpXdiAt+Wrf/fAa/wPQ9cIFq89r3+d7/"
    "nZ2Rv4Kq+dfLVtk+9vEXJKEJZNyDcKlAwjuh30RmCNNikjT83FMbJPKCYjzlblmXoFvTe4"
    "70089/4bpIvS9JFpfK7XA0tbq6uaenJZe0vVQ1o/Bt5tC25bD6NhT+MVqQwSndH6eQ8O1I"
    "QzKRAXS4TJ2vE3qqGWQ1eYLdY+YSBMsb9Y4oSgDYvdHCIhZcfa3Blfy7j+3ZgyrMluOXLQ"
    "GkfwhCN8+7nZ7kY1uwCwibbYBbJpitpRXcEcB3pJkBsyraFqDBcVwV2ThX1J72PFfzNWSC"
    "ExQz6FdG+nW4v6M+YjOImHIW3JmkEc7bVva1HvZEuyjbbSBN2k3BcJDQN+R1ca9kBVhbm/"
    "dWyr/706MsS72oiSE7ysPqb17aUIEMqoLGZdd9J1b3pOvrtjH74p5S8/f8qo"
)
