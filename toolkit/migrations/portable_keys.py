"""Foreign keys and the indexes named after their tables, in the scripts we ship.

Aerich 0.10 leaves a changed on_delete as it was (it warns), and on MySQL drops the index
a foreign key borrowed; these functions write what the database needs instead, for
`portable_ops.ship`.
"""

from __future__ import annotations

import re
from typing import Any

from toolkit.migrations.portable_values import Describe, sql_literal

Models = dict[str, Describe]


def named_indexes(model: Describe) -> list[tuple[str, tuple[str, ...]]]:
    """(prefix, columns) of the indexes Tortoise names after the table: "idx_<table>_..."
    for a field's db_index and a Meta index without a name, "uid_<table>_..." for a
    unique_together."""
    fields = {f["name"]: f for f in [model["pk_field"], *model.get("data_fields", [])]}
    columns = {name: str(f.get("db_column") or name) for name, f in fields.items()}
    for fk in model.get("fk_fields", []) + model.get("o2o_fields", []):
        columns[fk["name"]] = columns.get(fk["raw_field"], fk["raw_field"])

    def cols(names: Any) -> tuple[str, ...]:
        return tuple(columns.get(n, n) for n in names)

    found: list[tuple[str, tuple[str, ...]]] = [
        ("idx", (columns[n],)) for n, f in fields.items() if f.get("indexed") and not f.get("unique")
    ]
    for index in model.get("indexes", []):
        if isinstance(index, dict):
            if not index.get("name") and index.get("fields"):
                found.append(("idx", tuple(index["fields"])))
        else:
            found.append(("idx", cols(index)))
    found += [("uid", cols(group)) for group in model.get("unique_together", [])]
    return found


def on_delete_changes(old: Models, new: Models) -> list[tuple[str, Describe, Describe]]:
    """(model, old field, new field) of each foreign key whose on_delete changed: Aerich
    0.10 only warns ("Ignore 'on_delete' changes"), so the database kept the old rule."""
    found = []
    for name in sorted(old.keys() & new.keys()):
        before = {f["name"]: f for f in old[name].get("fk_fields", []) + old[name].get("o2o_fields", [])}
        for field in new[name].get("fk_fields", []) + new[name].get("o2o_fields", []):
            was = before.get(field["name"])
            if was and was["on_delete"] != field["on_delete"] and was.get("db_constraint") and field.get("db_constraint") \
                    and was["raw_field"] == field["raw_field"]:
                found.append((name, was, field))
    return found


def foreign_key_around_index_drop(ddl: Any, ops: list[str], before: Models, after: Models) -> list[str]:
    """On MySQL, take a foreign key off before dropping the index it borrowed, and put it back.

    InnoDB drops a foreign key's implicit index once another index led by its column can
    serve it (a unique_together (team, label) added later), then refuses to drop that one
    (error 1553). Re-adding the key gives it its implicit index again, as generate_schemas()
    has it, unless an index left after the change leads with the column.
    """
    out: list[str] = []
    for op in ops:
        fk = _borrowing_foreign_key(ddl, op, before, after)
        if fk is None:
            out.append(op)
            continue
        drop, add = _replace_foreign_key("mysql", *fk)
        out += [*drop, op, *add]
    return out


def _borrowing_foreign_key(ddl: Any, op: str, before: Models, after: Models) -> tuple[str, str, str, str, str] | None:
    """(table, column, referenced table, its key, ON DELETE) of the foreign key whose index
    the MySQL `op` (a DROP INDEX) drops, when nothing else will serve it."""
    m = re.match(r"^ALTER TABLE `([^`]+)` DROP INDEX `([^`]+)`$", op.strip())
    model = next((d for d in before.values() if m and d["table"] == m.group(1)), None)
    now = next((d for d in after.values() if m and d["table"] == m.group(1)), None)
    if m is None or model is None or now is None:
        return None
    gen, (table, dropped) = ddl.schema_generator, m.groups()
    leading = next((cols[0] for prefix, cols in named_indexes(model)
                    if gen._get_index_name(prefix, table, cols) == dropped), None)
    fk = next((f for f in now.get("fk_fields", []) + now.get("o2o_fields", [])
               if f["raw_field"] == leading and f.get("db_constraint")), None)
    target = after.get(fk["python_type"]) if fk else None
    if fk is None or target is None or any(cols[0] == leading for _, cols in named_indexes(now)):
        return None
    return table, str(leading), target["table"], target["pk_field"]["db_column"], fk["on_delete"]


def _replace_foreign_key(dialect: str, table: str, column: str, ref: str, ref_pk: str, rule: str) -> list[list[str]]:
    """Re-create the foreign key of `table`.`column` with ON DELETE `rule`, under its own name,
    whatever that is (Tortoise's, or the one PostgreSQL gave an inline REFERENCES): the
    statements that drop it, and those that add it (one step on PostgreSQL)."""

    def lit(text: str) -> str:
        return sql_literal(text, dialect)

    if dialect == "postgres":
        alter = "ALTER TABLE %I DROP CONSTRAINT %I, ADD CONSTRAINT %I FOREIGN KEY (%I) REFERENCES %I (%I) ON DELETE " + rule
        return [[
            "DO $toolkit$\nDECLARE fk text;\nBEGIN\n"
            "    SELECT c.conname INTO fk FROM pg_constraint c\n"
            "    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]\n"
            f"    WHERE c.conrelid = quote_ident({lit(table)})::regclass AND c.contype = 'f'\n"
            f"      AND cardinality(c.conkey) = 1 AND a.attname = {lit(column)};\n"
            f"    IF fk IS NOT NULL THEN\n        EXECUTE format({lit(alter)}, {lit(table)}, fk, fk, "
            f"{lit(column)}, {lit(ref)}, {lit(ref_pk)});\n    END IF;\nEND $toolkit$"
        ], []]
    find = ("SET @toolkit_fk = (SELECT CONSTRAINT_NAME FROM information_schema.KEY_COLUMN_USAGE "
            f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = {lit(table)} AND COLUMN_NAME = {lit(column)} "
            "AND REFERENCED_TABLE_NAME IS NOT NULL LIMIT 1)")
    drop = f"ALTER TABLE `{table}` DROP FOREIGN KEY `"
    add = f"ALTER TABLE `{table}` ADD CONSTRAINT `"
    rest = f"` FOREIGN KEY (`{column}`) REFERENCES `{ref}` (`{ref_pk}`) ON DELETE {rule}"
    steps = [
        [f"SET @toolkit_sql = {sql}", "PREPARE toolkit_fk FROM @toolkit_sql", "EXECUTE toolkit_fk",
         "DEALLOCATE PREPARE toolkit_fk"]
        for sql in (f"CONCAT({lit(drop)}, @toolkit_fk, '`')", f"CONCAT({lit(add)}, @toolkit_fk, {lit(rest)})")
    ]
    return [[find, *steps[0]], steps[1]]


def foreign_key_rules(dialect: str, old: Models, new: Models) -> tuple[list[str], list[str]]:
    """The statements that give changed foreign keys their new ON DELETE (upgrade, run last)
    and their old one back (downgrade, run first: the tables still have the new names)."""
    ups: list[str] = []
    downs: list[str] = []
    for name, was, field in on_delete_changes(old, new):
        ref = new.get(field["python_type"])
        if ref is None:
            continue
        where = (new[name]["table"], field["raw_field"], ref["table"], ref["pk_field"]["db_column"])
        ups += sum(_replace_foreign_key(dialect, *where, field["on_delete"]), [])
        downs += sum(_replace_foreign_key(dialect, *where, was["on_delete"]), [])
    return ups, downs
