"""A PostgreSQL or MySQL database's schema as its catalog reports it, and the one
`Tortoise.generate_schemas()` builds there for the same models.

The shape matches tests/sqlite_schema.py: per table its columns (type, nullability, default,
comment), unique column groups (constraints and unique indexes alike, by their columns:
`generate_schemas()` declares them in CREATE TABLE, a migration may add a named index),
other indexes (name and columns), and foreign keys (columns, referenced table and columns,
ON DELETE; not their names, which PostgreSQL picks for an inline REFERENCES).
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

from tests.conftest import Project, query_db
from tests.migration_helpers import mysql_query

_GENERATE = """
import asyncio, sys
from tortoise import Tortoise

async def main():
    await Tortoise.init(db_url=sys.argv[1], modules={"models": [sys.argv[2]]})
    await Tortoise.generate_schemas()
    await Tortoise.close_connections()

asyncio.run(main())
"""

Schema = dict[str, dict[str, Any]]

_PG_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = 'public' AND c.relkind = 'r'
"""

_PG_INDEXES = """
SELECT t.relname, i.relname, ix.indisunique, ix.indisprimary,
       array(SELECT a.attname FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.num ORDER BY k.ord)
FROM pg_index ix
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public'
"""

_PG_FOREIGN_KEYS = """
SELECT t.relname,
       array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.ord),
       r.relname,
       array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(num, ord)
             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.ord),
       c.confdeltype
FROM pg_constraint c
JOIN pg_class t ON t.oid = c.conrelid
JOIN pg_class r ON r.oid = c.confrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = 'public' AND c.contype = 'f'
"""

_PG_TABLE_COMMENTS = """
SELECT c.relname, obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
"""

# A serial column's default names its sequence, which keeps the name it was created with
# when the table is renamed (PostgreSQL doesn't rename it, nor do Aerich or Django): the
# column still draws from its own sequence, so only the sequence's name is left out.
_NEXTVAL = re.compile(r"^nextval\('[^']+'::regclass\)$")


def _empty(names: set[str]) -> Schema:
    return {t: {"columns": {}, "uniques": set(), "indexes": set(), "foreign_keys": set(), "comment": None} for t in names}


def postgres_schema(url: str) -> Schema:
    columns = query_db(_PG_COLUMNS, url=url)
    schema = _empty({r[0] for r in columns})
    for table, column, type_, not_null, default, comment in columns:
        default = "nextval(<its sequence>)" if default and _NEXTVAL.match(default) else default
        schema[table]["columns"][column] = (type_, not not_null, default, comment)
    for table, name, unique, primary, cols in query_db(_PG_INDEXES, url=url):
        if primary:
            schema[table]["primary_key"] = tuple(cols)
        elif unique:
            schema[table]["uniques"].add(tuple(cols))
        else:
            schema[table]["indexes"].add((name, tuple(cols)))
    for table, cols, ref, ref_cols, on_delete in query_db(_PG_FOREIGN_KEYS, url=url):
        schema[table]["foreign_keys"].add((tuple(cols), ref, tuple(ref_cols), on_delete))
    for table, comment in query_db(_PG_TABLE_COMMENTS, url=url):
        schema[table]["comment"] = comment
    return schema


_MY_COLUMNS = """
SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLUMN_COMMENT
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
"""

_MY_INDEXES = """
SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX)
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE
"""

_MY_FOREIGN_KEYS = """
SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION),
       k.REFERENCED_TABLE_NAME, GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION),
       r.DELETE_RULE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
 AND r.TABLE_NAME = k.TABLE_NAME
WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
GROUP BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.REFERENCED_TABLE_NAME, r.DELETE_RULE
"""

_MY_TABLE_COMMENTS = """
SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES
WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
"""


def mysql_schema(url: str) -> Schema:
    columns = mysql_query(url, _MY_COLUMNS)
    schema = _empty({r[0] for r in columns})
    for table, column, type_, nullable, default, extra, comment in columns:
        schema[table]["columns"][column] = (type_, nullable == "YES", default, extra, comment)
    keys = {(r[0], r[1]) for r in mysql_query(url, _MY_FOREIGN_KEYS)}
    for table, name, non_unique, cols in mysql_query(url, _MY_INDEXES):
        group = tuple(cols.split(","))
        if (table, name) in keys:
            # A foreign key's implicit index takes the constraint's name, which is named after
            # the referenced table and stays when that is renamed; foreign keys are compared
            # without their names (see above), so their indexes are too.
            name = "<its foreign key's index>"
        if name == "PRIMARY":
            schema[table]["primary_key"] = group
        elif not non_unique:
            schema[table]["uniques"].add(group)
        else:
            schema[table]["indexes"].add((name, group))
    for table, _, cols, ref, ref_cols, on_delete in mysql_query(url, _MY_FOREIGN_KEYS):
        schema[table]["foreign_keys"].add((tuple(cols.split(",")), ref, tuple(ref_cols.split(",")), on_delete))
    for table, comment in mysql_query(url, _MY_TABLE_COMMENTS):
        schema[table]["comment"] = comment or None
    return schema


def catalog_schema(dialect: str, url: str) -> Schema:
    return postgres_schema(url) if dialect == "postgres" else mysql_schema(url)


def generate_into(project: Project, dialect: str, url: str) -> None:
    """Run `Tortoise.generate_schemas()` for the project's models now on the (empty) `url`."""
    (module,) = project.root.glob("adhoc_models_*.py")
    db_url = re.sub(r"^postgresql://", "postgres://", url)
    made = subprocess.run(
        [sys.executable, "-c", _GENERATE, db_url, module.stem],
        cwd=project.root, capture_output=True, text=True, timeout=120,
    )
    assert made.returncode == 0, made.stderr
