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
        CREATE TABLE IF NOT EXISTS `users` (
    `id` BIGINT NOT NULL PRIMARY KEY AUTO_INCREMENT,
    `email` VARCHAR(255) NOT NULL UNIQUE,
    `username` VARCHAR(64) NOT NULL UNIQUE,
    `first_name` VARCHAR(64) NOT NULL,
    `last_name` VARCHAR(64) NOT NULL,
    `phone` VARCHAR(32),
    `birth_date` DATE,
    `city` VARCHAR(128),
    `country_code` VARCHAR(2),
    `is_active` BOOL NOT NULL,
    `created_at` DATETIME(6) NOT NULL
) CHARACTER SET utf8mb4;""",
    "postgres": """
        CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);
        CREATE TABLE IF NOT EXISTS "users" (
    "id" BIGSERIAL NOT NULL PRIMARY KEY,
    "email" VARCHAR(255) NOT NULL UNIQUE,
    "username" VARCHAR(64) NOT NULL UNIQUE,
    "first_name" VARCHAR(64) NOT NULL,
    "last_name" VARCHAR(64) NOT NULL,
    "phone" VARCHAR(32),
    "birth_date" DATE,
    "city" VARCHAR(128),
    "country_code" VARCHAR(2),
    "is_active" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);""",
    "sqlite": """
        CREATE TABLE IF NOT EXISTS "aerich" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSON NOT NULL
);
        CREATE TABLE IF NOT EXISTS "users" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "email" VARCHAR(255) NOT NULL UNIQUE,
    "username" VARCHAR(64) NOT NULL UNIQUE,
    "first_name" VARCHAR(64) NOT NULL,
    "last_name" VARCHAR(64) NOT NULL,
    "phone" VARCHAR(32),
    "birth_date" DATE,
    "city" VARCHAR(128),
    "country_code" VARCHAR(2),
    "is_active" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL
);""",
}

DOWNGRADE = {
    "mysql": """
        DROP TABLE IF EXISTS `users`;""",
    "postgres": """
        DROP TABLE IF EXISTS "users";""",
    "sqlite": """
        DROP TABLE IF EXISTS "users";""",
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
    "eJztl21vmzAQx79KxKtO2qqOPG7vkjZbI63J1NJN6jRZBhxixdgUzFpU5bvPZ0J4SIhCtU"
    "1ttHfwvzt8/p05uCfDFy5h0eltRELjY+vJ4Ngn6qKkv20ZOAhyFQSJbaYdY+WhFWxHMsSO"
    "VOIcs4goySWRE9JAUsGVymPGQBSOcqTcy6WY0/uYICk8Ihc6kR8/lUy5Sx5JlN0GSzSnhL"
    "mlPKkLa2sdySTQ2oh6Ey4/aV9Y0EaOYLHPc/8gkQvBNwGUS1A9wkmIJYEVZBjDDiDB9U6z"
    "TaXJ5i5ploUYl8xxzGRhxzbKNQOh6cxCN2MLIaMBI0dw4KtSjTQAD1J498E02+2+edbuDb"
    "qdfr87OBsoX53vtqm/SpPJaaWP0swmnydTCxISqohpaUFY6RgscRqli5HTJz6mbLsA5wsc"
    "7sa/CahUQG2tWoGM98stgY8fESPckwt1a3a7e/B+G16fXw6vT5TXmzLk6dpkpjbgnfOFl0"
    "tfN0BcjDk6yr3OAZB7nVrGYCojntMwkqgp5HLUn8GcCTnnvI8eAWiGn8G5FPQf8wGYA4Wo"
    "EeJNwLPwrlvBy6TbNg+g2zZr6YKpTNemoVwg9T3cgfhCqbsRl6MqnEGW1Cenmf11Ed9D+G"
    "JojSv8HCqTJocz8z++s/neHBxwOJVX7enUtgpeEXMZJgqg26gHVOOOD/chnaC+EWz1ARoh"
    "NerQXzsoj4RgBPOa8aMYV6Fsq8C/9UHL/tj+bQMYzWZf4Ml+FN0zLUwqI8b09mo0Vsdck1"
    "dOVJYmj8LJDgkgQVjubrzQQWvOdilyX/OFi9f4R6E26M44S9Z13lMQa3I1vrGGV19LVYE+"
    "DRZTq0lFPelVXovNQ1rfJ9ZlC25bd7PpWOMVkfRCvWLuZ90ZkBOOpUBcPCDsFoaITM2orW"
    "DUny8L4yYINnaWDzh00ZZFmKLOd9vkm35VwRx7umYAd7X6DcPacF4="
)
