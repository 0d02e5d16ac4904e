"""Aerich's statements for one dialect, put in an order (and a form) a real database runs.

`makemigrations` runs Aerich's differ once per dialect; each function here takes the
statements it wrote and the two model states (Aerich's MODELS_STATE dicts) and returns the
statements to ship.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.migrations.portable_keys import (
    foreign_key_around_index_drop,
    foreign_key_rules,
    named_indexes,
)
from toolkit.migrations.portable_values import Describe
from toolkit.migrations.sqlite_rebuild import (
    marked_table,
    noted_table,
    rebuild_reasons,
    rebuild_sql,
)

Models = dict[str, Describe]
Renames = dict[str, dict[str, str]]  # model name -> {old column: new column}

# Identifiers are "quoted" (PostgreSQL, SQLite) or `quoted` (MySQL); a name may hold any
# character but the quote itself (Tortoise's DDL doesn't double it): spaces, `?`, `%`...
_NAME = r'["`]([^"`]+)["`]'
_CREATE = re.compile(r"CREATE TABLE (?:IF NOT EXISTS )?" + _NAME)
_DROP = re.compile(r"^DROP TABLE (?:IF EXISTS )?" + _NAME)
_RENAME_TABLE = re.compile(r"^ALTER TABLE " + _NAME + " RENAME TO " + _NAME + "$")
_DROP_INDEX = re.compile(r"^ALTER TABLE `([^`]+)` DROP INDEX `[^`]+`")
_ADD_INDEX = re.compile(r"^ALTER TABLE `([^`]+)` ADD (?:UNIQUE )?INDEX ")
_SQLITE_TABLE_OP = re.compile(r'^ALTER TABLE "([^"]+)" (?!RENAME )')
_SQLITE_INDEX_ON = re.compile(r'^CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?"[^"]+" ON "([^"]+)"')
# What a primary key is, as opposed to what it is called: Aerich's SQL for a change of
# these fails on every database (a type it can't convert, AUTO_INCREMENT dropped on MySQL,
# foreign keys of other tables left with the old type). Types are compared per dialect we
# write, so a Tortoise upgrade that adds another dialect's type is no change.
_DIALECTS = ("mysql", "postgres", "sqlite")


def _pk_shape(pk: Describe) -> tuple[Any, ...]:
    types = pk.get("db_field_types") or {}
    return (pk.get("field_type"), bool(pk.get("generated")), *(types.get(d) or types.get("") for d in _DIALECTS))


def refuse_primary_key_changes(old: Models, new: Models) -> None:
    for name in sorted(old.keys() & new.keys()):
        before, after = old[name]["pk_field"], new[name]["pk_field"]
        if _pk_shape(before) != _pk_shape(after):
            what = f"{before['name']} {before['field_type']} -> {after['name']} {after['field_type']}"
            raise ToolkitError(
                f"{name.split('.')[-1]} changes its primary key ({what}), which toolkit can't "
                "migrate; keep the old primary key, or write this migration by hand (new "
                "table, copy the rows, re-point the foreign keys)"
            )


@contextmanager
def aerich_messages(into: list[str]) -> Iterator[None]:
    """Collect what Aerich's differ prints instead of printing it.

    The differ runs once per dialect, so each of its warnings would show three times;
    the caller prints each once.
    """
    import aerich.migrate as differ

    names = vars(differ)  # the differ looks `click` up in its module
    real = names["click"]

    class Collect:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        @staticmethod
        def secho(message: object = None, *_: Any, **__: Any) -> None:
            into.append(str(message))

        echo = secho

    names["click"] = Collect()
    try:
        yield
    finally:
        names["click"] = real


def column_renames(renamed_fields: dict[str, dict[str, str]], old: Models, new: Models) -> Renames:
    """Aerich's renamed fields ({model: {old field: new field}}) as renamed columns, with a
    renamed primary-key column, which Aerich renames apart from the fields."""

    def column(model: Describe, field_name: str) -> str:
        fields = [model["pk_field"], *model.get("data_fields", [])]
        return next((str(f["db_column"]) for f in fields if f["name"] == field_name), field_name)

    renames: Renames = {}
    for model in old.keys() & new.keys():
        columns = {column(old[model], a): column(new[model], b) for a, b in renamed_fields.get(model, {}).items()}
        before, after = old[model]["pk_field"]["db_column"], new[model]["pk_field"]["db_column"]
        if before != after:
            columns[before] = after
        if columns:
            renames[model] = columns
    return renames


def drops_after_dependents(ops: list[str], reverse_ops: list[str]) -> list[str]:
    """Order the DROP TABLEs in `ops` as the reverse of their CREATEs in `reverse_ops`.

    Aerich emits drops in model order, so a parent table would go before the table that
    references it, which PostgreSQL refuses. Tables created later (the dependents) drop first.
    """
    created = {m.group(1): i for i, op in enumerate(reverse_ops) if (m := _CREATE.search(op))}
    slots = [i for i, op in enumerate(ops) if _DROP.match(op)]
    if len(slots) < 2:
        return ops
    drops = sorted(
        (ops[i] for i in slots),
        key=lambda op: -created.get(_DROP.match(op).group(1), -1),  # type: ignore[union-attr]
    )
    ordered = list(ops)
    for slot, op in zip(slots, drops):
        ordered[slot] = op
    return ordered


def index_drops_after_adds(ops: list[str]) -> list[str]:
    """On MySQL, drop a table's old indexes only after its new ones exist.

    InnoDB refuses to drop the index a foreign key uses (error 1553) until another index
    can serve it: changing `unique_together = (("team", "name"),)` must add the new group
    before dropping the old one. Aerich writes the drop first.
    """
    out = list(ops)
    for op in [o for o in ops if _DROP_INDEX.match(o.strip())]:
        table = _DROP_INDEX.match(op.strip()).group(1)  # type: ignore[union-attr]
        adds = [i for i, o in enumerate(out) if (m := _ADD_INDEX.match(o.strip())) and m.group(1) == table]
        at = out.index(op)
        if adds and adds[-1] > at:
            out.insert(adds[-1] + 1, out.pop(at))
    return out


def no_index_drop_after_its_column(ops: list[str]) -> list[str]:
    """On MySQL, leave out the DROP INDEX of a unique column dropped in the same script.

    Dropping the column drops its UNIQUE index (named after the column); Aerich then drops
    the index too, which fails with "Can't DROP INDEX; check that it exists".
    """
    dropped = {m.groups() for o in ops if (m := re.match(r"^ALTER TABLE `([^`]+)` DROP COLUMN `([^`]+)`$", o.strip()))}
    return [o for o in ops if not ((m := re.match(r"^ALTER TABLE `([^`]+)` DROP INDEX `([^`]+)`$", o.strip())) and m.groups() in dropped)]


def _link_tables(model: Describe) -> dict[str, Describe]:
    """The many-to-many fields this model declares (not the other side's), by name."""
    return {f["name"]: f for f in model.get("m2m_fields", []) if not f.get("_generated")}


def link_table_renames(ddl: Any, old: Models, new: Models) -> tuple[list[str], list[str], set[str]]:
    """Rename the link tables (and key columns) that follow a renamed model table.

    A link table is named after its model's table and its key column too
    ("tags_items"."tags_id"), so renaming the table changes both in the models; Aerich
    renames only the model's table, or, when the model has several such fields, drops
    the link table and creates an empty one. Returns the renames of the upgrade and of the
    downgrade, and the link tables whose DROP / CREATE they replace.
    """
    tables = {m["table"] for m in [*old.values(), *new.values()]}
    ups: list[str] = []
    downs: list[str] = []
    replaced: set[str] = set()

    def rename_table(a: str, b: str) -> str:
        return str(ddl._RENAME_TABLE_TEMPLATE.format(table_name=a, old_table_name=a, new_table_name=b))

    def rename_column(table: str, a: str, b: str) -> str:
        return str(ddl._RENAME_COLUMN_TEMPLATE.format(table_name=table, old_column_name=a, new_column_name=b))

    for name in sorted(old.keys() & new.keys()):
        before = _link_tables(old[name])
        for field_name, after in _link_tables(new[name]).items():
            was = before.get(field_name)
            if was is None or {was["through"], after["through"]} & tables:
                continue  # a new field, or a through model Aerich migrates as a model
            if was["through"] != after["through"]:
                ups.append(rename_table(was["through"], after["through"]))
                downs.insert(0, rename_table(after["through"], was["through"]))
                replaced |= {was["through"], after["through"]}
            for key in ("backward_key", "forward_key"):
                if was[key] != after[key]:
                    ups.append(rename_column(after["through"], was[key], after[key]))
                    downs.insert(0, rename_column(after["through"], after[key], was[key]))
    return ups, downs, replaced


def index_renames(dialect: str, ddl: Any, old: Models, new: Models) -> tuple[list[str], list[str]]:
    """Rename the indexes named after a table that was renamed.

    Tortoise names an index after its table; Aerich renames the table only, so its indexes
    keep the old table's names, which `generate_schemas()` doesn't give them and which a
    later migration, naming them after the table's new name, can't drop. Returns the
    upgrade's renames (run after the table's) and the downgrade's (before it's renamed back).
    """
    gen, quote = ddl.schema_generator, ddl.schema_generator.quote
    ups: list[str] = []
    downs: list[str] = []
    for name in sorted(old.keys() & new.keys()):
        before, after = old[name]["table"], new[name]["table"]
        if before == after:
            continue
        for prefix, columns in named_indexes(old[name]):
            a, b = gen._get_index_name(prefix, before, columns), gen._get_index_name(prefix, after, columns)
            if dialect == "postgres":
                ups.append(f"ALTER INDEX IF EXISTS {quote(a)} RENAME TO {quote(b)}")
                downs.append(f"ALTER INDEX IF EXISTS {quote(b)} RENAME TO {quote(a)}")
            elif dialect == "mysql":
                ups.append(f"ALTER TABLE {quote(after)} RENAME INDEX {quote(a)} TO {quote(b)}")
                downs.append(f"ALTER TABLE {quote(after)} RENAME INDEX {quote(b)} TO {quote(a)}")
            elif prefix == "idx":  # SQLite renames no index; its unique groups live in the table
                on = f"ON {quote(after)} ({', '.join(quote(c) for c in columns)})"
                ups += [f"DROP INDEX IF EXISTS {quote(a)}", f"CREATE INDEX {quote(b)} {on}"]
                downs += [f"DROP INDEX IF EXISTS {quote(b)}", f"CREATE INDEX {quote(a)} {on}"]
    return ups, downs


def renames_in_place(ops: list[str], link_renames: list[str], replaced: set[str], upgrade: bool) -> list[str]:
    """Table renames where the other statements expect them.

    Aerich names every table as the models name it now, in the downgrade too: the upgrade
    must rename first (MySQL dropped a unique column's index under the new name before the
    rename), the downgrade last (it renamed first, then altered the table by its new name).
    """

    def replaced_link(op: str) -> bool:
        m = _DROP.match(op) or _CREATE.match(op)
        return bool(m and m.group(1) in replaced)

    renames = [op for op in ops if _RENAME_TABLE.match(op.strip())]
    rest = [op for op in ops if op not in renames and not replaced_link(op.strip())]
    if upgrade:
        return [*renames, *link_renames, *rest]
    return [*rest, *link_renames, *renames]


def sqlite_rebuilds(ops: list[str], before: Models, after: Models, renames: Renames, upgrade: bool) -> list[str]:
    """Replace every change to a table SQLite can't ALTER by one rebuild of that table.

    `before` and `after` are the model states this script goes from and to. The rebuilds
    run last, once the tables and columns carry their final names (a rename lets SQLite
    rewrite the foreign keys that point there); what else Aerich wrote for such a table
    (markers, ADD / DROP COLUMN, its CREATE INDEX) is dropped, but not its DROP INDEXes,
    which name the old table's indexes and run first.
    """
    marked = {t for op in ops if (t := marked_table(op))}
    rebuilt: list[tuple[Describe, Describe, dict[str, str]]] = []
    names: set[str] = set()
    for name in sorted(before.keys() & after.keys()):
        columns = renames.get(name, {})
        if not upgrade:
            columns = {b: a for a, b in columns.items()}
        tables = {before[name]["table"], after[name]["table"]}
        if rebuild_reasons(before[name], after[name], columns) or tables & marked:
            rebuilt.append((before[name], after[name], columns))
            names |= tables

    def superseded(op: str) -> bool:
        m = _SQLITE_TABLE_OP.match(op) or _SQLITE_INDEX_ON.match(op)
        return bool(m and m.group(1) in names) or noted_table(op) in names

    out = [op for op in ops if not superseded(op.strip())]
    for old, new, columns in rebuilt:
        out += rebuild_sql(old, new, after, columns)
    return out


def ship(dialect: str, up: list[str], down: list[str], old: Models, new: Models, renames: Renames) -> tuple[list[str], list[str]]:
    """The upgrade and downgrade statements of `dialect`, from what Aerich wrote."""
    from toolkit.migrations.portable_ddl import ddl_for

    up, down = drops_after_dependents(up, down), drops_after_dependents(down, up)
    if dialect == "mysql":
        up, down = index_drops_after_adds(up), index_drops_after_adds(down)
        up, down = no_index_drop_after_its_column(up), no_index_drop_after_its_column(down)
        mysql = ddl_for(dialect)
        up, down = foreign_key_around_index_drop(mysql, up, old, new), foreign_key_around_index_drop(mysql, down, new, old)
    ddl = ddl_for(dialect)
    link_ups, link_downs, replaced = link_table_renames(ddl, old, new)
    index_ups, index_downs = index_renames(dialect, ddl, old, new)
    link_ups, link_downs = link_ups + index_ups, index_downs + link_downs
    up = renames_in_place(up, link_ups, replaced, upgrade=True)
    down = renames_in_place(down, link_downs, replaced, upgrade=False)
    if dialect == "sqlite":  # a rebuild writes the new rules
        up = sqlite_rebuilds(up, old, new, renames, upgrade=True)
        down = sqlite_rebuilds(down, new, old, renames, upgrade=False)
    else:
        rule_ups, rule_downs = foreign_key_rules(dialect, old, new)
        up, down = up + rule_ups, rule_downs + down
    return up, down
