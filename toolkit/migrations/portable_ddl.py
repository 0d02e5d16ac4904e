"""Aerich's DDL classes, one per dialect, with what their SQL gets wrong put right.

`toolkit makemigrations` runs Aerich's differ with each of these over a client that never
connects. Each fix here is SQL that Aerich 0.10 writes and a real database refuses, or a
schema that differs from what `Tortoise.generate_schemas()` builds for the same models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from toolkit.backends import offline_client
from toolkit.migrations.portable_values import microseconds, python_default, sql_literal
from toolkit.migrations.sqlite_rebuild import marker

if TYPE_CHECKING:
    from aerich.ddl import BaseDDL as _DDLBase
else:
    _DDLBase = object  # Aerich is imported only when a migration is made


def ddl_for(dialect: str) -> Any:
    """An instance of our DDL class for `dialect`, over an offline client."""
    return ddl_classes()[dialect](offline_client(dialect))


def ddl_classes() -> dict[str, type]:
    from aerich.ddl.mysql import MysqlDDL
    from aerich.ddl.postgres import PostgresDDL
    from aerich.ddl.sqlite import SqliteDDL

    quoted = {"schema_generator_cls": _quoted_comments(PostgresDDL.schema_generator_cls)}
    return {
        "mysql": type("PortableMysqlDDL", (_ServerFixes, _Fixes, MysqlDDL), {}),
        "postgres": type("PortablePostgresDDL", (_ServerFixes, _Fixes, PostgresDDL), quoted),
        "sqlite": type("PortableSqliteDDL", (_Fixes, SqliteDDL), _sqlite_rebuild_markers()),
    }


def initial_ops(dialect: str) -> str:
    """Aerich's own table, created by the first migration as `aerich init-db` would."""
    from aerich.models import Aerich

    return str(ddl_for(dialect).create_table(Aerich))


class _Fixes(_DDLBase):
    """For every dialect."""

    def _get_default(self, model: Any, field_describe: dict[str, Any]) -> Any:
        """Aerich writes a TimeDeltaField's default as its text ('0:15:00') into the BIGINT
        column Tortoise gives it, which PostgreSQL and MySQL refuse: write the microseconds."""
        default = field_describe.get("default")
        if field_describe.get("field_type") == "TimeDeltaField" and isinstance(default, str):
            number = microseconds(default)
            if number is not None:
                field_describe = {**field_describe, "default": number}
        return super()._get_default(model, field_describe)

    def create_m2m(self, model: Any, field_describe: dict[str, Any], reference_table_describe: dict[str, Any]) -> str:
        """The link table exactly as `generate_schemas()` makes it.

        Aerich's own template gives a table whose model has a one-to-one primary key the
        column type `None`, applies `on_delete` to one side only, and leaves out the UNIQUE
        index on the pair. Tortoise makes the table from the side that declares the field.
        """
        field = field_describe
        here = self._side(model, None)
        there = self._side(_live_model(field["model_name"]), reference_table_describe)
        if field.get("_generated"):
            field = next(f for f in reference_table_describe["m2m_fields"] if f["name"] == field["related_name"])
            here, there = there, here
        return m2m_table_sql(self.schema_generator, field, here, there)

    def _side(self, model: Any, describe: dict[str, Any] | None) -> tuple[str, str, str]:
        """(table, primary-key column, its SQL type) of one end of a link table.

        The live model when there is one (its table has the name it has while the script
        runs; a one-to-one primary key has the type of the key it points to), else its
        description.
        """
        gen = self.schema_generator
        if model is not None:
            return model._meta.db_table, model._meta.db_pk_column, gen._get_pk_field_sql_type(model._meta.pk)
        assert describe is not None
        pk = describe["pk_field"]
        types = pk["db_field_types"]
        return describe["table"], pk["db_column"], types.get(self.DIALECT) or types.get("")


class _ServerFixes(_DDLBase):
    """For PostgreSQL and MySQL."""

    def _add_column_filled(self, model: Any, field_describe: dict[str, Any], is_pk: bool = False) -> str:
        """Give the rows already there the new field's default, where Aerich leaves it out.

        Aerich writes no DEFAULT for a TextField, JSONField or UUIDField, nor for a callable
        such as `dict`: the NOT NULL column then fails on a table with rows (PostgreSQL), or
        fills them with '' that the ORM can't read as JSON (MySQL, which allows no DEFAULT
        on TEXT or JSON anyway). So: add the column nullable, set the default, then NOT NULL.
        """
        known, value = python_default(field_describe)
        if not known or self._get_default(model, field_describe) not in ("", None):
            return str(super().add_column(model, field_describe, is_pk))
        quote = self.schema_generator.quote
        table, column = model._meta.db_table, field_describe["db_column"]
        ops = [
            super().add_column(model, {**field_describe, "nullable": True}, is_pk),
            f"UPDATE {quote(table)} SET {quote(column)} = {sql_literal(value, self.DIALECT)}",
        ]
        if not field_describe.get("nullable"):
            not_null = super().alter_column_null if self.DIALECT == "postgres" else self.modify_column
            ops.append(not_null(model, field_describe))
        return ";\n".join(str(op).rstrip(";") for op in ops)

    # A Python `default=` is the ORM's to give, not the column's: `generate_schemas()` writes
    # no DEFAULT for it. Aerich does (ADD ... DEFAULT 0, SET DEFAULT 1, MODIFY ... DEFAULT),
    # so the schema drifted from the one the models build. The rows already there still get
    # the value: the column is added with the DEFAULT, which is then dropped (as Django does).

    def add_column(self, model: Any, field_describe: dict[str, Any], is_pk: bool = False) -> str:
        sql = self._add_column_filled(model, field_describe, is_pk)
        if not _python_only_default(field_describe) or self._get_default(model, field_describe) in ("", None):
            return sql
        return f"{sql.rstrip(';')};\n{self._drop_default(model, field_describe)}"

    def alter_column_default(self, model: Any, field_describe: dict[str, Any]) -> str:
        if _python_only_default(field_describe):
            return self._drop_default(model, field_describe)
        return str(super().alter_column_default(model, field_describe))

    def modify_column(self, model: Any, field_describe: dict[str, Any], is_pk: bool = False) -> str:
        if _python_only_default(field_describe):
            field_describe = {**field_describe, "default": None}
        return str(super().modify_column(model, field_describe, is_pk))

    def alter_column_null(self, model: Any, field_describe: dict[str, Any]) -> str:
        """NULL -> NOT NULL gives the rows holding NULL the field's default first: Aerich's
        bare SET NOT NULL fails on them (PostgreSQL), or writes 0 or '' (MySQL)."""
        sql = str(super().alter_column_null(model, field_describe))
        known, value = python_default(field_describe)
        if field_describe.get("nullable") or not known:
            return sql
        quote = self.schema_generator.quote
        column = quote(field_describe["db_column"])
        fill = f"UPDATE {quote(model._meta.db_table)} SET {column} = {sql_literal(value, self.DIALECT)} WHERE {column} IS NULL"
        return f"{fill};\n{sql}"

    def _drop_default(self, model: Any, field_describe: dict[str, Any]) -> str:
        quote = self.schema_generator.quote
        return f"ALTER TABLE {quote(model._meta.db_table)} ALTER COLUMN {quote(field_describe['db_column'])} DROP DEFAULT"


def _python_only_default(field_describe: dict[str, Any]) -> bool:
    """A `default=` without a `db_default=`: what the ORM fills in, not the database."""
    db_default = field_describe.get("db_default", "__NOT_SET__")
    return field_describe.get("default") is not None and db_default in ("__NOT_SET__", None)


def _quoted_comments(generator: Any) -> type:
    """PostgreSQL's `COMMENT ON COLUMN user."x"`: Aerich hands Tortoise the bare table name,
    which fails for a table whose name is a keyword (`user`). Quote it."""

    def quoted(self: Any, table: str) -> str:
        return table if table.startswith('"') else str(self.quote(table))

    def column_comment(self: Any, table: str, column: str, comment: str) -> str:
        return str(generator._column_comment_generator(self, quoted(self, table), column, comment))

    def table_comment(self: Any, table: str, comment: str) -> str:
        return str(generator._table_comment_generator(self, quoted(self, table), comment))

    return type(generator.__name__, (generator,), {
        "_column_comment_generator": column_comment, "_table_comment_generator": table_comment,
    })


def _live_model(model_name: str) -> Any:
    from tortoise import Tortoise

    app, _, name = model_name.partition(".")
    apps = Tortoise.apps
    return apps[app].get(name) if apps and app in apps else None


def m2m_table_sql(gen: Any, field: dict[str, Any], owner: tuple[str, str, str], other: tuple[str, str, str]) -> str:
    """Tortoise's `_get_m2m_tables` for one field, from its description."""
    through, backward, forward = field["through"], field["backward_key"], field["forward_key"]
    fks = ["", ""]
    if field.get("db_constraint"):
        fks = [
            gen._create_fk_string("", key, gen._qualify_table_name(table, None), pk, field["on_delete"], "")
            for key, (table, pk, _) in ((backward, owner), (forward, other))
        ]
    pending = getattr(gen, "comments_array", None)  # PostgreSQL: comments Aerich still holds
    if pending is not None:
        gen.comments_array = []
    qualified = gen._qualify_table_name(through, None)
    description = field.get("description")
    sql = gen.M2M_TABLE_TEMPLATE.format(
        exists="", table_name=qualified, backward_fk=fks[0], forward_fk=fks[1],
        backward_key=backward, backward_type=owner[2], forward_key=forward, forward_type=other[2],
        extra=gen._table_generate_extra(table=through),
        comment=gen._table_comment_generator(table=qualified, comment=description) if description else "",
    )
    if not field.get("db_constraint"):
        sql = sql.replace(",\n    ,\n    ", "")  # as Tortoise drops the empty FK lines
    sql += gen._post_table_hook()
    if pending is not None:
        gen.comments_array = pending
    if field.get("unique"):
        unique = gen._get_unique_index_sql("", through, [backward, forward])
        if unique.endswith(";"):
            sql += "\n" + unique
        else:  # MySQL: a key inside the CREATE TABLE
            lines = sql.splitlines()
            lines[-2] += ","
            lines.insert(-1, "    " + unique)
            sql = "\n".join(lines)
    return str(sql).rstrip(";")


def _sqlite_rebuild_markers() -> dict[str, Callable[..., str]]:
    """Aerich raises (or writes MySQL syntax) for the changes SQLite's ALTER TABLE can't make.

    Leave a marker instead; `portable_ops.sqlite_rebuilds` replaces every change to a
    marked table by one rebuild. A column comment lives in the CREATE TABLE only, and is
    not worth copying a table for: it changes with the table's next rebuild.
    """

    def mark(what: str) -> Callable[..., str]:
        def method(self: Any, model: Any, field_describe: dict[str, Any], *_: Any) -> str:
            column = field_describe.get("db_column") or field_describe.get("raw_field") or field_describe.get("name")
            return marker(model._meta.db_table, what, str(column))

        return method

    def comment(self: Any, model: Any, field_describe: dict[str, Any], *_: Any) -> str:
        column = field_describe.get("db_column") or field_describe.get("raw_field")
        return f'-- SQLite: the comment of "{model._meta.db_table}"."{column}" changes when the table is next rebuilt'

    return {
        "modify_column": mark("type change"),
        "alter_column_default": mark("default change"),
        "alter_column_null": mark("NULL / NOT NULL change"),
        "add_fk": mark("new foreign key"),
        "drop_fk": mark("dropped foreign key"),
        "set_comment": comment,
    }
