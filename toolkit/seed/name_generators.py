"""Generators for what a column's name says it holds: people, handles, places, codes, money."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

import numpy as np

from toolkit.seed.generators import (
    INDEX_DIGITS,
    Ctx,
    Gen,
    compact_tokens,
    fit,
    pool,
    sentence_pool,
    tolist,
    unique_suffixed,
)
from toolkit.seed.type_generators import decimals_from_cents, text_by_type

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
    """Handles built from the row's own names when it has them, else Faker's user names.

    One row's email and username share its handle (ashley.white42@..., ashley.white42), as
    people's do; made once per chunk, from a stream of its own.
    """
    made: list[str] | None = ctx.row.get("_handles")
    if made is not None:
        return made
    rng = ctx.shared("_handles") if ctx.shared is not None else ctx.rng
    handles = ctx.pools.handles()
    fallback = handles[rng.integers(0, len(handles), ctx.n)].tolist()
    first = ctx.row.get("first_name") or ctx.row.get("_first")
    last = ctx.row.get("last_name") or ctx.row.get("_last")
    if first is None or last is None:
        made = fallback
    else:
        seps = [_SEPARATORS[i] for i in rng.integers(0, len(_SEPARATORS), ctx.n).tolist()]
        made = [
            f"{a}{sep}{b}" if a and b else fb
            for a, b, sep, fb in zip(_ascii(first), _ascii(last), seps, fallback)
        ]
    if ctx.shared is not None:
        ctx.row["_handles"] = made
    return made


def email(ctx: Ctx) -> list[Any]:
    domains = ctx.pools.get("free_email_domain")
    h = _person_handles(ctx)
    d = domains[ctx.rng.integers(0, len(domains), ctx.n)].tolist()
    limit = ctx.column.max_length
    if ctx.column.unique:
        if limit is not None and limit < INDEX_DIGITS + 1 + max(len(x) for x in d):
            return [f"{t}@{b}"[:limit] if len(t) + 1 < limit else t for t, b in zip(compact_tokens(ctx), d)]
        made = [f"{a}{i}@{b}" for a, i, b in zip(h, ctx.index.tolist(), d)]
        if limit is None or max(map(len, made), default=0) <= limit:
            return made
        # Trim the handle, never the index or the domain.
        return [
            f"{a[: limit - len(f'{i}@{b}')]}{i}@{b}"
            for a, i, b in zip(h, ctx.index.tolist(), d)
        ]
    emails = [f"{a}@{b}" for a, b in zip(h, d)]
    if limit is None:
        return emails
    return [e if len(e) <= limit else f"{a[: max(limit - len(b) - 1, 1)]}@{b}"[:limit] for e, a, b in zip(emails, h, d)]


def username(ctx: Ctx) -> list[Any]:
    h = _person_handles(ctx)
    if ctx.column.unique:
        return unique_suffixed(h, ctx)
    return fit(h, ctx.column.max_length)


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
        return unique_suffixed(names, ctx, "{p} {i}")
    return fit(names, ctx.column.max_length)


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


# --- countries ------------------------------------------------------------------------------


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


def iso_codes() -> list[str]:
    from faker.providers.address import Provider

    return list(Provider.alpha_2_country_codes)


def distinct_country_codes(ctx: Ctx) -> list[Any]:
    """Every ISO code once, in a fixed order: a unique column of codes (a countries table)."""
    codes = iso_codes()
    return [codes[i] if i < len(codes) else "" for i in ctx.index.tolist()]


# --- products, places, secrets ----------------------------------------------------------------


def slug(ctx: Ctx) -> list[Any]:
    words = ctx.pools.sample("slug", ctx.rng, ctx.n)
    if ctx.column.unique:
        return unique_suffixed(words, ctx, "{p}-{i}")
    return fit(words, ctx.column.max_length)


def sku(ctx: Ctx) -> list[Any]:
    if ctx.column.unique:
        return unique_suffixed(["SKU-"] * ctx.n, ctx)
    return [f"SKU-{v:08d}" for v in ctx.rng.integers(0, 10**8, ctx.n).tolist()]


def coordinate(limit: float) -> Gen:
    def gen(ctx: Ctx) -> list[Any]:
        col = ctx.column
        if col.kind != "decimal":
            return tolist(np.round(ctx.rng.uniform(-limit, limit, ctx.n), 6))
        places = col.decimal_places if col.decimal_places is not None else 6
        # Scaled down to what the column holds: DECIMAL(10, 8) keeps below 100.
        top = min(float(limit), 10.0 ** ((col.max_digits or 12) - places) - 10.0**-places)
        values = np.round(ctx.rng.uniform(-top, top, ctx.n), min(places, 12)).tolist()
        return [Decimal(f"{v:.{places}f}") for v in values]

    return gen


def money(ctx: Ctx) -> list[Any]:
    cents = ctx.rng.lognormal(mean=8.0, sigma=1.2, size=ctx.n).astype(np.int64)
    if ctx.column.kind == "decimal":
        return decimals_from_cents(cents, ctx.column)
    if ctx.column.kind in ("int", "bigint", "smallint"):
        return tolist(cents // 100)
    return tolist(cents / 100)


def password(ctx: Ctx) -> list[Any]:
    raw = ctx.rng.integers(0, 2**63, ctx.n).tolist()
    return fit([f"pbkdf2_sha256$600000${v:016x}" for v in raw], ctx.column.max_length)


# Generators that read other columns of the row; they run after the rest.
DERIVED: set[Gen] = {email, username, full_name, name}
