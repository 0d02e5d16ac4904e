"""Which generator a column gets: its name first, then its type, then its default.

The rules are tables (`BY_NAME`, `BY_KIND`), so a new rule is one line, and the order of
`BY_NAME` says which rule wins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import replace

import numpy as np

from toolkit.errors import UsageError
from toolkit.seed.composed import fresh_number, paragraph, phone, words, zipf_pool
from toolkit.seed.generators import Gen, constant, mostly, pool, unique_text
from toolkit.seed.identifiers import external_id, path, token, uuid_text
from toolkit.seed.name_generators import (
    code,
    coordinate,
    country_code,
    distinct_country_codes,
    money,
    name,
    password,
    sku,
    slug,
)
from toolkit.seed.people import email, first_name, full_name, last_name, username
from toolkit.seed.rows import ColumnPlan
from toolkit.seed.table import NO_DEFAULT, Column, Table
from toolkit.seed.type_generators import (
    binary,
    boolean,
    date,
    datetime_,
    decimal,
    enum,
    floating,
    http_status,
    integer,
    json_,
    later_than,
    measured,
    ranged,
    text_by_type,
    time_,
    timedelta,
    uuid_,
    year,
)

BY_KIND: dict[str, Gen] = {
    "int": integer,
    "bigint": integer,
    "smallint": integer,
    "float": floating,
    "decimal": decimal,
    "bool": boolean,
    "date": date,
    "datetime": datetime_,
    "time": time_,
    "timedelta": timedelta,
    "uuid": uuid_,
    "json": json_,
    "binary": binary,
    "enum": enum,
    "char": text_by_type,
    "text": text_by_type,
}

TEXTUAL = ("char", "text")
_NUMERIC = ("int", "bigint", "smallint", "float", "decimal")
_INTEGER = ("int", "bigint", "smallint")

# (names, kinds the rule applies to, generator). The first match wins.
BY_NAME: list[tuple[tuple[str, ...], tuple[str, ...], Gen]] = [
    (("email", "email_address", "mail"), TEXTUAL, email),
    (("username", "user_name", "login", "handle", "nickname"), TEXTUAL, username),
    (("first_name", "firstname", "given_name"), TEXTUAL, first_name),
    (("last_name", "lastname", "surname", "family_name"), TEXTUAL, last_name),
    (("full_name", "fullname", "display_name", "author", "customer_name", "contact_name"), TEXTUAL, full_name),
    (("name",), TEXTUAL, name),
    (("phone", "phone_number", "mobile", "telephone", "tel", "cell"), TEXTUAL, phone),
    (("city", "town"), TEXTUAL, zipf_pool("city")),
    (("postcode", "zip", "zipcode", "zip_code", "postal_code"), TEXTUAL, fresh_number("postcode")),
    (("street", "address", "street_address", "address_line", "address1"), TEXTUAL, fresh_number("street_address")),
    (("state", "region", "province"), TEXTUAL, pool("administrative_unit")),
    (("country_code", "country_iso"), TEXTUAL, country_code),
    (("code", "iso_code", "iso"), TEXTUAL, code),
    (("country",), TEXTUAL, pool("country")),
    (("latitude", "lat"), _NUMERIC, coordinate(90)),
    (("longitude", "lng", "lon", "long"), _NUMERIC, coordinate(180)),
    (("url", "website", "homepage", "link", "site"), TEXTUAL, pool("url")),
    (("ip", "ip_address", "ipv4", "last_ip"), TEXTUAL, pool("ipv4")),
    (("title", "subject", "headline", "caption"), TEXTUAL, words(3, 7)),
    (("description", "bio", "body", "text", "content", "summary", "notes", "about", "comment"), TEXTUAL, paragraph),
    (("slug",), TEXTUAL, slug),
    (("sku",), TEXTUAL, sku),
    (("price", "amount", "cost", "total", "balance", "subtotal"), _NUMERIC, money),
    (("company", "company_name", "organization", "organisation", "employer"), TEXTUAL,
     zipf_pool("company", 4000, 0.6)),
    (("job", "job_title", "occupation", "position"), TEXTUAL, pool("job")),
    (("color", "colour"), TEXTUAL, pool("color_name")),
    (("currency", "currency_code"), TEXTUAL, pool("currency_code")),
    (("language", "language_code", "lang"), TEXTUAL, pool("language_code")),
    (("password", "password_hash", "hashed_password"), TEXTUAL, password),
    (("user_agent",), TEXTUAL, pool("user_agent")),
    (("image", "image_url", "avatar_url", "photo_url", "picture"), TEXTUAL, pool("image_url")),
    (("domain", "domain_name", "hostname"), TEXTUAL, pool("domain_name")),
    (("iban",), TEXTUAL, pool("iban")),
    (("uuid", "guid"), TEXTUAL, uuid_text),
    (("id", "external_id", "remote_id", "ref_id"), TEXTUAL, external_id),
    (("token", "key", "api_key", "secret", "access_token", "refresh_token", "nonce", "hash",
      "checksum", "digest", "signature", "salt"), TEXTUAL, token),
    (("path", "file_path", "filepath", "file", "filename", "file_name"), TEXTUAL, path),
    (("rating", "stars", "score"), _INTEGER, ranged(1, 5)),
    (("rating", "stars", "score", "avg_rating", "average_rating"), _NUMERIC, measured(lambda r, n: r.uniform(1, 5, n), 1)),
    (("status_code", "http_status", "response_code", "http_code"), _INTEGER, http_status),
    (("status", "state"), _INTEGER, measured(lambda r, n: np.minimum(r.geometric(0.5, n) - 1, 9))),
    (("code",), _INTEGER, ranged(100, 9999)),
    (("order", "position", "sort", "sort_order", "ordering", "rank", "seq", "sequence", "index"),
     _INTEGER, ranged(0, 50)),
    (("level", "tier"), _INTEGER, measured(lambda r, n: np.minimum(r.geometric(0.15, n), 100))),
    (("duration", "duration_ms", "elapsed", "elapsed_ms", "latency", "latency_ms", "ms", "millis",
      "timeout", "timeout_ms", "response_time"), _NUMERIC, measured(lambda r, n: r.lognormal(5.5, 1.0, n))),
    (("seconds", "secs", "duration_s", "duration_seconds"), _NUMERIC, measured(lambda r, n: r.lognormal(4.1, 1.0, n))),
    (("percent", "percentage", "pct", "progress"), _NUMERIC, measured(lambda r, n: r.uniform(0, 100, n))),
    (("probability", "ratio", "rate", "share", "fraction", "confidence"), ("float", "decimal"),
     measured(lambda r, n: r.uniform(0, 1, n), 4)),
    (("quantity", "qty"), _INTEGER, ranged(1, 10)),
    (("stock", "in_stock", "stock_level", "inventory", "units_in_stock"), _INTEGER, ranged(0, 500)),
    (("age",), _INTEGER, ranged(18, 90)),
    (("year",), _INTEGER, year),
]

# Generators whose values repeat: a unique column gets them made unique (or, for numbers,
# falls back to its type's unique values).
_NOT_UNIQUE: set[Gen] = {country_code, password, money}


def infer(column: Column) -> Gen:
    """The generator for `column`: by its name first, then by its type."""
    gen = _by_name(column) or BY_KIND.get(column.kind, text_by_type)
    if column.unique and gen in _NOT_UNIQUE:
        if gen is country_code:
            return distinct_country_codes
        if column.kind in TEXTUAL:
            return unique_text(gen)
        return BY_KIND.get(column.kind, text_by_type)
    return gen


def _by_name(column: Column) -> Gen | None:
    """The generator the column's name calls for, if any."""
    name = column.attr.lower()
    # Exact names first: `ip_address` is an IP, though it ends like `address`.
    for names, kinds, gen in BY_NAME:
        if column.kind in kinds and name in names:
            return gen
    for names, kinds, gen in BY_NAME:
        if column.kind in kinds and any(name.endswith("_" + n) for n in names):
            return gen
    return None


# Kinds whose generators can derive a value from the row index, so it never repeats.
_CAN_BE_UNIQUE = ("char", "text", "int", "bigint", "smallint", "float", "decimal", "uuid", "datetime")


def unique_together_applied(table: Table, overridden: Collection[str] = ()) -> Table:
    """`table` with one column of each `unique_together` group made unique on its own.

    A group is then unique whatever the other columns hold. A group of two foreign keys
    is left alone: the relations module hands out unique pairs for it.
    """
    columns = {c.name: c for c in table.columns}
    for group in table.unique_together:
        cols = [columns[c] for c in group if c in columns]
        if any(c.unique or c.primary_key or c.attr in overridden or c.name in overridden for c in cols):
            continue
        if sum(1 for c in cols if c.references is not None) >= 2:
            continue
        pick = next((c for c in cols if c.references is None and c.kind in _CAN_BE_UNIQUE), None)
        if pick is None:
            raise UsageError(
                f"{table.model}: can't make ({', '.join(group)}) unique by generation; give one "
                f"of them a generator in seeds/ that never repeats (for example from row.index)"
            )
        columns[pick.name] = replace(pick, unique=True)
    return replace(table, columns=tuple(columns[c.name] for c in table.columns))


def default_plans(table: Table, overrides: dict[str, Gen] | None = None) -> list[ColumnPlan]:
    """Plans for every column the seeder writes: overrides first, else inference."""
    overrides = overrides or {}
    table = unique_together_applied(table, set(overrides))
    plans = []
    for col in table.insert_columns:
        gen = overrides.get(col.attr) or overrides.get(col.name)
        if gen is not None:
            plans.append(ColumnPlan(col, gen, some_nulls=False))  # the user's values, as given
            continue
        plans.append(ColumnPlan(col, _with_default(col, infer(col))))
    _updates_after_creation(table, plans, set(overrides))
    return plans


def _with_default(col: Column, inferred: Gen) -> Gen:
    """The inferred generator, or one that keeps the column's default on some rows.

    Booleans and enums mostly keep their default (their generators know it); a number
    keeps its default on half the rows (karma = 0 for newcomers, stock = 0 when sold
    out); a text column whose name says what it holds (a phone defaulting to "") gets
    realistic values; other columns keep their default.
    """
    if col.default is NO_DEFAULT or col.kind in ("bool", "enum") or col.unique:
        return inferred
    if isinstance(col.default, dt.date):
        return _with_time_default(col, inferred)
    if col.kind in _NUMERIC:
        return mostly(col.default, inferred, share=0.5)
    if _by_name(col) is not None:
        return inferred
    return constant(col.default)


def _with_time_default(col: Column, inferred: Gen) -> Gen:
    """A date default of year 1 or 9999 (`datetime.min`) marks "never": realistic times
    instead; another naive datetime default is taken as UTC (no naive-datetime warning)."""
    default = col.default
    if default.year in (1, 9999):
        return inferred
    if isinstance(default, dt.datetime) and default.tzinfo is None:
        return constant(default.replace(tzinfo=dt.UTC))
    return constant(default)


_CREATED_NAMES = ("created_at", "created", "created_on", "date_created", "inserted_at", "creation_date")
_UPDATED_NAMES = ("updated_at", "updated", "updated_on", "modified", "modified_at", "last_modified")
_SEEN_NAMES = ("last_login", "last_login_at", "last_seen", "last_seen_at", "last_active", "last_active_at",
               "last_activity", "last_activity_at", "last_visit", "last_visit_at", "logged_in_at", "seen_at")
# A row's stamps follow each other: created <= updated <= last seen <= the run's now.
_STAMP_ORDER = ("created", "updated", "seen")


def _stamp(col: Column) -> str:
    if col.kind != "datetime" or col.unique:
        return ""
    if col.stamp:
        return col.stamp
    name = col.attr.lower()
    for kind, names in zip(_STAMP_ORDER, (_CREATED_NAMES, _UPDATED_NAMES, _SEEN_NAMES)):
        if name in names:
            return kind
    return ""


def _updates_after_creation(table: Table, plans: list[ColumnPlan], overridden: Collection[str]) -> None:
    """Each stamp falls between the row's earlier stamp and the anchor, never before it."""
    first: dict[str, Column] = {}
    for c in table.insert_columns:
        first.setdefault(_stamp(c), c)
    for i, plan in enumerate(plans):
        col = plan.column
        kind = _stamp(col)
        if not kind or col.attr in overridden or col.name in overridden:
            continue
        rank = _STAMP_ORDER.index(kind)
        before = [(k, first[k]) for k in _STAMP_ORDER[:rank] if k in first]
        if before:
            plans[i] = replace(plan, gen=later_than(before[-1][1].attr, depth=_STAMP_ORDER.index(before[-1][0]) + 1))
