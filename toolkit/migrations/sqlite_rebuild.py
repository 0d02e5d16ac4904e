"""SQLite's table rebuild, written offline from two model states.

SQLite's ALTER TABLE can add, drop and rename columns, nothing else: a type, a NOT NULL, a
default, a foreign key or a UNIQUE column can only change by making the table again
(https://www.sqlite.org/lang_altertable.html#otheralter). The steps here follow that
procedure: create "new__t" as the new model defines it, copy the rows across, drop "t",
rename "new__t" to "t", create its indexes. The runner switches foreign-key enforcement off
around the migration and checks the keys before it commits, so the script holds no PRAGMA
and no transaction control; dropping "t" then leaves the rows of its child tables alone.

Everything is computed from Aerich's model descriptions (the MODELS_STATE dicts), so the
downgrade can rebuild the old table as well. The CREATE TABLE mirrors what Tortoise's
SqliteSchemaGenerator writes for `generate_schemas()`, using its own helpers; what a
description can't say (where the primary key was declared among the fields, a unique field
that also asks for `db_index`) follows the common case.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from toolkit.migrations.portable_values import Describe, python_default, sql_literal

_NOT_SET = "__NOT_SET__"
_MARK = re.compile(r'^-- SQLite rebuilds "([^"]+)"')
_NOTE = re.compile(r'^-- SQLite\b[^"\n]*"([^"]+)"')
_SQL_DEFAULT = re.compile(r"^(\w+)\((.*)\)$")


def marker(table: str, what: str, column: str) -> str:
    """The placeholder Aerich's differ leaves for a change only a rebuild can make."""
    return f'-- SQLite rebuilds "{table}": {what} of "{column}"'


def marked_table(op: str) -> str | None:
    m = _MARK.match(op.strip())
    return m.group(1) if m else None


def noted_table(op: str) -> str | None:
    """The table a `-- SQLite ...` comment (a marker or a note) is about."""
    m = _NOTE.match(op.strip())
    return m.group(1) if m else None


def _generator() -> Any:
    from tortoise.backends.sqlite.schema_generator import SqliteSchemaGenerator

    from toolkit.backends import offline_client

    return SqliteSchemaGenerator(offline_client("sqlite"))


def column_type(field: Describe) -> str:
    types = field.get("db_field_types") or {}
    return str(types.get("sqlite") or types.get(""))


def columns(model: Describe) -> list[Describe]:
    """The table's columns in Tortoise's order: the primary key, then the data fields.

    A one-to-one primary key's column is made with the relation, after the other fields.
    """
    pk, data = model["pk_field"], list(model.get("data_fields", []))
    return [*data, pk] if pk["db_column"] in _relations(model) else [pk, *data]


def _relations(model: Describe) -> dict[str, Describe]:
    """FK and one-to-one fields by the column that holds them."""
    return {f["raw_field"]: f for f in [*model.get("fk_fields", []), *model.get("o2o_fields", [])]}


def _column_of(model: Describe, field_name: str) -> str:
    for rel in _relations(model).values():
        if rel["name"] == field_name:
            return str(rel["raw_field"])
    for field in columns(model):
        if field["name"] == field_name:
            return str(field["db_column"])
    return field_name


def db_default_sql(field: Describe, gen: Any | None = None) -> str | None:
    """The column's DEFAULT as SQL, from `db_default` (a Python default stays in Python)."""
    value = field.get("db_default", _NOT_SET)
    if value == _NOT_SET:
        return None
    if isinstance(value, str) and (m := _SQL_DEFAULT.match(value)):
        from tortoise.fields import db_defaults

        cls = getattr(db_defaults, m.group(1), None)
        if isinstance(cls, type) and issubclass(cls, db_defaults.SqlDefault):
            args = ast.literal_eval(f"({m.group(2)},)") if m.group(2) else ()
            return str(cls(*args).get_sql(dialect="sqlite"))
    return str((gen or _generator())._escape_default_value(value))


def _references(rel: Describe, models: dict[str, Describe], gen: Any) -> str:
    target = models[rel["python_type"]]
    return str(gen._create_fk_string(
        constraint_name="", db_column=rel["raw_field"], table=gen.quote(target["table"]),
        field=target["pk_field"]["db_column"], on_delete=rel["on_delete"],
        comment=_comment(gen, rel),
    ))


def _comment(gen: Any, field: Describe) -> str:
    text = field.get("description")
    return str(gen._column_comment_generator(table="", column="", comment=text)) if text else ""


def _column_sql(model: Describe, field: Describe, models: dict[str, Describe], gen: Any) -> str:
    column = field["db_column"]
    is_pk = field is model["pk_field"]
    if is_pk and field.get("generated"):
        # Every generated integer key is this on SQLite (Tortoise's GENERATED_SQL).
        return str(gen.GENERATED_PK_TEMPLATE.format(
            field_name=column, generated_sql="INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL",
            comment=_comment(gen, field),
        ))
    rel = _relations(model).get(column)
    default = db_default_sql(field, gen)
    sql = gen._create_string(
        db_column=column, field_type=column_type(field),
        nullable="" if field.get("nullable") else " NOT NULL",
        unique=" UNIQUE" if field.get("unique") else "", is_primary_key=is_pk,
        comment="" if rel else _comment(gen, field),
        default=f" DEFAULT {default}" if default is not None else "",
    )
    if rel is not None:
        sql += _references(rel, models, gen) if rel.get("db_constraint") else _comment(gen, rel)
    return str(sql)


def _index_sqls(model: Describe, gen: Any) -> list[str]:
    from aerich.coder import load_index

    table = model["table"]
    stand_in: Any = SimpleNamespace(_meta=SimpleNamespace(db_table=table, schema=None))
    sqls = [
        gen._get_index_sql(stand_in, [f["db_column"]], safe=False)
        for f in model.get("data_fields", [])
        if f.get("indexed") and not f.get("unique")
    ]
    for index in model.get("indexes", []):
        if isinstance(index, dict):
            sqls.append(load_index(index).get_sql(gen, stand_in, safe=False))
        else:
            sqls.append(gen._get_index_sql(stand_in, [_column_of(model, f) for f in index], safe=False))
    return [s.rstrip(";") for s in dict.fromkeys(sqls) if s]


def create_table_sql(
    model: Describe, models: dict[str, Describe], *, create_as: str | None = None
) -> tuple[str, list[str]]:
    """The CREATE TABLE of `model` (named `create_as` if given) and its CREATE INDEXes."""
    gen = _generator()
    table = model["table"]
    parts = [_column_sql(model, f, models, gen) for f in columns(model)]
    for group in model.get("unique_together", []):
        parts.append(gen._get_unique_constraint_sql(
            SimpleNamespace(_meta=SimpleNamespace(db_table=table)), [_column_of(model, f) for f in group]
        ))
    comment = model.get("description")
    body = "\n    {}\n".format(",\n    ".join(parts))
    create = gen.TABLE_CREATE_TEMPLATE.format(
        exists="", table_name=gen.quote(create_as or table), fields=body,
        extra="", comment=gen._table_comment_generator(table=table, comment=comment) if comment else "",
    )
    return create.rstrip(";"), _index_sqls(model, gen)


_AFFINITY = (("INT", "INTEGER"), ("CHAR", "TEXT"), ("CLOB", "TEXT"), ("TEXT", "TEXT"),
             ("BLOB", "BLOB"), ("REAL", "REAL"), ("FLOA", "REAL"), ("DOUB", "REAL"))


def affinity(declared: str) -> str:
    """SQLite's type affinity of a declared type (https://www.sqlite.org/datatype3.html)."""
    upper = declared.upper()
    return next((aff for key, aff in _AFFINITY if key in upper), "NUMERIC" if upper else "BLOB")


def _fill(field: Describe) -> str | None:
    """What an existing row gets for `field` when it has no value: its default, as SQL."""
    known, value = python_default(field)
    if known:
        return sql_literal(value, "sqlite")
    return db_default_sql(field)


def _copy_expression(old: Describe, new: Describe) -> str:
    expr = f'"{new["db_column"]}"'  # the column was renamed already, if it was
    target = column_type(new)
    if affinity(column_type(old)) != affinity(target) and affinity(target) in ("INTEGER", "REAL", "TEXT"):
        # Only to affinities that keep the value's meaning: CAST(x AS NUMERIC), which a
        # JSON or DATETIME column has, would turn '2024-01-01' into 2024.
        expr = f"CAST({expr} AS {target})"
    if old.get("nullable") and not new.get("nullable") and (fill := _fill(new)) is not None:
        expr = f"coalesce({expr}, {fill})"
    return expr


def copy_rows(old: Describe, new: Describe, renamed: dict[str, str], into: str) -> str | None:
    """INSERT INTO `into` ... SELECT ... FROM the old table, column by column.

    `renamed` maps old column names to new ones; the table's columns carry the new names
    already (Aerich's RENAME COLUMN runs first). A new column gets its default when it has
    one; without, it is left out, so SQLite's own DEFAULT (or NULL) applies.
    """
    before = {renamed.get(f["db_column"], f["db_column"]): f for f in columns(old)}
    targets, sources = [], []
    for field in columns(new):
        source = before.get(field["db_column"])
        if source is not None:
            expr: str | None = _copy_expression(source, field)
        else:
            known, value = python_default(field)
            expr = sql_literal(value, "sqlite") if known else None
        if expr is not None:
            targets.append(f'"{field["db_column"]}"')
            sources.append(expr)
    if not targets:
        return None
    return (f'INSERT INTO "{into}" ({", ".join(targets)}) '
            f'SELECT {", ".join(sources)} FROM "{new["table"]}"')


def rebuild_sql(
    old: Describe, new: Describe, new_models: dict[str, Describe], renamed: dict[str, str]
) -> list[str]:
    """The statements that turn table `old` into `new`, its rows kept.

    The table and its columns already carry their new names (the renames run first: then
    SQLite rewrites the foreign keys of other tables that point at them), so every
    statement names `new["table"]`; `renamed` maps old column names to new ones.
    """
    table = new["table"]
    temp = f"new__{table}"
    create, indexes = create_table_sql(new, new_models, create_as=temp)
    ops = [create]
    if (copy := copy_rows(old, new, renamed, temp)) is not None:
        ops.append(copy)
    if old["pk_field"].get("generated") and new["pk_field"].get("generated"):
        # Keep AUTOINCREMENT's high-water mark, so ids of deleted rows are not handed out again.
        ops.append(f"DELETE FROM sqlite_sequence WHERE name = '{temp}'")
        ops.append(f"INSERT INTO sqlite_sequence (name, seq) SELECT '{temp}', seq FROM sqlite_sequence WHERE name = '{table}'")
    ops += [f'DROP TABLE "{table}"', f'ALTER TABLE "{temp}" RENAME TO "{table}"', *indexes]
    return ops


def _fk_target(rel: Describe | None) -> tuple[Any, ...] | None:
    if rel is None or not rel.get("db_constraint"):
        return None
    return (rel["python_type"], rel["on_delete"])


def _field_reasons(old: Describe, new: Describe, old_rel: Describe | None, new_rel: Describe | None) -> Iterable[str]:
    column = new["db_column"]
    if column_type(old) != column_type(new):
        yield f'type of "{column}"'
    if bool(old.get("nullable")) != bool(new.get("nullable")):
        yield f'NULL / NOT NULL of "{column}"'
    if old.get("db_default", _NOT_SET) != new.get("db_default", _NOT_SET) or old.get("default") != new.get("default"):
        yield f'default of "{column}"'
    if old.get("unique") and not new.get("unique"):
        yield f'UNIQUE of "{column}" dropped'
    if _fk_target(old_rel) != _fk_target(new_rel):
        yield f'foreign key of "{column}"'


def rebuild_reasons(old: Describe, new: Describe, renamed: dict[str, str]) -> list[str]:
    """What in the change from `old` to `new` SQLite can't make without a rebuild; [] if none."""
    before = {renamed.get(f["db_column"], f["db_column"]): f for f in columns(old)}
    after = {f["db_column"]: f for f in columns(new)}
    old_rels = {renamed.get(c, c): r for c, r in _relations(old).items()}
    new_rels = _relations(new)
    old_groups = {frozenset(renamed.get(_column_of(old, f), _column_of(old, f)) for f in g)
                  for g in old.get("unique_together", [])}
    new_groups = {frozenset(_column_of(new, f) for f in g) for g in new.get("unique_together", [])}
    reasons: list[str] = []
    for column, field in after.items():
        if column in before:
            reasons += _field_reasons(before[column], field, old_rels.get(column), new_rels.get(column))
        elif not field.get("nullable") or python_default(field)[0] or db_default_sql(field) is not None:
            # ADD COLUMN would need a DEFAULT that generate_schemas() doesn't write.
            reasons.append(f'new column "{column}" with a default or NOT NULL')
        elif _fk_target(new_rels.get(column)) is not None:
            reasons.append(f'new foreign key "{column}"')
    grouped = set().union(*old_groups) if old_groups else set()
    for column, field in before.items():
        if column not in after and (field.get("unique") or column in old_rels or column in grouped):
            reasons.append(f'dropped column "{column}" is unique or a key')
    if old_groups - new_groups:
        reasons.append("a unique_together dropped")
    return reasons
