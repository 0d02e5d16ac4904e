"""Reference data ("fixtures"): rows kept in files, upserted by a natural key (docs/fixtures.md).

Every file is read and checked against the models before the database is touched; then each
row is found by its natural key and inserted, or updated to the file's values, in one
transaction. Rows in no file are left alone, so a second load changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import importlib.util
import json
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import BaseORMException, MultipleObjectsReturned
from tortoise.fields import DecimalField, Field, JSONField
from tortoise.models import Model
from tortoise.transactions import in_transaction

from toolkit.backends import backend_class
from toolkit.db import app_models, orm
from toolkit.errors import ConfigError, ToolkitError
from toolkit.settings import Settings

SUFFIXES = (".toml", ".json", ".csv", ".py")
ROLLED_BACK = "; the database is unchanged (the whole load was rolled back)"


@dataclass(frozen=True)
class ModelCounts:
    """What one load did to one model's rows."""

    model: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class FixturesReport:
    """What one load did, model by model (parents first), and the files it read."""

    models: tuple[ModelCounts, ...]
    files: tuple[Path, ...]


# Called with each model's counts once its rows are written (before the commit).
ProgressCallback = Callable[[ModelCounts], None]


@dataclass(frozen=True)
class FixtureFile:
    """One file as read, before it is checked against the models."""

    path: Path
    shown: str  # the path as messages show it: relative to the project root
    model: str
    key: tuple[str, ...] | None
    rows: tuple[tuple[str, dict[str, Any]], ...]  # (label for messages, row)


@dataclass(frozen=True)
class Ref:
    """A foreign key given by fields of the referenced row, looked up while loading."""

    field: str  # the relation as the row names it, for messages
    model: type[Model]
    lookup: dict[str, Any]  # attribute -> value or a nested Ref
    target: str  # the referenced attribute that the foreign key column holds


@dataclass(frozen=True)
class Row:
    file: FixtureFile
    label: str
    values: dict[str, Any]  # attribute (for a foreign key, its column's) -> value or Ref

    @property
    def where(self) -> str:
        return f"{self.file.shown}: {self.label}"


Plan = tuple[type[Model], tuple[str, ...], list[Row]]  # a model, its natural key, its rows


def fixture_files(settings: Settings) -> list[Path]:
    """The files one load reads, in order: the shared ones, then the environment's."""
    root = settings.seeds_dir / "fixtures"
    return [
        p for folder in (root, root / settings.env) if folder.is_dir() for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix in SUFFIXES and not p.name.startswith(("_", "."))
    ]


def read_fixture(path: Path, settings: Settings) -> FixtureFile:
    """Parse one file; a malformed one is a ConfigError naming it (and the parser's line)."""
    shown = str(path.relative_to(settings.project_root) if path.is_relative_to(settings.project_root) else path)
    if path.suffix == ".py":
        return _read_python(path, shown)
    toml = path.suffix == ".toml"
    try:  # the parsers' messages name the line
        text = path.read_text(encoding="utf-8-sig")  # -sig: spreadsheets start CSV with a BOM
        if path.suffix == ".csv":
            return _read_csv(text, path, shown)
        data = tomllib.loads(text) if toml else json.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{shown}: not valid {path.suffix[1:].upper()}: {exc}; fix the file") from None
    rows = data.get("rows", []) if isinstance(data, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        expected = "rows as [[rows]] tables" if toml else 'an object with "rows": a list of objects'
        raise ConfigError(f"{shown}: expected {expected}; fix the file")
    for name in sorted(set(data) - {"model", "key", "rows"}):  # a misspelt key would be ignored
        raise ConfigError(f"{shown}: unknown setting {name!r}; a file has model, key and rows")
    model, key = _names(data.get("model"), data.get("key"), shown, ("model", "key"))
    return FixtureFile(path, shown, model, key, tuple((f"row {i}", r) for i, r in enumerate(rows, 1)))


def _names(model: Any, key: Any, shown: str, spelt: tuple[str, str]) -> tuple[str, tuple[str, ...] | None]:
    if not isinstance(model, str) or not model.strip():
        raise ConfigError(f'{shown}: names no model; add {spelt[0]} = "ModelName"')
    key = [key] if isinstance(key, str) else key
    if key is not None and not (isinstance(key, list | tuple) and key and all(isinstance(k, str) for k in key)):
        raise ConfigError(f'{shown}: {spelt[1]} must be a list of field names, e.g. {spelt[1]} = ["name"]')
    return model.strip(), None if key is None else tuple(key)


def _read_csv(text: str, path: Path, shown: str) -> FixtureFile:
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        header = [h.strip() for h in next(reader, [])]
        if not header or "" in header or len(set(header)) != len(header):
            raise ConfigError(f"{shown}: line 1 must name each field once (the header); fix it")
        for cells in filter(None, reader):  # skips blank lines
            if len(cells) != len(header):
                count = f"{len(cells)} cells for {len(header)} fields in the header"
                raise ConfigError(f"{shown}: line {reader.line_num}: {count}; fix the row")
            rows.append((f"line {reader.line_num}", dict(zip(header, cells))))
    except csv.Error as exc:
        raise ConfigError(f"{shown}: not valid CSV at line {reader.line_num}: {exc}; fix the file") from None
    return FixtureFile(path, shown, path.stem, None, tuple(rows))


def _read_python(path: Path, shown: str) -> FixtureFile:
    name = f"_toolkit_fixtures_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None  # a *.py path always has a loader
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        if not callable(getattr(module, "rows", None)):
            raise ConfigError(f"{shown}: defines no rows(); add def rows() -> list[dict]: ...")
        rows = list(module.rows())
    except ToolkitError:
        raise
    except Exception as exc:  # the user's code raised (a SyntaxError names the line): one line
        raise ConfigError(f"{shown}: {type(exc).__name__}: {_first_line(exc)}; fix the file") from None
    if not all(isinstance(r, Mapping) for r in rows):
        raise ConfigError(f"{shown}: rows() must return a list of dicts (field -> value)")
    model, key = _names(getattr(module, "MODEL", None), getattr(module, "KEY", None), shown, ("MODEL", "KEY"))
    labelled = tuple((f"row {i}", dict(r)) for i, r in enumerate(rows, 1))
    return FixtureFile(path, shown, model, key, labelled)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
# Python type -> (what a value must look like, how text becomes one, accepted native types).
_KINDS: dict[Any, tuple[str, Callable[[str], Any], tuple[type, ...]]] = {
    bool: ("true/false, 1/0 or yes/no", lambda t: _BOOLS[t.lower()], (bool,)),
    int: ("an integer", int, (int,)),
    float: ("a number", float, (int, float)),
    Decimal: ("a decimal number", Decimal, (int, float, Decimal)),
    dt.datetime: ("a date and time (ISO 8601)", dt.datetime.fromisoformat, (dt.datetime,)),
    dt.date: ("a date (YYYY-MM-DD)", dt.date.fromisoformat, (dt.date,)),
    str: ("text (quote it)", str, (str,)),
    "json": ("JSON", json.loads, (object,)),
}


def _convert(field: Field[Any], value: Any, csv_cell: bool, unfit: str) -> Any:
    """The file's value as the field's Python value, checked as the database would check it;
    else a ConfigError: `unfit` and the reason."""
    kind: Any = "json" if isinstance(field, JSONField) else field.field_type
    # CSV has no NULL: an empty cell stands for it (but is just "" for a NOT NULL text column).
    if value is None or (csv_cell and value == "" and (field.null or kind is not str)):
        if not field.null:
            raise ConfigError(f"{unfit}: can't be empty: the column is NOT NULL")
        return None
    want, parse, native = _KINDS.get(kind, ("a valid value", str, (object,)))
    try:
        if isinstance(value, str) and kind is not str:
            value = parse(value.strip())
        # True is an int to Python, not to a column of integers.
        elif not isinstance(value, native) or (isinstance(value, bool) and kind not in (bool, "json")):
            raise ValueError(value)
    except (ValueError, ArithmeticError, LookupError):
        raise ConfigError(f"{unfit}: expected {want}") from None
    if isinstance(value, float) and kind is Decimal:
        value = Decimal(repr(value))  # the digits written, not the binary float's
    try:
        converted = field.to_python_value(value)
        field.validate(converted)  # the model's validators: max_length, ranges, ...
    except (ValueError, ArithmeticError, TypeError, BaseORMException) as exc:
        reason = _first_line(exc).removeprefix(f"{field.model_field_name}: ")  # the field is named already
        raise ConfigError(f"{unfit}: {reason}") from None
    # The column would round the value or refuse it; rounded, it would differ from the
    # file's on every later load and never count as unchanged.
    if isinstance(field, DecimalField) and converted is not None and (
        converted != value or len(converted.as_tuple().digits) > field.max_digits
    ):
        digits = f"{field.max_digits} digits, {field.decimal_places} after the point"
        raise ConfigError(f"{unfit}: expected at most {digits}")
    return converted


def _attr(model: type[Model], name: str, where: str) -> str:
    """The attribute (for a foreign key, its column's) a field name in a file stands for."""
    meta = model._meta
    if name in meta.fk_fields | meta.o2o_fields:
        return str(meta.fields_map[name].source_field)
    if name in meta.fields_db_projection:
        return name
    if name in meta.m2m_fields:
        raise ConfigError(f"{where}: {model.__name__}.{name} is many-to-many; fixtures can't set it yet")
    known = [*meta.fields_db_projection, *meta.fk_fields, *meta.o2o_fields]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"its fields are {', '.join(known)}"
    raise ConfigError(f"{where}: unknown field {name!r} for {model.__name__}; {hint}")


def _show(value: Any) -> str:
    if isinstance(value, Mapping | Ref):
        items = (value.lookup if isinstance(value, Ref) else value).items()
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in items) + "}"
    return repr(value) if isinstance(value, str) else str(value)


def _values(model: type[Model], raw: Mapping[str, Any], where: str, csv_row: bool) -> dict[str, Any]:
    """A row's (or a lookup's) values by attribute, converted; foreign keys become Refs."""
    values: dict[str, Any] = {}
    for name, value in raw.items():
        attr = _attr(model, name, where)
        if attr in values:
            raise ConfigError(f"{where}: {name!r} sets {attr} a second time; keep one of the two")
        field = model._meta.fields_map[attr]
        relation: Any = field.reference  # the foreign key a column belongs to, if any
        if relation is not None and value is not None and not (csv_row and value == ""):
            related: type[Model] = relation.related_model
            lookup = value if isinstance(value, Mapping) else {relation.to_field: value}  # `role_id = 3`
            if not lookup:
                raise ConfigError(f"{where}: {name}: name a field of {related.__name__} to find it by")
            nested = _values(related, lookup, f"{where}: {name}", csv_row)
            values[attr] = Ref(name, related, nested, str(relation.to_field))
            continue
        unfit = f"{where}: {_show(value)} doesn't fit {model.__name__}.{name}"
        values[attr] = _convert(field, value, csv_row, unfit)
    return values


def _key(model: type[Model], files: list[FixtureFile], rows: list[Row]) -> tuple[str, ...]:
    """The first key a file of the model gives; else the first unique field (not a generated
    one: a file can't know it) set in every row, a unique_together set, the primary key."""
    meta, given = model._meta, next((f for f in files if f.key is not None), None)
    if given is not None:
        key = tuple(_attr(model, n, f"{given.shown}: key") for n in given.key or ())
    else:
        candidates = [
            *((a,) for a in meta.fields_db_projection if (f := meta.fields_map[a]).unique and not f.generated),
            *(tuple(_attr(model, n, model.__name__) for n in names) for names in meta.unique_together),
            (meta.pk_attr,),
        ]
        if not (key := next((c for c in candidates if all(a in r.values for r in rows for a in c)), ())):
            suffix = files[0].path.suffix
            spelt = {".py": "KEY = [...]", ".json": '"key": [...]'}.get(suffix, "key = [...]")
            fix = f"add {spelt} naming the fields that identify a row"
            fix = "add a column for a unique field or the primary key" if suffix == ".csv" else fix  # CSV has no key
            raise ConfigError(
                f"{files[0].shown}: no natural key for {model.__name__}: no unique field (nor the primary key) "
                f"is in every row; {fix}"
            )
    for row in rows:
        if (missing := next((a for a in key if row.values.get(a) is None), None)) is not None:
            raise ConfigError(f"{row.where}: no value for the key field {missing!r}; give it one")
    return key


def _plan(model: type[Model], files: list[FixtureFile]) -> Plan:
    rows = [Row(f, label, _values(model, raw, f"{f.shown}: {label}", f.path.suffix == ".csv"))
            for f in files for label, raw in f.rows]
    key = _key(model, files, rows)

    def canon(value: Any) -> Any:  # a key's value, hashable and the same however it is written
        if isinstance(value, Ref):
            return value.model.__name__, tuple(sorted((k, canon(v)) for k, v in value.lookup.items()))
        return json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value

    # One row per key: an environment's row over the shared one (field by field), so each
    # row is written once, and a second load finds everything as the first left it.
    merged: dict[tuple[Any, ...], Row] = {}
    for row in rows:
        seen = merged.get(k := tuple(canon(row.values[a]) for a in key))
        if seen is not None and seen.file is row.file:
            shown = ", ".join(f"{a} = {_show(row.values[a])}" for a in key)
            same = f"{seen.label} and {row.label} have the same key ({shown})"
            raise ConfigError(f"{row.file.shown}: {same}; drop one")
        merged[k] = row if seen is None else Row(row.file, row.label, {**seen.values, **row.values})
    return model, key, list(merged.values())


def plan_fixtures(files: list[FixtureFile], models: list[type[Model]]) -> list[Plan]:
    """The files checked against the models: a plan per model, parents first."""
    by_name, grouped = {m.__name__: m for m in models}, dict[type[Model], list[FixtureFile]]()
    for file in files:
        if (model := by_name.get(file.model)) is None:
            close = difflib.get_close_matches(file.model, by_name, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the models are {', '.join(sorted(by_name))}"
            source = " (the file's name)" if file.path.suffix == ".csv" else ""
            raise ConfigError(f"{file.shown}: unknown model {file.model!r}{source}; {hint}")
        # A folder has one file per model; an environment's adds to (or overrides) the shared one.
        if other := next((f for f in grouped.get(model, []) if f.path.parent == file.path.parent), None):
            raise ConfigError(f"{model.__name__} has fixtures in {other.shown} and in {file.shown}; merge them")
        grouped.setdefault(model, []).append(file)
    plans = [_plan(model, model_files) for model, model_files in grouped.items()]
    parents: dict[type[Model], set[type[Model]]] = {}
    for m in grouped:  # the models each model's foreign keys point at (itself aside)
        relations: list[Any] = [m._meta.fields_map[n] for n in m._meta.fk_fields | m._meta.o2o_fields]
        parents[m] = {f.related_model for f in relations} - {m}
    # Parents first, ties in file order. A model's rows load in file order (a parent row
    # before its children, for a model that refers to itself); so do a cycle's models.
    ordered: list[Plan] = []
    while plans:
        waiting = {p[0] for p in plans}
        ordered.append(next((p for p in plans if not parents[p[0]] & waiting), plans[0]))
        plans.remove(ordered[-1])
    return ordered


async def _resolve(ref: Any, where: str, conn: BaseDBAsyncClient) -> Any:
    """A value as written to the database: a Ref becomes the referenced row's key."""
    if not isinstance(ref, Ref):
        return ref
    lookup = {a: await _resolve(v, where, conn) for a, v in ref.lookup.items()}
    found = await ref.model.filter(**lookup).using_db(conn).limit(2).values_list(ref.target, flat=True)
    if len(found) == 1:
        return found[0]
    what = f"{'no' if not found else 'more than one'} {ref.model.__name__} with {_show(ref)[1:-1]}"
    fix = "add it to its fixtures or fix the reference" if not found else "find it by a unique field"
    raise ToolkitError(f"{where}: {ref.field}: {what}; {fix}{ROLLED_BACK}")


async def _load(plan: Plan, conn: BaseDBAsyncClient, url: str) -> ModelCounts:
    """Write one model's rows: each inserted, updated (the fields that differ) or unchanged."""
    (model, key, rows), counts = plan, {"inserted": 0, "updated": 0, "unchanged": 0}
    for row in rows:
        try:
            values = {a: await _resolve(v, row.where, conn) for a, v in row.values.items()}
            found = await model.filter(**{a: values[a] for a in key}).using_db(conn).get_or_none()
            changes = {a: v for a, v in values.items() if found is not None and getattr(found, a) != v}
            if found is None:
                await model.create(using_db=conn, **values)
            elif changes:  # a query, not save(): only the fields that differ are written
                await model.filter(pk=found.pk).using_db(conn).update(**changes)
            counts["inserted" if found is None else "updated" if changes else "unchanged"] += 1
        except ToolkitError:
            raise
        except MultipleObjectsReturned:
            several = f"its key ({', '.join(key)}) is in several rows; use a unique key"
            raise ToolkitError(f"{row.where}: {several}{ROLLED_BACK}") from None
        except Exception as exc:  # each driver has its own error classes; the server's reason is the point
            failed = f"writing the {model.__name__} failed: {_first_line(exc)}"
            raise ToolkitError(f"{row.where}: {failed}{ROLLED_BACK}") from exc
    meta = model._meta
    if meta.fields_map[meta.pk_attr].generated and any(meta.pk_attr in r.values for r in rows):
        # Explicit ids leave PostgreSQL's sequence behind: the next ordinary insert would
        # collide with a fixture row. The dialect is the connection's; the URL only labels.
        backend = backend_class(conn.capabilities.dialect)(url)
        for sql in backend.sync_sequence_sql(meta.db_table, meta.fields_db_projection[meta.pk_attr]):
            await conn.execute_query(sql)
    return ModelCounts(model.__name__, **counts)


async def load_fixtures_in_orm(
    settings: Settings, *, progress: ProgressCallback | None = None
) -> FixturesReport:
    """Load the fixtures through an already initialised Tortoise (the app `settings.app`):
    ConfigError for a file (before any write), ToolkitError for the data (all rolled back)."""
    paths = fixture_files(settings)
    if not paths:
        return FixturesReport((), ())
    models = app_models(settings)
    plans = plan_fixtures([read_fixture(p, settings) for p in paths], models)
    done: list[ModelCounts] = []
    async with in_transaction(models[0]._meta.default_connection) as conn:
        for plan in plans:
            done.append(await _load(plan, conn, settings.database_url))
            if progress is not None:
                progress(done[-1])
    return FixturesReport(tuple(done), tuple(paths))


async def load_fixtures(settings: Settings, *, progress: ProgressCallback | None = None) -> FixturesReport:
    """Load the fixtures into the settings' database, opening and closing Tortoise for it."""
    if not fixture_files(settings):
        return FixturesReport((), ())  # nothing to load: don't connect at all
    async with orm(settings):
        return await load_fixtures_in_orm(settings, progress=progress)
