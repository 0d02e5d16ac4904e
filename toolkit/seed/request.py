"""What a seed run is asked to do, its refusal when impossible, and the counts it comes to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from toolkit.errors import ConfigError, UsageError
from toolkit.seed.definitions import load_profiles
from toolkit.seed.pools import Pools
from toolkit.settings import Settings

DEFAULT_CONCURRENCY = 4
MAX_SEED = 2**63 - 1
SAMPLE_ROWS = 3


INDEX_MODES = ("auto", "after", "live")


@dataclass(frozen=True)
class SeedRequest:
    """What to seed and how.

    `counts` maps model names to rows (`--model NAME=COUNT`); a `None` count means
    `count`. With neither `counts` nor `all_models`, `count` goes to the models that have
    a definition in seeds/ (else the profile's), and with no `count` either, the current
    environment's profile is seeded.
    """

    counts: Mapping[str, int | None] = field(default_factory=dict)
    count: int | None = None
    all_models: bool = False
    batch_size: int | None = None  # None: the backend's default
    concurrency: int = DEFAULT_CONCURRENCY
    seed: int | None = None
    truncate: bool = False
    shard: tuple[int, int] = (1, 1)
    locale: str = "en_US"
    resume: bool = False
    run_id: str | None = None
    dry_run: bool = False
    force: bool = False  # run even where protection applies (see toolkit.protect)
    samples: int = SAMPLE_ROWS
    # "after": an empty table is loaded without its indexes, built after the rows (one
    # transaction); "live": batches into the indexed table; "auto": "after" for large runs.
    indexes: str = "auto"
    now: dt.datetime | None = None  # the anchor of times (--now); None: the run's day
    lock_timeout: float | None = None  # waiting for a migration; None: TOOLKIT_LOCK_TIMEOUT or 30 s


def validate(request: SeedRequest) -> None:
    """Refuse impossible requests before touching the database."""
    if request.count is not None and request.count <= 0:
        raise UsageError(f"--count must be a positive integer, got {request.count}")
    for model, count in request.counts.items():
        if count is not None and count <= 0:
            raise UsageError(f"--model {model}={count}: COUNT must be a positive integer")
    if request.batch_size is not None and request.batch_size <= 0:
        raise UsageError(f"--batch-size must be a positive integer, got {request.batch_size}")
    if request.concurrency <= 0:
        raise UsageError(f"--concurrency must be a positive integer, got {request.concurrency}")
    if request.indexes not in INDEX_MODES:
        raise UsageError(f"--indexes must be one of {', '.join(INDEX_MODES)}, got {request.indexes!r}")
    k, n = request.shard
    if not (1 <= k <= n):
        raise UsageError(f"--shard {k}/{n}: K must be between 1 and N, as in 1/3")
    if n > 1 and request.seed is None and not request.resume:
        raise UsageError(
            "--shard needs --seed S, the same in every shard, so that the shards join one run"
        )
    if request.truncate and n > 1:
        raise UsageError(
            "--truncate can't be combined with --shard: shards start at different times; "
            "empty the table first (toolkit seed --truncate ...), then start the shards"
        )
    if request.dry_run and request.resume:
        raise UsageError("--dry-run shows a new run; it can't be combined with --resume")
    if request.resume and (
        request.truncate or request.count is not None or any(request.counts.values())
    ):
        raise UsageError(
            "--resume finishes a run with the counts it began with; drop --count, --truncate "
            "and model counts (--model NAME alone picks what to resume)"
        )
    Pools.check_locale(request.locale)
    if request.seed is not None and not (0 <= request.seed <= MAX_SEED):
        raise UsageError(f"--seed must be between 0 and {MAX_SEED}, got {request.seed}")


def counts_to_seed(
    settings: Settings, request: SeedRequest, models: Sequence[str], defined: Sequence[str]
) -> tuple[dict[str, int], str]:
    """The models and row counts of a new run, and where they came from.

    A resumed run keeps the counts it began with: none are chosen here, only the names
    that pick what to resume are checked.
    """
    if request.resume:
        unknown = [m for m in request.counts if m not in models]
        if unknown:
            raise UsageError(f"unknown model {unknown[0]!r}; known models: {', '.join(models)}")
        return {}, "--resume"
    profile = load_profiles(settings.seeds_dir).get(settings.env)
    return requested_counts(request, models, defined, profile, settings.env)


def requested_counts(
    request: SeedRequest,
    models: Sequence[str],
    defined: Sequence[str],
    profile: Mapping[str, int] | None,
    env: str,
) -> tuple[dict[str, int], str]:
    """The models and row counts asked for, and where they came from."""
    known = ", ".join(models)
    for name in request.counts:
        if name not in models:
            raise UsageError(f"unknown model {name!r}; known models: {known}")
    if request.all_models:
        if request.count is None:
            raise UsageError("--all needs --count N: the rows to seed into every model")
        counts = {m: request.count for m in models}
        counts.update({m: n or request.count for m, n in request.counts.items()})
        return counts, "--all"
    if request.counts:
        counts = {}
        for name, n in request.counts.items():
            if n is None and request.count is None:
                raise UsageError(f"--model {name} has no count; give {name}=COUNT or --count N")
            counts[name] = n if n is not None else request.count  # type: ignore[assignment]
        return counts, "--model"
    if request.count is not None:
        chosen = [m for m in models if m in defined] or [m for m in models if m in (profile or {})]
        if not chosen:
            raise UsageError(
                "--count needs to know which models: add --model NAME or --all "
                "(no model has a definition in seeds/ or a profile entry)"
            )
        return {m: request.count for m in chosen}, "seeds/"
    if not profile:
        raise UsageError(
            f"nothing to seed: give --count N, --model NAME=COUNT or --all, or add a [{env}] "
            "profile to seeds/profiles.toml"
        )
    unknown = [m for m in profile if m not in models]
    if unknown:
        raise ConfigError(
            f"seeds/profiles.toml [{env}] names unknown model {unknown[0]!r}; known models: {known}"
        )
    return dict(profile), f"profile {env}"
