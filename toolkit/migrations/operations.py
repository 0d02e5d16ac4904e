"""A migration's operations in plain words, as Django's makemigrations lists them.

Read from the two model states (Aerich's MODELS_STATE dicts) and the renames the
questioner accepted, the same inputs Aerich's differ turns into SQL: "Add field city to
users", "Rename field nickname to city on users", "Create model Post", ...
"""

from __future__ import annotations

from typing import Any

Describe = dict[str, Any]
# What an ALTER of a field is about; the rest of a description (docstring, python_type) isn't SQL.
_ALTERED = ("field_type", "db_field_types", "nullable", "unique", "indexed", "default", "db_default",
            "description", "constraints", "on_delete", "db_constraint", "db_column")
_WORDS = {"field_type": "type", "db_field_types": "type", "constraints": "type", "nullable": "null",
          "indexed": "index", "db_default": "default", "db_column": "column", "db_constraint": "constraint"}


def describe_operations(
    old: dict[str, Describe], new: dict[str, Describe], renamed: dict[str, dict[str, str]],
    renamed_models: dict[str, str] | None = None,
) -> list[str]:
    """One line per operation; `renamed` is {model: {old field: new field}};
    `renamed_models` {new model: old model}, those `old` already holds under the new name."""
    old, new = _without_aerich(old), _without_aerich(new)
    lines: list[str] = []
    pairs = [(name, name) for name in sorted(old.keys() & new.keys())]
    added, dropped = sorted(new.keys() - old.keys()), sorted(old.keys() - new.keys())
    # Aerich's rule: a model class renamed over the same table is that table, kept.
    for name in list(added):
        same = next((o for o in dropped if old[o]["table"] == new[name]["table"]), None)
        if same is not None:
            lines.append(f"Rename model {_short(same)} to {_short(name)}")
            pairs.append((same, name))
            added.remove(name)
            dropped.remove(same)
    lines += [f"Create model {_short(name)}" for name in added]
    lines += [f"Delete model {_short(name)}" for name in dropped]
    was = renamed_models or {}
    for a, b in pairs:
        model_lines = _model_changes(old[a], new[b], renamed.get(b, {}))
        if b in was:
            tables = f"{old[a]['table']} to {new[b]['table']}"
            model_lines = [f"Rename model {_short(was[b])} to {_short(b)} (table {tables})"
                           if line == f"Rename table {tables} (model {_short(b)})" else line for line in model_lines]
        lines += model_lines
    return lines


def _without_aerich(models: dict[str, Describe]) -> dict[str, Describe]:
    # Aerich's own table rides in the state (as `aerich init-db` writes it); not the app's.
    return {k: v for k, v in models.items() if not (k.endswith(".Aerich") and v.get("table") == "aerich")}


def _short(name: str) -> str:
    return name.split(".")[-1]


def _fields(model: Describe) -> dict[str, Describe]:
    """The model's fields by name: data fields (but not a foreign key's own column), FKs,
    one-to-ones and many-to-manys."""
    raw = {f.get("raw_field") for f in model.get("fk_fields", []) + model.get("o2o_fields", [])}
    fields = {f["name"]: f for f in model.get("data_fields", []) if f["name"] not in raw}
    for key in ("fk_fields", "o2o_fields", "m2m_fields"):
        fields.update({f["name"]: f for f in model.get(key, [])})
    return fields


def _model_changes(old: Describe, new: Describe, renamed: dict[str, str]) -> list[str]:
    table = str(new["table"])
    lines = []
    if old["table"] != table:
        lines.append(f"Rename table {old['table']} to {table} (model {_short(new['name'])})")
    before, after = old["pk_field"], new["pk_field"]
    if before["name"] != after["name"]:
        lines.append(f"Rename field {before['name']} to {after['name']} on {table} (primary key)")
    old_fields, new_fields = _fields(old), _fields(new)
    for a, b in sorted(renamed.items()):
        lines.append(f"Rename field {a} to {b} on {table}")
    gone = set(renamed)
    came = set(renamed.values())
    for name in sorted(old_fields.keys() - new_fields.keys() - gone):
        lines.append(f"Remove field {name} from {table}")
    for name in sorted(new_fields.keys() - old_fields.keys() - came):
        lines.append(f"Add field {name} to {table}")
    pairs = [(n, n) for n in old_fields.keys() & new_fields.keys()] + [
        (a, b) for a, b in renamed.items() if a in old_fields and b in new_fields
    ]
    for a, b in sorted(pairs, key=lambda p: p[1]):
        what = _altered(old_fields[a], new_fields[b], renamed=a != b)
        if what:
            lines.append(f"Alter field {b} on {table} ({', '.join(what)})")
    return lines + _index_changes(old, new, table)


def _altered(old: Describe, new: Describe, *, renamed: bool) -> list[str]:
    keys = [k for k in _ALTERED if old.get(k) != new.get(k) and not (renamed and k == "db_column")]
    return list(dict.fromkeys(_WORDS.get(k, k) for k in keys))


def _index_key(index: Any) -> tuple[str, tuple[str, ...]]:
    if isinstance(index, dict):
        return str(index.get("name") or ""), tuple(index.get("fields") or index.get("expressions") or ())
    return "", tuple(index)


def _index_changes(old: Describe, new: Describe, table: str) -> list[str]:
    lines = []
    before = {tuple(u) for u in old.get("unique_together", [])}
    after = {tuple(u) for u in new.get("unique_together", [])}
    for group in sorted(after - before):
        lines.append(f"Add unique together ({', '.join(group)}) to {table}")
    for group in sorted(before - after):
        lines.append(f"Remove unique together ({', '.join(group)}) from {table}")
    old_ix = {_index_key(i) for i in old.get("indexes", [])}
    new_ix = {_index_key(i) for i in new.get("indexes", [])}
    for name, cols in sorted(new_ix - old_ix):
        lines.append(f"Create index {name + ' ' if name else ''}on ({', '.join(cols)}) of {table}")
    for name, cols in sorted(old_ix - new_ix):
        lines.append(f"Drop index {name + ' ' if name else ''}on ({', '.join(cols)}) of {table}")
    return lines
