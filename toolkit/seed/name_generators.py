"""Generators for what a column's name says it holds: people, handles, places, codes, money."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import numpy as np

from toolkit.seed.composed import words
from toolkit.seed.generators import Ctx, Gen, fit, pool, tolist, unique_suffixed
from toolkit.seed.people import email, full_name, username
from toolkit.seed.type_generators import decimals_from_cents, text_by_type

_PEOPLE = ("user", "customer", "person", "people", "author", "member", "employee", "contact",
           "profile", "account", "student", "patient", "client", "owner", "staff", "player",
           "teacher", "instructor", "attendee", "guest", "speaker", "doctor", "driver", "artist",
           "writer", "reader", "buyer", "seller", "host", "agent", "manager", "worker",
           "volunteer", "candidate", "applicant", "subscriber", "organizer", "organiser",
           "participant", "visitor", "tenant", "passenger", "coach", "parent", "child", "children")
_ORGANISATIONS = ("company", "organization", "organisation", "supplier", "vendor", "brand",
                  "team", "store", "shop", "merchant", "publisher", "manufacturer", "clinic",
                  "hospital", "agency", "firm", "bank", "carrier", "distributor", "partner")
# Animals are named like people, by a first name.
_ANIMALS = ("pet", "animal", "dog", "cat", "horse", "puppy", "kitten")


def _model_words(model: str) -> list[str]:
    """The singular words of a model or table name: PetOwner, pet_owners -> [pet, owner]."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[a-z]+", model)
    return [w.lower().removesuffix("s") for w in words]


def _head(model: str) -> str:
    """What a model is, by its last word: a PetOwner is an owner, UserProps are props, a
    Workshop is a workshop (not a shop), a Confirmation is no firm."""
    words = _model_words(model)
    return words[-1] if words else ""


def name(ctx: Ctx) -> list[Any]:
    """A person's name on a person-like model, a company's on a company-like one, else words."""
    head = _head(ctx.model)
    if head in _PEOPLE or not ctx.model:
        return full_name(ctx)
    if head in _ORGANISATIONS:
        return pool("company")(ctx)
    if head in _ANIMALS:
        return pool("first_name")(ctx)
    if head == "country":
        return distinct_country_names(ctx) if ctx.column.unique else pool("country")(ctx)
    if head in ("city", "town"):
        return pool("city")(ctx)
    return [w.title() if isinstance(w, str) else w for w in _TWO_WORDS(ctx)]


_TWO_WORDS = words(1, 3)


# --- countries ------------------------------------------------------------------------------


def country_code(ctx: Ctx) -> list[Any]:
    # Mostly the locale's own country, as a real user base would be.
    home = ctx.pools.country_code()
    others = ctx.pools.sample("country_code", ctx.rng, ctx.n)
    home_mask = (ctx.rng.random(ctx.n) < 0.8).tolist()
    return [home if h else o for h, o in zip(home_mask, others)]


def code(ctx: Ctx) -> list[Any]:
    """A `code` column: ISO country codes on a countries model, else text by its type."""
    if _head(ctx.model) == "country" and ctx.column.max_length == 2:
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
