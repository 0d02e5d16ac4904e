"""Column generators: realistic values in bulk, a row depending only on (seed, row index).

Rows are made in fixed chunks of `CHUNK_ROWS` consecutive row indices. Each column of each
chunk draws from its own random stream, seeded by (seed, table, column, chunk). So a row
never depends on batch size, concurrency, shard or timing, and adding a column to a table
leaves the other columns' values unchanged.

Unique columns are derived from the row index (`handle42@example.com`, `SKU-00000042`),
so they never collide and never retry; the ledger hands out indices that runs never reuse.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import numpy as np

from toolkit.errors import UsageError
from toolkit.seed.pools import Pools
from toolkit.seed.table import NO_DEFAULT, Column, Table

CHUNK_ROWS = 4096
NULL_RATE = 0.1
# Dates are spread back from a fixed day, not from today: a seed must give the same rows
# tomorrow as it does today.
ANCHOR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Ctx:
    """What a generator gets for one chunk of one column."""

    rng: np.random.Generator
    index: np.ndarray  # the rows' global indices (int64)
    pools: Pools
    column: Column
    # Values already made for this chunk, by attribute name: lets an email follow the
    # row's own first and last name.
    row: dict[str, list[Any]] = field(default_factory=dict)
    model: str = ""  # the model (or table) the column belongs to: "name" of a Customer or a Tag

    @property
    def n(self) -> int:
        return len(self.index)


Gen = Callable[[Ctx], list[Any]]


def _tolist(values: np.ndarray) -> list[Any]:
    out: list[Any] = values.tolist()  # typed here once: numpy's stubs say Any
    return out


def _fit(values: list[str], max_length: int | None) -> list[str]:
    if max_length is None:
        return values
    return [v[:max_length] for v in values]


# Room kept for a decimal row index in a unique text value: ten billion rows.
_INDEX_DIGITS = 10
_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(i: int) -> str:
    out = ""
    while True:
        i, r = divmod(i, 36)
        out = _BASE36[r] + out
        if i == 0:
            return out


def _compact_tokens(ctx: Ctx) -> list[str]:
    """The row index in base 36: the shortest unique text, for very narrow columns.

    A chunk is made whole, so its last rows may lie past what the column can hold; a run
    that would load such rows is refused before it starts (`unique_capacity`).
    """
    limit = ctx.column.max_length or 0
    return [t if len(t) <= limit else "" for t in map(_base36, ctx.index.tolist())]


def unique_capacity(column: Column, model: str = "") -> int | None:
    """How many distinct values the inferred generator can give a unique column, if bounded."""
    if not column.unique or column.primary_key and column.db_generated:
        return None
    gen = infer(column)
    if gen is distinct_country_codes or (
        gen is code and "country" in model.lower() and column.max_length == 2
    ):
        return len(_iso_codes())
    if column.kind in _TEXTUAL and column.max_length is not None and column.max_length < 12:
        return int(36**column.max_length)
    return None


def _unique_suffixed(prefixes: list[str], ctx: Ctx, template: str = "{p}{i}") -> list[str]:
    """`prefix + index`, trimming the prefix (never the index) to fit `max_length`.

    A column too narrow to keep room for any index gets base-36 indexes alone, for every
    row: mixing the two forms in one column could make two rows equal.
    """
    limit = ctx.column.max_length
    if limit is not None and limit < len(template.format(p="", i="")) + _INDEX_DIGITS:
        return _compact_tokens(ctx)
    out = []
    for p, i in zip(prefixes, ctx.index.tolist()):
        value = template.format(p=p, i=i)
        if limit is not None and len(value) > limit:
            room = max(limit - (len(value) - len(p)), 0)
            value = template.format(p=p[:room], i=i)
        out.append(value)
    return out


def unique_text(gen: Gen, template: str = "{p}-{i}") -> Gen:
    """Make a generator that knows nothing of uniqueness unique, by the row index."""

    def wrapped(ctx: Ctx) -> list[Any]:
        return _unique_suffixed([str(v) for v in gen(ctx)], ctx, template)

    return wrapped


# --- generators by meaning ------------------------------------------------------------


def pool(key: str) -> Gen:
    """Sample the Faker provider `key` (for example "company", "city")."""

    def gen(ctx: Ctx) -> list[Any]:
        values = ctx.pools.sample(key, ctx.rng, ctx.n)
        if ctx.column.unique:
            return _unique_suffixed([str(v) for v in values], ctx, "{p} {i}")
        if ctx.column.kind in ("char", "text"):
            return _fit([str(v) for v in values], ctx.column.max_length)
        return values

    return gen


_ASCII: dict[str, str] = {}


def _ascii(names: list[Any]) -> list[str]:
    """`José` -> `jose`; '' when a name has no Latin letters (then a Faker handle is used)."""
    cache = _ASCII
    for name in set(names) - cache.keys():
        plain = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
        cache[name] = "".join(ch for ch in plain if "a" <= ch <= "z")
    return [cache[n] for n in names]


_SEPARATORS = (".", "", "_")


def _person_handles(ctx: Ctx) -> list[str]:
    """Handles built from the row's own names when it has them, else Faker's user names."""
    handles = ctx.pools.handles()
    fallback = handles[ctx.rng.integers(0, len(handles), ctx.n)].tolist()
    first = ctx.row.get("first_name") or ctx.row.get("_first")
    last = ctx.row.get("last_name") or ctx.row.get("_last")
    if first is None or last is None:
        return fallback  # type: ignore[no-any-return]
    seps = [_SEPARATORS[i] for i in ctx.rng.integers(0, len(_SEPARATORS), ctx.n).tolist()]
    return [
        f"{a}{sep}{b}" if a and b else fb
        for a, b, sep, fb in zip(_ascii(first), _ascii(last), seps, fallback)
    ]


def email(ctx: Ctx) -> list[Any]:
    domains = ctx.pools.get("free_email_domain")
    h = _person_handles(ctx)
    d = domains[ctx.rng.integers(0, len(domains), ctx.n)].tolist()
    limit = ctx.column.max_length
    if ctx.column.unique:
        if limit is not None and limit < _INDEX_DIGITS + 1 + max(len(x) for x in d):
            return [f"{t}@{b}"[:limit] if len(t) + 1 < limit else t for t, b in zip(_compact_tokens(ctx), d)]
        # Trim the handle, never the index or the domain.
        return [
            f"{a[: limit - len(f'{i}@{b}')] if limit else a}{i}@{b}"
            for a, i, b in zip(h, ctx.index.tolist(), d)
        ]
    emails = [f"{a}@{b}" for a, b in zip(h, d)]
    if limit is None:
        return emails
    return [e if len(e) <= limit else f"{a[: max(limit - len(b) - 1, 1)]}@{b}"[:limit] for e, a, b in zip(emails, h, d)]


def username(ctx: Ctx) -> list[Any]:
    h = _person_handles(ctx)
    if ctx.column.unique:
        return _unique_suffixed(h, ctx)
    return _fit(h, ctx.column.max_length)


def full_name(ctx: Ctx) -> list[Any]:
    first = ctx.row.get("first_name") or ctx.pools.sample("first_name", ctx.rng, ctx.n)
    last = ctx.row.get("last_name") or ctx.pools.sample("last_name", ctx.rng, ctx.n)
    # An email or username of the same row is made from these names.
    ctx.row.setdefault("_first", first)
    ctx.row.setdefault("_last", last)
    if ctx.pools.locale.split("_")[0] in ("ko", "ja", "zh"):
        names = [f"{b}{a}" for a, b in zip(first, last)]
    else:
        names = [f"{a} {b}" for a, b in zip(first, last)]
    if ctx.column.unique:
        return _unique_suffixed(names, ctx, "{p} {i}")
    return _fit(names, ctx.column.max_length)


_PEOPLE = ("user", "customer", "person", "people", "author", "member", "employee", "contact",
           "profile", "account", "student", "patient", "client", "owner", "staff", "player",
           "teacher", "instructor", "attendee", "guest", "speaker", "doctor", "driver", "artist",
           "writer", "reader", "buyer", "seller", "host", "agent", "manager", "worker",
           "volunteer", "candidate", "applicant", "subscriber", "organizer", "organiser",
           "participant", "visitor", "tenant", "passenger", "coach", "parent", "child")
_ORGANISATIONS = ("company", "organization", "organisation", "supplier", "vendor", "brand",
                  "team", "store", "shop", "merchant", "publisher", "manufacturer", "clinic",
                  "hospital", "agency", "firm", "bank", "carrier", "distributor", "partner")
# Animals are named like people, by a first name.
_ANIMALS = ("pet", "animal", "dog", "cat", "horse", "puppy", "kitten")


def _model_words(model: str) -> set[str]:
    """The singular words of a model or table name: PetOwner, pet_owners -> {pet, owner}."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[a-z]+", model)
    return {w.lower().removesuffix("s") for w in words}


def name(ctx: Ctx) -> list[Any]:
    """A person's name on a person-like model, a company's on a company-like one, else words."""
    model = ctx.model.lower()
    if any(p in model for p in _PEOPLE) or not model:
        return full_name(ctx)
    if any(o in model for o in _ORGANISATIONS):
        return pool("company")(ctx)
    if _model_words(ctx.model) & set(_ANIMALS):
        return pool("first_name")(ctx)
    if "country" in model:
        return distinct_country_names(ctx) if ctx.column.unique else pool("country")(ctx)
    if any(c in model for c in ("city", "town")):
        return pool("city")(ctx)
    words = sentence_pool("_words2", 2)(ctx)
    return [w.title() if isinstance(w, str) else w for w in words]


def country_code(ctx: Ctx) -> list[Any]:
    # Mostly the locale's own country, as a real user base would be.
    home = ctx.pools.country_code()
    others = ctx.pools.sample("country_code", ctx.rng, ctx.n)
    home_mask = (ctx.rng.random(ctx.n) < 0.8).tolist()
    return [home if h else o for h, o in zip(home_mask, others)]


def code(ctx: Ctx) -> list[Any]:
    """A `code` column: ISO country codes on a countries model, else text by its type."""
    if "country" in ctx.model.lower() and ctx.column.max_length == 2:
        return distinct_country_codes(ctx) if ctx.column.unique else country_code(ctx)
    return text_by_type(ctx)


def slug(ctx: Ctx) -> list[Any]:
    words = ctx.pools.sample("slug", ctx.rng, ctx.n)
    if ctx.column.unique:
        return _unique_suffixed(words, ctx, "{p}-{i}")
    return _fit(words, ctx.column.max_length)


def sku(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        return _unique_suffixed(["SKU-"] * ctx.n, ctx)
    return [f"SKU-{v:08d}" for v in ctx.rng.integers(0, 10**8, ctx.n).tolist()]


def coordinate(limit: float) -> Gen:
    def gen(ctx: Ctx) -> list[Any]:
        values = _tolist(np.round(ctx.rng.uniform(-limit, limit, ctx.n), 6))
        if ctx.column.kind == "decimal":
            places = ctx.column.decimal_places or 6
            return [Decimal(f"{v:.{places}f}") for v in values]
        return values

    return gen


def money(ctx: Ctx) -> list[Any]:
    cents = ctx.rng.lognormal(mean=8.0, sigma=1.2, size=ctx.n).astype(np.int64)
    if ctx.column.kind == "decimal":
        return _decimals_from_cents(cents, ctx.column)
    if ctx.column.kind in ("int", "bigint", "smallint"):
        return _tolist(cents // 100)
    return _tolist(cents / 100)


def password(ctx: Ctx) -> list[Any]:
    raw = ctx.rng.integers(0, 2**63, ctx.n).tolist()
    return _fit([f"pbkdf2_sha256$600000${v:016x}" for v in raw], ctx.column.max_length)


def sentence_pool(key: str, words: int) -> Gen:
    def gen(ctx: Ctx) -> list[Any]:
        pool_ = ctx.pools.get(
            key, lambda: ctx.pools.faker.sentence(nb_words=words, variable_nb_words=words > 2).rstrip(".")
        )
        values = pool_[ctx.rng.integers(0, len(pool_), ctx.n)].tolist()
        if ctx.column.unique:
            return _unique_suffixed(values, ctx, "{p} #{i}")
        return _fit(values, ctx.column.max_length)

    return gen


def paragraph(ctx: Ctx) -> list[Any]:
    pool_ = ctx.pools.get("_paragraph", lambda: ctx.pools.faker.paragraph(nb_sentences=3))
    values = pool_[ctx.rng.integers(0, len(pool_), ctx.n)].tolist()
    if ctx.column.unique:
        return _unique_suffixed(values, ctx, "{p} #{i}")
    return _fit(values, ctx.column.max_length)


# --- generators by type ---------------------------------------------------------------

_INT_RANGE = {"smallint": 32_000, "int": 1_000_000, "bigint": 1_000_000_000}


def integer(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        return _tolist(ctx.index + 1)
    return _tolist(ctx.rng.integers(0, _INT_RANGE.get(ctx.column.kind, 1000), ctx.n))


def floating(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        return _tolist(ctx.index + ctx.rng.random(ctx.n))
    return _tolist(np.round(ctx.rng.uniform(0, 1000, ctx.n), 4))


def _decimals_from_cents(cents: np.ndarray, column: Column) -> list[Any]:
    places = column.decimal_places if column.decimal_places is not None else 2
    digits = column.max_digits or 12
    # In the column's own smallest unit: DECIMAL(digits, places) holds 0 .. 10**digits - 1.
    units = cents * 10 ** (places - 2) if places >= 2 else cents // 10 ** (2 - places)
    cap = 10 ** min(digits, 18) - 1
    # Too large for the column: wrapped, not clamped, so no value piles up at the cap.
    units = np.where(units > cap, units % (cap + 1), units)
    if places == 2:
        return [Decimal(f"{c // 100}.{c % 100:02d}") for c in units.tolist()]
    return [Decimal(int(c)).scaleb(-places) for c in units.tolist()]


def decimal(ctx: Ctx) -> list[Any]:
    places = ctx.column.decimal_places if ctx.column.decimal_places is not None else 2
    digits = ctx.column.max_digits or 12
    whole_digits = max(digits - places, 0)
    if ctx.column.unique:
        return [Decimal(int(i)).scaleb(0) for i in ctx.index.tolist()]
    top = min(10**whole_digits, 10**6)
    units = ctx.rng.integers(0, top * 10**places, ctx.n).tolist()
    return [Decimal(u).scaleb(-places) for u in units]


def boolean(ctx: Ctx) -> list[Any]:
    default = ctx.column.default
    if isinstance(default, bool):
        # Most rows keep the default, as most users never change it.
        keep = ctx.rng.random(ctx.n) < 0.9
        return [default if k else not default for k in keep.tolist()]
    return _tolist(ctx.rng.random(ctx.n) < 0.5)


_DATE_POOL = np.array([ANCHOR.date() - dt.timedelta(days=d) for d in range(365 * 80)], dtype=object)


def date(ctx: Ctx) -> list[Any]:
    name = ctx.column.attr.lower()
    if "birth" in name or name in ("dob", "birthday"):
        days = ctx.rng.integers(365 * 18, 365 * 80, ctx.n)
    else:
        days = ctx.rng.integers(0, 365 * 5, ctx.n)
    return _DATE_POOL[days].tolist()  # type: ignore[no-any-return]


def datetime_(ctx: Ctx) -> list[Any]:
    base = int(ANCHOR.timestamp())
    name = ctx.column.attr.lower()
    if ctx.column.unique:
        # A minute apart per row index (61 s: no round clock times; a million rows span two
        # years), a random fraction of a second within it: never equal, spread like events.
        seconds = ctx.index.astype(np.int64) * 61_000_000
    elif "birth" in name or name in ("dob", "born", "born_at"):
        seconds = ctx.rng.integers(18 * 365 * 86400, 80 * 365 * 86400, ctx.n) * 1_000_000
    else:
        seconds = ctx.rng.integers(0, 2 * 365 * 86400, ctx.n) * 1_000_000
    micro = ctx.rng.integers(0, 1_000_000, ctx.n)
    stamps = (np.int64(base) * 1_000_000 - seconds - micro).astype("datetime64[us]")
    utc = dt.UTC
    return [d.replace(tzinfo=utc) for d in stamps.astype(object).tolist()]


def time_(ctx: Ctx) -> list[Any]:
    secs = ctx.rng.integers(0, 86400, ctx.n).tolist()
    # Aware, as Tortoise stores times with time-zone support on (its default).
    return [dt.time(s // 3600, (s // 60) % 60, s % 60, tzinfo=dt.UTC) for s in secs]


def timedelta(ctx: Ctx) -> list[Any]:
    return [dt.timedelta(seconds=s) for s in ctx.rng.integers(0, 7 * 86400, ctx.n).tolist()]


def uuid_(ctx: Ctx) -> list[Any]:
    raw = ctx.rng.bytes(16 * ctx.n)
    return [uuid.UUID(bytes=raw[i : i + 16], version=4) for i in range(0, 16 * ctx.n, 16)]


def json_(ctx: Ctx) -> list[Any]:
    words = ctx.pools.sample("word", ctx.rng, ctx.n)
    if ctx.column.json_list:
        # A list field (default=list): a few tags.
        sizes = ctx.rng.integers(0, 4, ctx.n).tolist()
        extra = ctx.pools.sample("word", ctx.rng, ctx.n * 3)
        return [[w, *extra[i * 3 : i * 3 + k - 1]] if k else [] for i, (w, k) in enumerate(zip(words, sizes))]
    nums = ctx.rng.integers(0, 1000, ctx.n).tolist()
    flags = (ctx.rng.random(ctx.n) < 0.5).tolist()
    return [{"tag": w, "score": n, "enabled": f} for w, n, f in zip(words, nums, flags)]


def binary(ctx: Ctx) -> list[Any]:
    size = min(ctx.column.max_length or 16, 16)
    raw = ctx.rng.bytes(size * ctx.n)
    return [raw[i : i + size] for i in range(0, size * ctx.n, size)]


def enum(ctx: Ctx) -> list[Any]:
    choices = np.empty(len(ctx.column.choices), dtype=object)
    choices[:] = list(ctx.column.choices)
    values = choices[ctx.rng.integers(0, len(choices), ctx.n)].tolist()
    default = ctx.column.default
    if default is not NO_DEFAULT and default in ctx.column.choices:
        # Most rows keep the default member, as most rows in a live table do.
        keep = (ctx.rng.random(ctx.n) < 0.8).tolist()
        values = [default if k else v for k, v in zip(keep, values)]
    return values  # type: ignore[no-any-return]


def ranged(low: int, high: int) -> Gen:
    """An integer in [low, high]: ratings, quantities, ages."""

    def gen(ctx: Ctx) -> list[Any]:
        values = ctx.rng.integers(low, high + 1, ctx.n)
        if ctx.column.kind in ("float", "decimal"):
            return [Decimal(int(v)) if ctx.column.kind == "decimal" else float(v) for v in values.tolist()]
        return values.tolist()  # type: ignore[no-any-return]

    return gen


def text_by_type(ctx: Ctx) -> list[Any]:
    if ctx.column.kind == "text":
        return paragraph(ctx)
    limit = ctx.column.max_length or 255
    if limit <= 8 and not ctx.column.unique:
        return _fit(ctx.pools.sample("word", ctx.rng, ctx.n), limit)
    return (sentence_pool("_words3", 3) if limit >= 24 else pool("word"))(ctx)


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

_TEXTUAL = ("char", "text")
_NUMERIC = ("int", "bigint", "smallint", "float", "decimal")
_INTEGER = ("int", "bigint", "smallint")

# (names, kinds the rule applies to, generator). The first match wins.
BY_NAME: list[tuple[tuple[str, ...], tuple[str, ...], Gen]] = [
    (("email", "email_address", "mail"), _TEXTUAL, email),
    (("username", "user_name", "login", "handle", "nickname"), _TEXTUAL, username),
    (("first_name", "firstname", "given_name"), _TEXTUAL, pool("first_name")),
    (("last_name", "lastname", "surname", "family_name"), _TEXTUAL, pool("last_name")),
    (("full_name", "fullname", "display_name", "author", "customer_name", "contact_name"), _TEXTUAL, full_name),
    (("name",), _TEXTUAL, name),
    (("phone", "phone_number", "mobile", "telephone", "tel", "cell"), _TEXTUAL, pool("phone_number")),
    (("city", "town"), _TEXTUAL, pool("city")),
    (("postcode", "zip", "zipcode", "zip_code", "postal_code"), _TEXTUAL, pool("postcode")),
    (("street", "address", "street_address", "address_line", "address1"), _TEXTUAL, pool("street_address")),
    (("state", "region", "province"), _TEXTUAL, pool("administrative_unit")),
    (("country_code", "country_iso"), _TEXTUAL, country_code),
    (("code", "iso_code", "iso"), _TEXTUAL, code),
    (("country",), _TEXTUAL, pool("country")),
    (("latitude", "lat"), _NUMERIC, coordinate(90)),
    (("longitude", "lng", "lon", "long"), _NUMERIC, coordinate(180)),
    (("url", "website", "homepage", "link", "site"), _TEXTUAL, pool("url")),
    (("ip", "ip_address", "ipv4", "last_ip"), _TEXTUAL, pool("ipv4")),
    (("title", "subject", "headline", "caption"), _TEXTUAL, sentence_pool("_title", 5)),
    (("description", "bio", "body", "text", "content", "summary", "notes", "about", "comment"), _TEXTUAL, paragraph),
    (("slug",), _TEXTUAL, slug),
    (("sku",), _TEXTUAL, sku),
    (("price", "amount", "cost", "total", "balance", "subtotal"), _NUMERIC, money),
    (("company", "company_name", "organization", "organisation", "employer"), _TEXTUAL, pool("company")),
    (("job", "job_title", "occupation", "position"), _TEXTUAL, pool("job")),
    (("color", "colour"), _TEXTUAL, pool("color_name")),
    (("currency", "currency_code"), _TEXTUAL, pool("currency_code")),
    (("language", "language_code", "lang"), _TEXTUAL, pool("language_code")),
    (("password", "password_hash", "hashed_password"), _TEXTUAL, password),
    (("user_agent",), _TEXTUAL, pool("user_agent")),
    (("image", "image_url", "avatar_url", "photo_url", "picture"), _TEXTUAL, pool("image_url")),
    (("domain", "domain_name", "hostname"), _TEXTUAL, pool("domain_name")),
    (("iban",), _TEXTUAL, pool("iban")),
    (("rating", "stars", "score"), _INTEGER, ranged(1, 5)),
    (("quantity", "qty"), _INTEGER, ranged(1, 10)),
    (("stock", "in_stock", "stock_level", "inventory", "units_in_stock"), _INTEGER, ranged(0, 500)),
    (("age",), _INTEGER, ranged(18, 90)),
    (("year",), _INTEGER, ranged(1990, 2025)),
]


# Generators that read other columns of the row; they run after the rest.
DERIVED: set[Gen] = {email, username, full_name, name}


def _rank(gen: Gen) -> int:
    """Generation order within a chunk: names before the handles made from them."""
    if gen in (full_name, name):
        return 1
    if gen in DERIVED or getattr(gen, "derived", False):
        return 2
    return 0


def infer(column: Column) -> Gen:
    """The generator for `column`: by its name first, then by its type."""
    gen = _infer(column)
    if column.unique and gen in _NOT_UNIQUE:
        if gen is country_code:
            return distinct_country_codes
        if column.kind in _TEXTUAL:
            return unique_text(gen)
        return BY_KIND.get(column.kind, text_by_type)
    return gen


def distinct_country_names(ctx: Ctx) -> list[Any]:
    """Every country name once, in a fixed order; past the end of the list, `name N`.

    Country names never end in a number, so a trimmed `name N` can't equal a plain name.
    """
    from faker.providers.address import Provider

    names = list(dict.fromkeys(Provider.countries))
    limit = ctx.column.max_length or 10**6
    out = []
    for i in ctx.index.tolist():
        plain = names[i % len(names)]
        if i < len(names) and len(plain) <= limit:
            out.append(plain)
        else:
            suffix = f" {i}"
            out.append(plain[: max(limit - len(suffix), 0)] + suffix)
    return out


def _iso_codes() -> list[str]:
    from faker.providers.address import Provider

    return list(Provider.alpha_2_country_codes)


def distinct_country_codes(ctx: Ctx) -> list[Any]:
    """Every ISO code once, in a fixed order: a unique column of codes (a countries table)."""
    codes = _iso_codes()
    return [codes[i] if i < len(codes) else "" for i in ctx.index.tolist()]


def _infer(column: Column) -> Gen:
    return _by_name(column) or BY_KIND.get(column.kind, text_by_type)


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


# Generators whose values repeat: a unique column gets them made unique (or, for numbers,
# falls back to its type's unique values).
_NOT_UNIQUE: set[Gen] = {country_code, password, money}


def _crc(text: str) -> int:
    return zlib.crc32(text.encode())


@dataclass(frozen=True)
class ColumnPlan:
    column: Column
    gen: Gen
    convert: bool = True  # pass values through the source's to_db conversion
    some_nulls: bool = True  # a nullable column gets NULL_RATE of NULLs (not for overrides)


class RowMaker:
    """Makes the rows of one table, chunk by chunk, for a given seed."""

    def __init__(self, table: Table, plans: Sequence[ColumnPlan], pools: Pools, seed: int) -> None:
        self.table = table
        self.plans = list(plans)
        self.pools = pools
        self.seed = seed
        self.columns = [p.column.name for p in self.plans]
        self._table_key = _crc(table.name)
        self._order = sorted(range(len(self.plans)), key=lambda i: _rank(self.plans[i].gen))
        self._identity: dict[str, bool] = {}
        # Batches rarely align with chunks; keep the last chunk for the next batch's start.
        self._cached: tuple[int, list[tuple[Any, ...]]] | None = None

    def _column_values(
        self, plan: ColumnPlan, chunk: int, index: np.ndarray, row: dict[str, list[Any]]
    ) -> list[Any]:
        col = plan.column
        rng = np.random.default_rng([self.seed, self._table_key, _crc(col.name), chunk])
        values = plan.gen(
            Ctx(rng=rng, index=index, pools=self.pools, column=col, row=row, model=self.table.model)
        )
        if (col.minimum is not None or col.maximum is not None) and not col.unique:
            values = within_bounds(values, col)
        row[col.attr] = values
        if plan.some_nulls and col.nullable and not col.unique and not col.primary_key:
            nulls = rng.random(len(values)) < NULL_RATE
            values = [None if z else v for v, z in zip(values, nulls.tolist())]
        if plan.convert and col.to_db is not None:
            values = self._to_db(col, values)
        return values

    def _to_db(self, col: Column, values: list[Any]) -> list[Any]:
        # The ORM's conversion runs on every value of a column until it has been seen to
        # hand back each generated value unchanged; from then on it is skipped, since a
        # generator's values keep one type.
        assert col.to_db is not None
        if self._identity.get(col.name):
            return values
        converted = [col.to_db(v) for v in values]
        if col.name not in self._identity:
            self._identity[col.name] = all(
                c is v or (type(c) is type(v) and c == v) for c, v in zip(converted, values)
            )
        return converted

    def chunk(self, chunk: int, lo: int = 0, hi: int = CHUNK_ROWS) -> list[tuple[Any, ...]]:
        """Rows `lo`..`hi` of chunk number `chunk` (row indices chunk*CHUNK_ROWS + lo ...)."""
        if self._cached is not None and self._cached[0] == chunk:
            rows = self._cached[1]
        else:
            full = np.arange(chunk * CHUNK_ROWS, (chunk + 1) * CHUNK_ROWS, dtype=np.int64)
            made: dict[str, list[Any]] = {}
            cols: list[list[Any]] = [[] for _ in self.plans]
            for i in self._order:
                cols[i] = self._column_values(self.plans[i], chunk, full, made)
            rows = list(zip(*cols))
            self._cached = (chunk, rows)
        return rows if (lo, hi) == (0, CHUNK_ROWS) else rows[lo:hi]

    def rows(self, start: int, stop: int) -> list[tuple[Any, ...]]:
        """Rows with global indices `start`..`stop`-1 (a convenience for small ranges)."""
        out: list[tuple[Any, ...]] = []
        for chunk in range(start // CHUNK_ROWS, (stop - 1) // CHUNK_ROWS + 1 if stop > start else 0):
            base = chunk * CHUNK_ROWS
            out += self.chunk(chunk, max(start - base, 0), min(stop - base, CHUNK_ROWS))
        return out


def within_bounds(values: list[Any], col: Column) -> list[Any]:
    """Numbers moved inside the column's validator bounds: wrapped, so none pile up at an edge."""
    low, high = col.minimum, col.maximum
    if low is None:
        low = min(0, high) if high is not None else None
    whole = col.kind in ("int", "bigint", "smallint")
    span = None if low is None or high is None else (high - low + (1 if whole else 0))
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
            out.append(v)
            continue
        kind: Any = type(v)
        lo: Any = None if low is None else kind(low)
        if span is not None and span > 0 and not (lo <= v <= kind(high)):
            out.append(kind(lo + (v - lo) % kind(span)))
        elif span is None and lo is not None and v < lo:
            out.append(kind(lo + (lo - v)))  # reflected above the minimum
        else:
            out.append(v)
    return out


def jsonable(value: Any) -> Any:
    """A value as it would print in JSON output (dry runs, samples)."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID, dt.timedelta)):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


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
        inferred = infer(col)
        # Booleans and enums mostly keep their default (their generators know it); a number
        # keeps its default on half the rows (karma = 0 for newcomers, stock = 0 when sold
        # out); a text column whose name says what it holds (a phone defaulting to "") gets
        # realistic values; other columns keep their default.
        if col.default is not NO_DEFAULT and col.kind not in ("bool", "enum") and not col.unique:
            if col.kind in _NUMERIC:
                gen = mostly(col.default, inferred, share=0.5)
            elif _by_name(col) is not None:
                gen = inferred
            else:
                gen = constant(col.default)
        else:
            gen = inferred
        plans.append(ColumnPlan(col, gen))
    _updates_after_creation(table, plans, set(overrides))
    return plans


_CREATED_NAMES = ("created_at", "created", "created_on", "date_created", "inserted_at", "creation_date")
_UPDATED_NAMES = ("updated_at", "updated", "updated_on", "modified", "modified_at", "last_modified")


def _stamp(col: Column) -> str:
    if col.kind != "datetime" or col.unique:
        return ""
    if col.stamp:
        return col.stamp
    name = col.attr.lower()
    return "created" if name in _CREATED_NAMES else "updated" if name in _UPDATED_NAMES else ""


def _updates_after_creation(table: Table, plans: list[ColumnPlan], overridden: Collection[str]) -> None:
    """A row's update time falls between its creation time and the anchor, never before."""
    created = next((c for c in table.insert_columns if _stamp(c) == "created"), None)
    if created is None:
        return
    for i, plan in enumerate(plans):
        col = plan.column
        if _stamp(col) == "updated" and col.attr not in overridden and col.name not in overridden:
            plans[i] = replace(plan, gen=later_than(created.attr))


def later_than(attr: str) -> Gen:
    """A time between the row's own `attr` and the anchor."""

    def gen(ctx: Ctx) -> list[Any]:
        starts = ctx.row.get(attr)
        if starts is None:
            return datetime_(ctx)
        shares = ctx.rng.random(ctx.n).tolist()
        naive = ANCHOR.replace(tzinfo=None)
        return [
            s + ((ANCHOR if s.tzinfo else naive) - s) * f if isinstance(s, dt.datetime) else s
            for s, f in zip(starts, shares)
        ]

    gen.derived = True  # type: ignore[attr-defined]  # runs after the creation time is made
    return gen


def mostly(value: Any, other: Gen, share: float) -> Gen:
    """`value` on about `share` of the rows, `other`'s values on the rest."""

    def gen(ctx: Ctx) -> list[Any]:
        keep = (ctx.rng.random(ctx.n) < share).tolist()
        return [value if k else v for k, v in zip(keep, other(ctx))]

    return gen


def constant(value: Any) -> Gen:
    def gen(ctx: Ctx) -> list[Any]:
        return [value] * ctx.n

    return gen


def choices(values: Sequence[Any]) -> Gen:
    arr = np.empty(len(values), dtype=object)
    arr[:] = list(values)

    def gen(ctx: Ctx) -> list[Any]:
        return arr[ctx.rng.integers(0, len(arr), ctx.n)].tolist()  # type: ignore[no-any-return]

    return gen
