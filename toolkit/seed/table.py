"""A neutral description of the tables to seed, and how to fill it from Tortoise models.

The planner and the generators only see `Table` and `Column`. Tortoise is one source;
a live database's catalog or SQLAlchemy metadata could fill the same description.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

NO_DEFAULT: Any = object()

# Kinds the generators understand. "fk" columns point at another table's key.
KINDS = (
    "int", "bigint", "smallint", "float", "decimal", "bool", "date", "datetime", "time",
    "timedelta", "uuid", "json", "text", "char", "binary", "enum",
)


@dataclass(frozen=True)
class Column:
    """One column to fill. `attr` is the model attribute, used for name-based inference."""

    name: str
    attr: str
    kind: str
    max_length: int | None = None
    nullable: bool = False
    unique: bool = False
    primary_key: bool = False
    db_generated: bool = False  # the database fills it (serial / autoincrement)
    default: Any = NO_DEFAULT
    choices: tuple[Any, ...] = ()  # enum members' database values
    max_digits: int | None = None
    decimal_places: int | None = None
    auto_now: bool = False  # auto_now / auto_now_add: the ORM would stamp a time
    stamp: str = ""  # "created" (auto_now_add) or "updated" (auto_now): an update follows creation
    json_list: bool = False  # a JSON field whose default is a list: its values are lists
    minimum: Any = None  # bounds the source's validators put on a number
    maximum: Any = None
    references: tuple[str, str] | None = None  # (table, column) for a foreign key
    one_to_one: bool = False
    # The source's conversion to the database value (Tortoise: field.to_db_value).
    to_db: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ManyToMany:
    """A link table between `table` and `other`, filled after both exist."""

    through: str
    from_column: str  # points at the owning table's key
    to_column: str  # points at the other table's key
    table: str
    other: str
    name: str = ""  # the relation's name on the owning model, for messages


@dataclass(frozen=True)
class Table:
    name: str
    model: str  # the model's name, as users type it on the command line
    columns: tuple[Column, ...]
    unique_together: tuple[tuple[str, ...], ...] = ()
    many_to_many: tuple[ManyToMany, ...] = ()
    # Set on a link table that no model describes (an implicit or named M2M through
    # table): the "Model.relation" it holds the links of.
    link_of: str | None = None

    @property
    def foreign_keys(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.references is not None)

    @property
    def insert_columns(self) -> tuple[Column, ...]:
        """Columns the seeder writes: all but database-generated keys."""
        return tuple(c for c in self.columns if not c.db_generated)

    @property
    def primary_key(self) -> Column | None:
        return next((c for c in self.columns if c.primary_key), None)

    def column(self, attr_or_name: str) -> Column:
        for c in self.columns:
            if attr_or_name in (c.attr, c.name):
                return c
        raise KeyError(attr_or_name)


_KIND_BY_FIELD = {
    "IntField": "int",
    "BigIntField": "bigint",
    "SmallIntField": "smallint",
    "FloatField": "float",
    "DecimalField": "decimal",
    "BooleanField": "bool",
    "DateField": "date",
    "DatetimeField": "datetime",
    "TimeField": "time",
    "TimeDeltaField": "timedelta",
    "UUIDField": "uuid",
    "JSONField": "json",
    "TextField": "text",
    "CharField": "char",
    "BinaryField": "binary",
    "CharEnumFieldInstance": "enum",
    "IntEnumFieldInstance": "enum",
}


def _kind_of(field_obj: Any) -> str:
    for klass in type(field_obj).__mro__:
        if klass.__name__ in _KIND_BY_FIELD:
            return _KIND_BY_FIELD[klass.__name__]
    return "text"


def _enum_values(field_obj: Any) -> tuple[Any, ...]:
    enum_type = getattr(field_obj, "enum_type", None)
    if enum_type is None:
        return ()
    return tuple(m.value if isinstance(m, Enum) else m for m in enum_type)


def _default_of(field_obj: Any) -> Any:
    default = getattr(field_obj, "default", None)
    if default is None or callable(default):
        return NO_DEFAULT
    return default.value if isinstance(default, Enum) else default


def _bound(field_obj: Any, attribute: str) -> Any:
    """The tightest `min_value` / `max_value` of the field's validators (Min/MaxValueValidator)."""
    found = [getattr(v, attribute) for v in getattr(field_obj, "validators", ()) if hasattr(v, attribute)]
    if not found:
        return None
    return max(found) if attribute == "min_value" else min(found)


def _column_of(meta: Any, attr: str) -> str:
    """The database column of a field; a relation's name (`customer`) means its key column."""
    f = meta.fields_map.get(attr)
    source = getattr(f, "source_field", None)
    if source:
        return str(meta.fields_db_projection.get(source, source))
    return str(meta.fields_db_projection.get(attr, attr))


def _references(f: Any) -> tuple[str, str] | None:
    """The (table, column) a relation field points at; None for other fields."""
    reference = getattr(f, "reference", None)
    if reference is None:
        return None
    related = reference.related_model._meta
    # `to_field` may point at a unique column other than the primary key.
    target = getattr(reference, "to_field_instance", None)
    target_attr = getattr(target, "model_field_name", None)
    key = related.fields_db_projection.get(target_attr) if target_attr else None
    return (related.db_table, key or related.db_pk_column)


def _column(model: Any, f: Any, attr: str, db_column: str, o2o_fields: set[str]) -> Column:
    reference = getattr(f, "reference", None)
    kind = _kind_of(f)
    max_length = getattr(f, "max_length", None)

    def to_db(value: Any, _f: Any = f, _model: Any = model) -> Any:
        return _f.to_db_value(value, _model)

    return Column(
        name=db_column,
        attr=reference.model_field_name if reference is not None else attr,
        kind=kind,
        max_length=max_length if isinstance(max_length, int) else None,
        nullable=bool(f.null),
        unique=bool(f.unique) or bool(f.pk) or (reference is not None and reference.model_field_name in o2o_fields),
        primary_key=bool(f.pk),
        db_generated=bool(f.generated),
        default=_default_of(f),
        choices=_enum_values(f),
        max_digits=getattr(f, "max_digits", None),
        decimal_places=getattr(f, "decimal_places", None),
        auto_now=bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)),
        json_list=kind == "json" and (getattr(f, "default", None) is list or isinstance(getattr(f, "default", None), list)),
        minimum=_bound(f, "min_value"),
        maximum=_bound(f, "max_value"),
        stamp="updated" if getattr(f, "auto_now", False)
        else "created" if getattr(f, "auto_now_add", False) else "",
        references=_references(f),
        one_to_one=reference is not None and reference.model_field_name in o2o_fields,
        to_db=to_db,
    )


def _many_to_many(meta: Any) -> tuple[ManyToMany, ...]:
    m2m: list[ManyToMany] = []
    for name in sorted(meta.m2m_fields):
        f = meta.fields_map[name]
        if getattr(f, "_generated", False):
            continue  # the reverse side of a relation declared on the other model
        m2m.append(
            ManyToMany(
                through=f.through,
                from_column=f.backward_key,
                to_column=f.forward_key,
                table=meta.db_table,
                other=f.related_model._meta.db_table,
                name=name,
            )
        )
    return tuple(m2m)


def from_tortoise(model: Any) -> Table:
    """Describe a Tortoise model (after `Tortoise.init`) as a neutral `Table`."""
    meta = model._meta
    o2o_fields = set(meta.o2o_fields)
    columns = [
        _column(model, meta.fields_map[attr], attr, db_column, o2o_fields)
        for attr, db_column in meta.fields_db_projection.items()
    ]
    unique_together = tuple(
        tuple(_column_of(meta, a) for a in group) for group in (meta.unique_together or ())
    )
    return Table(
        name=meta.db_table,
        model=model.__name__,
        columns=tuple(columns),
        unique_together=unique_together,
        many_to_many=_many_to_many(meta),
    )


def link_table(m2m: ManyToMany, owner: Table, other: Table) -> Table:
    """The through table of `m2m` as a table of its own: two keys, unique as a pair."""
    owner_pk, other_pk = owner.primary_key, other.primary_key
    if owner_pk is None or other_pk is None:
        raise ValueError(f"{m2m.through}: both sides of a many-to-many need a primary key")

    def side(pk: Column, name: str, table: Table) -> Column:
        return replace(
            pk, name=name, attr=name, primary_key=False, unique=False, db_generated=False,
            nullable=False, default=NO_DEFAULT, references=(table.name, pk.name),
            # A key that is itself a one-to-one (a profile keyed by its account) is one
            # side of many pairs here, not a parent of its own per row.
            one_to_one=False, minimum=None, maximum=None,
        )

    return Table(
        name=m2m.through,
        model=f"{owner.model}.{m2m.name or m2m.to_column}",
        columns=(side(owner_pk, m2m.from_column, owner), side(other_pk, m2m.to_column, other)),
        unique_together=((m2m.from_column, m2m.to_column),),
        link_of=f"{owner.model}.{m2m.name or m2m.to_column}",
    )


def all_tables(models: Sequence[Any]) -> dict[str, Table]:
    """Every table to consider, by name: the models, then the link tables no model holds."""
    tables = {m.__name__: from_tortoise(m) for m in models}
    by_name = {t.name: t for t in tables.values()}
    links: dict[str, Table] = {}
    for t in list(tables.values()):
        for m2m in t.many_to_many:
            if m2m.through in by_name or m2m.other not in by_name:
                continue  # a model describes this table: it is seeded as that model
            link = link_table(m2m, t, by_name[m2m.other])
            links[link.model] = link
    return {**tables, **links}
