"""Aerich's statements for one dialect, put in an order (and a form) a real database runs.

`makemigrations` runs Aerich's differ once per dialect; each function here takes the
statements it wrote and the two model states (Aerich's MODELS_STATE dicts) and returns the
statements to ship.
"""

from __future__ import annotations

import re

from toolkit.portable_values import Describe
from toolkit.sqlite_rebuild import marked_table, noted_table, rebuild_reasons, rebuild_sql

Models = dict[str, Describe]
Renames = dict[str, dict[str, str]]  # model name -> {old column: new column}

# Identifiers are "quoted" (PostgreSQL, SQLite) or `quoted` (MySQL).
_CREATE = re.compile(r'CREATE TABLE (?:IF NOT EXISTS )?["`](\w+)["`]')
_DROP = re.compile(r'^DROP TABLE (?:IF EXISTS )?["`](\w+)["`]')
_DROP_INDEX = re.compile(r"^ALTER TABLE `(\w+)` DROP INDEX `\w+`")
_ADD_INDEX = re.compile(r"^ALTER TABLE `(\w+)` ADD (?:UNIQUE )?INDEX ")
_SQLITE_TABLE_OP = re.compile(r'^ALTER TABLE "(\w+)" (?!RENAME )')
_SQLITE_INDEX_ON = re.compile(r'^CREATE (?:UNIQUE )?INDEX (?:IF NOT EXISTS )?"\w+" ON "(\w+)"')


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
    up, down = drops_after_dependents(up, down), drops_after_dependents(down, up)
    if dialect == "mysql":
        up, down = index_drops_after_adds(up), index_drops_after_adds(down)
    if dialect == "sqlite":
        up = sqlite_rebuilds(up, old, new, renames, upgrade=True)
        down = sqlite_rebuilds(down, new, old, renames, upgrade=False)
    return up, down
