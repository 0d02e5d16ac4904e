"""Seed definitions from the project's `seeds/` folder, and per-environment profiles.

A definition is a module in `seeds/` with a `SEED` (or a list `SEEDS`) of
`SeedDefinition(model="User", fields={...})`. Each field maps to one of:
- a callable `fn(row)`: called per row with `row.index`, `row.random` and `row.fake`;
- a string naming a Faker provider (`"company"`), sampled for the locale with a long tail
  (a few values common, most rare);
- a list or tuple: one of its items, uniformly;
- anything else: that constant.

Profiles live in `seeds/profiles.toml`, one table per environment:
`[dev] User = 1000`. `toolkit seed` with no model or count seeds the current profile.
"""

from __future__ import annotations

import difflib
import importlib.util
import random
import re
import sys
import tomllib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import ConfigError
from toolkit.seed.composed import zipf_pool
from toolkit.seed.generators import Ctx, Gen, choices, constant

PROFILES_FILE = "profiles.toml"


@dataclass(frozen=True)
class SeedDefinition:
    """Overrides for one model's generated fields."""

    model: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    # Children per parent row, by foreign key: {"author": (0, 5)} or {"post": 3}. The
    # model's row count then follows from the parent's rows (see `per_parent.py`).
    per_parent: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RowContext:
    """What a per-row override callable receives."""

    index: int
    random: random.Random
    fake: Any


def bulk(gen: Gen) -> Gen:
    """Mark `gen(ctx) -> list` as a bulk generator (one call per chunk, not per row)."""
    gen.__toolkit_bulk__ = True  # type: ignore[attr-defined]
    return gen


def faker(provider: str) -> Gen:
    """Sample the Faker provider `provider` for the run's locale."""
    return bulk(zipf_pool(provider))


def one_of(values: list[Any] | tuple[Any, ...]) -> Gen:
    return bulk(choices(values))


def fixed(value: Any) -> Gen:
    return bulk(constant(value))


def _per_row(fn: Callable[[RowContext], Any]) -> Gen:
    def gen(ctx: Ctx) -> list[Any]:
        rnd = random.Random(int(ctx.rng.integers(0, 2**63)))
        fake = ctx.pools.faker
        fake.seed_instance(rnd.getrandbits(64))
        return [fn(RowContext(i, rnd, fake)) for i in ctx.index.tolist()]

    return gen


def to_generator(value: Any, faker_providers: Callable[[str], bool]) -> Gen:
    """Turn one override value from a definition into a generator."""
    if callable(value) and getattr(value, "__toolkit_bulk__", False):
        return value  # type: ignore[no-any-return]
    if callable(value):
        return _per_row(value)
    if isinstance(value, str) and faker_providers(value):
        return zipf_pool(value)
    if isinstance(value, (list, tuple)):
        if not value:
            raise ConfigError("a list of choices in seeds/ must not be empty")
        return choices(value)
    return constant(value)


def _import(path: Path) -> Any:
    name = f"_toolkit_seeds_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load seed definitions from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a user's file: report it, don't crash
        raise ConfigError(f"seed definitions {path} failed to load: {exc}") from None
    return module


def load_definitions(seeds_dir: Path) -> dict[str, SeedDefinition]:
    """Every `SeedDefinition` in `seeds_dir/*.py`, by model name."""
    found: dict[str, SeedDefinition] = {}
    if not seeds_dir.is_dir():
        return found
    for path in sorted(seeds_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = _import(path)
        items = list(getattr(module, "SEEDS", []))
        if hasattr(module, "SEED"):
            items.append(module.SEED)
        for item in items:
            if not isinstance(item, SeedDefinition):
                raise ConfigError(f"{path}: SEED/SEEDS must hold SeedDefinition objects")
            found[item.model] = item
    return found


def refuse_misspelt(definitions: Collection[str], models: list[str]) -> None:
    """Refuse a definition whose model name is a near miss of one of `models`."""
    for stray in sorted(set(definitions) - set(models)):
        # A typo would quietly drop the overrides. A definition for a model this project
        # doesn't have at all (the bundled users seed, copied along) is left alone.
        close = difflib.get_close_matches(stray, models, n=1, cutoff=0.8)
        if close:
            raise ConfigError(
                f"seeds/ has a definition for unknown model {stray!r}; did you mean {close[0]!r}?"
            )


# A profile's "0-5 per author" or "3 per post": children per parent row (see per_parent.py).
_PER_PARENT = re.compile(r"^\s*(\d+)(?:\s*-\s*(\d+))?\s+per\s+(\w+)\s*$")


def per_parent_of(value: Any) -> tuple[str, tuple[int, int]] | None:
    """(foreign key, (low, high)) of a profile value such as "0-5 per author"."""
    m = _PER_PARENT.match(value) if isinstance(value, str) else None
    if m is None:
        return None
    low = int(m.group(1))
    return m.group(3), (low, int(m.group(2) or low))


def _read_profiles(seeds_dir: Path) -> dict[str, dict[str, Any]]:
    path = seeds_dir / PROFILES_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    for env, counts in data.items():
        if not isinstance(counts, dict) or not all(
            (isinstance(v, int) and not isinstance(v, bool) and v > 0) or per_parent_of(v) for v in counts.values()
        ):
            raise ConfigError(
                f"{path}: [{env}] must map model names to positive row counts or to children per "
                'parent, as in Post = "0-5 per author"'
            )
    return data


def load_profiles(seeds_dir: Path) -> dict[str, dict[str, int]]:
    """Each environment's models and counts; a model given per parent counts 1 here (its
    count follows from its parent's rows, see `profile_per_parent`)."""
    return {
        env: {str(k): v if isinstance(v, int) else 1 for k, v in counts.items()}
        for env, counts in _read_profiles(seeds_dir).items()
    }


def profile_per_parent(seeds_dir: Path, env: str) -> dict[str, tuple[str, tuple[int, int]]]:
    """The models an environment's profile gives per parent, with their rule."""
    counts = _read_profiles(seeds_dir).get(env, {})
    return {str(k): rule for k, v in counts.items() if (rule := per_parent_of(v)) is not None}
