"""The seed run loop: plan, allocate in the ledger, generate and load batch by batch.

Generation runs in one worker thread, a batch ahead of the loads; at most `concurrency`
batches are being written at once. So memory holds at most concurrency + 2 batches,
whatever `--count` is.

Tables are loaded in the plan's order (parents first, see `plan.py`); a table's foreign
keys are chosen from its parents' keys as they are once the parents are loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import difflib
import secrets
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from toolkit.backends import backend_for
from toolkit.backends.base import Backend, Connection
from toolkit.errors import ConfigError, Interrupted, NotMigrated, ToolkitError, UsageError
from toolkit.seed import ledger, relations
from toolkit.seed.definitions import (
    SeedDefinition,
    load_definitions,
    load_profiles,
    to_generator,
)
from toolkit.seed.generate import (
    ColumnPlan,
    Ctx,
    RowMaker,
    default_plans,
    jsonable,
    unique_capacity,
)
from toolkit.seed.ledger import owned_ranges
from toolkit.seed.plan import INT_MAX, Facts, PlannedTable, make_plan, pair_columns
from toolkit.seed.pools import Pools
from toolkit.seed.table import Table, link_table
from toolkit.settings import Settings

DEFAULT_CONCURRENCY = 4
MAX_SEED = 2**63 - 1
SAMPLE_ROWS = 3


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


@dataclass(frozen=True)
class Progress:
    table: str
    done: int
    total: int


@dataclass
class TableReport:
    model: str
    table: str
    rows: int
    run_id: str
    first_index: int
    resumed: bool = False


@dataclass(frozen=True)
class PlanReport:
    """One table of the plan: what a dry run shows and a real run says before loading."""

    model: str
    table: str
    rows: int
    auto: bool
    link: bool
    reasons: tuple[str, ...] = ()
    deferred: tuple[str, ...] = ()


@dataclass
class SeedReport:
    seed: int
    rows: int
    seconds: float
    tables: list[TableReport] = field(default_factory=list)
    shard: tuple[int, int] = (1, 1)
    locale: str = "en_US"
    nothing_to_resume: bool = False
    plan: list[PlanReport] = field(default_factory=list)
    dry_run: bool = False
    # A few rows per model, as they would be written (dry runs only), by model name.
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    source: str = ""  # where the counts came from: options, or the profile
    # Requested models that get no rows: a link table whose every pair already exists.
    skipped: list[str] = field(default_factory=list)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    @property
    def auto_seeded(self) -> list[PlanReport]:
        return [p for p in self.plan if p.auto and not p.link]

    @property
    def capped(self) -> list[PlanReport]:
        """Requested tables that get fewer rows than asked (a link table runs out of pairs)."""
        return [p for p in self.plan if not p.auto and any(r.startswith("capped") for r in p.reasons)]


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


# --- row ranges ---------------------------------------------------------------------


def subtract(
    ranges: Iterator[tuple[int, int]], done: Sequence[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """`ranges` minus the committed (first, count) ranges in `done`, both sorted."""
    done_iv = sorted((a, a + c) for a, c in done)
    j = 0
    for lo, hi in ranges:
        while j < len(done_iv) and done_iv[j][1] <= lo:
            j += 1
        k = j
        cur = lo
        while k < len(done_iv) and done_iv[k][0] < hi:
            a, b = done_iv[k]
            if a > cur:
                yield cur, a
            cur = max(cur, b)
            k += 1
        if cur < hi:
            yield cur, hi


def batches(ranges: Iterator[tuple[int, int]], size: int) -> Iterator[list[tuple[int, int]]]:
    """Group ranges into batches of `size` rows; a batch is a list of (first, count)."""
    batch: list[tuple[int, int]] = []
    filled = 0
    for lo, hi in ranges:
        while lo < hi:
            take = min(hi - lo, size - filled)
            batch.append((lo, take))
            filled += take
            lo += take
            if filled == size:
                yield batch
                batch, filled = [], 0
    if batch:
        yield batch


# --- planning -----------------------------------------------------------------------


def _serial_ids(offset: int) -> Callable[[Ctx], list[Any]]:
    def gen(ctx: Ctx) -> list[Any]:
        return (ctx.index + (offset + 1)).tolist()  # type: ignore[no-any-return]

    return gen


def all_tables(models: Sequence[Any]) -> dict[str, Table]:
    """Every table to consider, by name: the models, then the link tables no model holds."""
    from toolkit.seed.table import from_tortoise

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


def _has_keyed_columns(p: PlannedTable) -> bool:
    """Columns handed out once (one-to-one, pairs) or filled later: shards can't agree on them."""
    return bool(p.deferred) or pair_columns(p.table) is not None or any(
        c.one_to_one or c.unique for c in p.table.foreign_keys
    )


async def _facts(conn: Connection, backend: Backend, tables: Mapping[str, Table], emptied: set[str]) -> Facts:
    q = backend.quote
    rows: dict[str, int] = {}
    for t in tables.values():
        if t.name in emptied:
            rows[t.name] = 0
            continue
        found = await conn.fetch(f"SELECT COUNT(*) FROM {q(t.name)}")
        rows[t.name] = int(found[0][0])
    by_name = {t.name: t for t in tables.values()}
    free: dict[tuple[str, str], int] = {}
    for t in tables.values():
        for col in t.foreign_keys:
            if not (col.one_to_one or col.unique):
                continue
            assert col.references is not None
            parent, key = col.references
            if parent not in by_name:
                continue
            if parent in emptied:
                free[(t.name, col.name)] = 0
            elif t.name in emptied:
                free[(t.name, col.name)] = rows[parent]
            else:
                found = await conn.fetch(
                    f"SELECT COUNT(*) FROM {q(parent)} p WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {q(t.name)} c WHERE c.{q(col.name)} = p.{q(key)})"
                )
                free[(t.name, col.name)] = int(found[0][0])
    return Facts(rows=rows, free=free)


def _overrides(table: Table, definition: SeedDefinition | None, pools: Pools) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if definition is None:
        return overrides
    known = {c.attr for c in table.columns} | {c.name for c in table.columns}
    for name, value in definition.fields.items():
        if name not in known:
            raise UsageError(
                f"seeds/ definition for {table.model} sets unknown field {name!r}; "
                f"fields: {', '.join(sorted(c.attr for c in table.columns))}"
            )
        overrides[name] = to_generator(value, lambda p: callable(getattr(pools.faker, p, None)))
    return overrides


async def plan_table(
    table: Table,
    definition: SeedDefinition | None,
    pools: Pools,
    keys: relations.KeySource,
    run: ledger.Run,
    todo: Sequence[tuple[int, int]],
    deferred: Sequence[str] = (),
) -> list[ColumnPlan]:
    """Column plans for `table`: serial keys, foreign keys, overrides, then inference.

    `todo` holds the index ranges this run still loads: unique parents and pairs are
    handed out to exactly those rows.
    """
    overrides = _overrides(table, definition, pools)
    plans: list[ColumnPlan] = []
    pk = table.primary_key
    if pk is not None and pk.db_generated and pk.kind in ("int", "bigint", "smallint"):
        # Explicit keys make rows identical whatever the concurrency or sharding.
        plans.append(ColumnPlan(pk, _serial_ids(run.id_offset), convert=False))
    rank = relations.Ranker(todo)
    pair = pair_columns(table)
    slots: relations.PairSlots | None = None
    if pair is not None and not any(c.attr in overrides or c.name in overrides for c in pair):
        (ta, ka), (tb, kb) = (c.references for c in pair)  # type: ignore[misc]
        slots = relations.PairSlots(
            await keys.keys(ta, ka), await keys.keys(tb, kb),
            await keys.pairs(table.name, pair[0].name, pair[1].name),
            rank, run.seed, table.name, distinct=(ta, ka) == (tb, kb),
        )
    for plan in default_plans(table, overrides):
        col = plan.column
        if col.references is None or col.attr in overrides or col.name in overrides:
            plans.append(plan)
            continue
        parent, parent_key = col.references
        if col.name in deferred:
            gen = relations.nulls if col.nullable else relations.self_at_first(pk)  # type: ignore[arg-type]
            plans.append(ColumnPlan(col, gen, convert=False))
        elif slots is not None and pair is not None and col.name in (pair[0].name, pair[1].name):
            gen = slots.first if col.name == pair[0].name else slots.second
            plans.append(ColumnPlan(col, gen))
        elif col.one_to_one or col.unique:
            free = await keys.free(parent, parent_key, table.name, col.name)
            if len(free) < rank.total:
                raise ToolkitError(
                    f"{table.model}.{col.attr} needs {rank.total} unused rows in {parent}, but "
                    f"only {len(free)} are free; seed more {parent} rows first"
                )
            plans.append(ColumnPlan(col, relations.one_each(free, rank, run.seed, table.name, col.name)))
        else:
            parents = await keys.keys(parent, parent_key)
            if len(parents) == 0:
                if not col.nullable:
                    raise NotMigrated(
                        f"{table.model}.{col.attr} needs rows in {parent}, which is "
                        f"empty; seed it first (toolkit seed --model ...)"
                    )
                plans.append(ColumnPlan(col, relations.nulls, convert=False))
            else:
                plans.append(ColumnPlan(col, relations.sampled(parents)))
    return plans


class _PredictedKeys(relations.KeySource):
    """Keys as they will be once the plan's earlier tables are loaded: for dry runs."""

    def __init__(self, conn: Connection, backend: Backend) -> None:
        super().__init__(conn, backend)
        # table -> column -> values the plan will load (a key may be any unique column: to_field)
        self.new: dict[str, dict[str, list[Any]]] = {}

    async def keys(self, table: str, column: str) -> np.ndarray:
        existing = await super().keys(table, column)
        return relations.key_array([*existing.tolist(), *self.new.get(table, {}).get(column, [])])

    async def free(self, parent: str, parent_key: str, child: str, column: str) -> np.ndarray:
        existing = await super().free(parent, parent_key, child, column)
        return relations.key_array([*existing.tolist(), *self.new.get(parent, {}).get(parent_key, [])])


# --- the run ------------------------------------------------------------------------


class _ProgressCounter:
    """Adds up committed rows of one table and reports them."""

    def __init__(self, report: Callable[[Progress], None], table: str, done: int, total: int) -> None:
        self.report, self.table, self.done, self.total = report, table, done, total

    def __call__(self, rows: int) -> None:
        self.done += rows
        self.report(Progress(self.table, self.done, self.total))


class _Stop:
    """Set by Ctrl-C: finish the batches in flight, start no new one."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> None:
        self.requested = True


async def _load_run(
    conn: Connection,
    maker: RowMaker,
    run: ledger.Run,
    ranges: Iterator[tuple[int, int]],
    request: SeedRequest,
    stop: _Stop,
    on_batch: Callable[[int], None],
    batch_size: int,
) -> int:
    loaded = 0
    in_flight: set[asyncio.Task[int]] = set()
    loop = asyncio.get_running_loop()

    def make(batch: list[tuple[int, int]]) -> tuple[list[tuple[Any, ...]], list[tuple[int, int]]]:
        rows: list[tuple[Any, ...]] = []
        for first, count in batch:
            rows += maker.rows(first, first + count)
        return rows, batch

    async def load(rows: list[tuple[Any, ...]], batch: list[tuple[int, int]]) -> int:
        await conn.load(maker.table.name, maker.columns, rows, ledger.batch_record(run, batch))
        return len(rows)

    def collect(done: set[asyncio.Task[int]]) -> None:
        nonlocal loaded
        failures = [e for e in (t.exception() for t in done) if e is not None]
        for task in done:
            if task.exception() is None:
                loaded += task.result()
                on_batch(task.result())
        if failures:
            raise failures[0]

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="toolkit-generate") as pool:
        batch_iter = batches(ranges, batch_size)
        first = next(batch_iter, None)
        ahead = loop.run_in_executor(pool, make, first) if first is not None else None
        try:
            while ahead is not None and not stop.requested:
                rows, batch = await ahead
                following = next(batch_iter, None)
                ahead = loop.run_in_executor(pool, make, following) if following else None
                while len(in_flight) >= request.concurrency:
                    done, in_flight = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    collect(done)
                in_flight.add(asyncio.create_task(load(rows, batch)))
        finally:
            if in_flight:
                done, _ = await asyncio.wait(in_flight)
                collect(done)
            if ahead is not None:
                with contextlib.suppress(BaseException):
                    await ahead
    return loaded


async def _require_current_schema(settings: Settings, backend: Backend) -> None:
    """Seeding a schema that is behind the models fails on some column; say why instead."""
    from toolkit.migrate import applied_migrations, migration_files

    if not settings.app_migrations_dir.is_dir():
        return  # a schema made some other way: the table checks below still apply
    done = set(await applied_migrations(settings, backend))
    pending = [f for f in migration_files(settings) if f not in done]
    if pending:
        raise NotMigrated(
            f"{len(pending)} migration(s) pending on {settings.masked_url} "
            f"({pending[0].removesuffix('.py')}"
            f"{', ...' if len(pending) > 1 else ''}); run `toolkit migrate` first"
        )


def resume_command(settings: Settings, shard: tuple[int, int] = (1, 1)) -> str:
    """The command that finishes this run, with the options that pointed at this database."""
    parts = ["toolkit"]
    if settings.config_source == "flag":
        parts += ["--config", str(settings.config_path)]
    parts += ["--env", settings.env]
    if settings.url_source == "flag":
        # The URL itself would show its password; masked, it wouldn't connect.
        parts += ["--database-url", "<the same URL>"]
    parts += ["seed", "--resume"]
    if shard[1] > 1:
        parts += ["--shard", f"{shard[0]}/{shard[1]}"]
    return " ".join(parts)


def _quiet_fallout(loop: asyncio.AbstractEventLoop, backend: Backend) -> Any:
    """Keep a lost connection's echoes off stderr: the error names the loss once, with the fix.

    The driver reports them through the loop's exception handler ("Future exception was never
    retrieved", ...). Returns the previous handler, for the caller to put back.
    """
    previous = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if backend.is_fallout(context):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    return previous


def _explain_db_error(
    exc: BaseException, backend: Backend, table: str, resume: str = "toolkit seed --resume"
) -> ToolkitError:
    # The first error in the chain is the server's reason; later ones are the fallout.
    chain = [exc]
    while chain[-1].__cause__ or chain[-1].__context__:
        nxt = chain[-1].__cause__ or chain[-1].__context__
        assert nxt is not None
        chain.append(nxt)
    # With concurrent batches the fallout of one cut connection can surface first.
    reason = next((e for e in reversed(chain) if backend.is_server_reason(e)), None)
    root = reason or chain[-1]
    text = (str(root) or type(root).__name__).splitlines()[0]
    if any(backend.is_connection_lost(e) for e in chain):
        if reason is None and not isinstance(root, OSError):
            text = "the connection was closed"  # the client library's own state, not a cause
        return ToolkitError(
            f"lost the connection to {backend.label} at {backend.where} while seeding {table} "
            f"({text}); committed batches are kept: run `{resume}` to finish"
        )
    return ToolkitError(f"seeding {table} failed: {text}; committed batches are kept")


async def seed(
    settings: Settings,
    request: SeedRequest,
    progress: Callable[[Progress], None] = lambda _: None,
    confirm: Callable[[str], bool] | None = None,
) -> SeedReport:
    """Seed the requested models. Returns what was loaded; raises `ToolkitError` on failure.

    Where protection applies, it refuses unless `request.force`, or `confirm` (asked a
    question) says yes.
    """
    validate(request)
    if not request.dry_run:
        from toolkit.protect import guard

        action = "seed --truncate" if request.truncate else "seed"
        await guard(settings, action, force=request.force, confirm=confirm)
    from toolkit.db import app_models, orm

    backend = backend_for(settings.database_url)
    if not await backend.ensure_reachable(timeout=5, create=False):
        raise NotMigrated(
            f"database {settings.masked_url} does not exist yet; run `toolkit migrate` first"
        )
    await _require_current_schema(settings, backend)
    async with orm(settings, url="sqlite://:memory:"):
        tables = all_tables(app_models(settings))
    definitions = load_definitions(settings.seeds_dir)
    models = [m for m, t in tables.items() if t.link_of is None]
    for stray in sorted(set(definitions) - set(models)):
        # A typo would quietly drop the overrides. A definition for a model this project
        # doesn't have at all (the bundled users seed, copied along) is left alone.
        close = difflib.get_close_matches(stray, models, n=1, cutoff=0.8)
        if close:
            raise ConfigError(
                f"seeds/ has a definition for unknown model {stray!r}; did you mean {close[0]!r}?"
            )
    requested: dict[str, int] = {}
    source = "--resume"
    if request.resume:
        unknown = [m for m in request.counts if m not in models]
        if unknown:
            raise UsageError(f"unknown model {unknown[0]!r}; known models: {', '.join(models)}")
    else:
        profile = load_profiles(settings.seeds_dir).get(settings.env)
        requested, source = requested_counts(request, models, list(definitions), profile, settings.env)

    seed_value = request.seed if request.seed is not None else secrets.randbelow(2**31)
    shard, shards = request.shard
    started = time.perf_counter()
    report = SeedReport(
        seed=seed_value, rows=0, seconds=0.0, shard=request.shard, locale=request.locale,
        dry_run=request.dry_run, source=source,
    )
    stop = _Stop()
    loop = asyncio.get_running_loop()
    conn = await backend.connect(request.concurrency)
    quieted = _quiet_fallout(loop, backend)
    try:
        for t in tables.values():
            if not await conn.table_exists(t.name):
                raise NotMigrated(
                    f"table {t.name!r} does not exist in {settings.masked_url}; "
                    "run `toolkit migrate` first"
                )
        tables = await _as_in_database(conn, backend, tables)
        to_fill: list[tuple[str, ledger.Run]] = []
        if request.resume:
            jobs = await _resumable(conn, tables, request)
            to_fill = await _unfilled(conn, tables, request)
            report.nothing_to_resume = not jobs and not to_fill
        else:
            emptied: set[str] = set()
            if request.truncate:
                emptied = {tables[m].name for m in requested} | {
                    t.name for t in tables.values()
                    if t.link_of and t.link_of.split(".", 1)[0] in requested
                }
            if emptied:
                await _refuse_hidden_truncation(conn, backend, tables, emptied)
            plan = make_plan(tables, requested, await _facts(conn, backend, tables, emptied))
            report.plan = [
                PlanReport(p.model, p.table.name, p.count, p.auto, p.table.link_of is not None,
                           p.reasons, p.deferred)
                for p in plan
            ]
            report.skipped = [m for m in requested if m not in {p.model for p in plan}]
            if shards > 1:
                _refuse_shards(plan)
            if request.dry_run:
                await _dry_run(conn, backend, plan, definitions, request, seed_value, report)
                report.seconds = time.perf_counter() - started
                return report
            await ledger.ensure(conn)
            jobs = await _allocate(conn, backend, plan, request, seed_value, emptied, definitions)
        if jobs:
            report.seed = jobs[0][1].seed  # a resumed run keeps its own seed
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, stop)
        keys = relations.KeySource(conn, backend)
        for model, run, resumed in jobs:
            table = tables[model]
            loaded = await _load_table(
                conn, backend, keys, table, definitions.get(model), run, request, stop, progress,
                resume_command(settings, request.shard),
            )
            report.rows += loaded
            report.tables.append(
                TableReport(model, table.name, loaded, run.run_id, run.start, resumed=resumed)
            )
            if stop.requested:
                break
        if not stop.requested:
            # Loaded runs, and (on --resume) runs loaded earlier whose fill was cut short.
            for model, run in [(m, r) for m, r, _ in jobs] + to_fill:
                if run.settings.get("deferred"):
                    await _fill_deferred(conn, backend, keys, tables[model], definitions.get(model), run, request)
                    await ledger.mark_filled(conn, run)
    finally:
        with contextlib.suppress(Exception):
            loop.remove_signal_handler(signal.SIGINT)
        try:
            await conn.close()
        finally:
            loop.set_exception_handler(quieted)
    report.seconds = time.perf_counter() - started
    if stop.requested:
        raise Interrupted(
            f"stopped after {report.rows} rows; committed batches are kept. "
            f"Finish with: {resume_command(settings, request.shard)}"
        )
    return report


def _refuse_shards(plan: Sequence[PlannedTable]) -> None:
    for p in plan:
        if p.auto and not p.table.link_of:
            raise UsageError(
                f"--shard can't seed {p.model} on the fly ({'; '.join(p.reasons)}); "
                f"seed {p.model} first, then start the shards"
            )
        if _has_keyed_columns(p):
            raise UsageError(
                f"--shard can't seed {p.model}: its one-to-one, link or self-referencing "
                "columns need one process to hand them out; seed it without --shard"
            )


async def _load_table(
    conn: Connection,
    backend: Backend,
    keys: relations.KeySource,
    table: Table,
    definition: SeedDefinition | None,
    run: ledger.Run,
    request: SeedRequest,
    stop: _Stop,
    progress: Callable[[Progress], None],
    resume: str,
) -> int:
    shard, shards = request.shard
    pools = Pools(run.settings.get("locale", request.locale))
    done = await ledger.completed(conn, run)
    todo = list(subtract(owned_ranges(run.start, run.stop, shard, shards), done))
    plans = await plan_table(
        table, definition, pools, keys, run, todo, run.settings.get("deferred", ())
    )
    maker = RowMaker(table, plans, pools, run.seed)
    total = run.count if shards == 1 else sum(
        hi - lo for lo, hi in owned_ranges(run.start, run.stop, shard, shards)
    )
    already = sum(c for _, c in done) if shards == 1 else 0
    on_batch = _ProgressCounter(progress, table.name, already, total)
    try:
        return await _load_run(
            conn, maker, run, iter(todo), request, stop, on_batch,
            request.batch_size or int(run.settings.get("batch_size") or backend.default_batch_size),
        )
    except ToolkitError:
        raise
    except Exception as exc:
        raise _explain_db_error(exc, backend, table.name, resume) from None
    finally:
        pk = table.primary_key
        if pk is not None and pk.db_generated:
            with contextlib.suppress(Exception):
                for sql in backend.sync_sequence_sql(table.name, pk.name, run.id_offset + run.stop):
                    await conn.execute(sql)


def _run_keys(
    table: Table, definition: SeedDefinition | None, run: ledger.Run, request: SeedRequest
) -> list[Any]:
    """The primary keys of the rows this run (this shard) loads, made again from the seed."""
    pk = table.primary_key
    assert pk is not None
    shard, shards = request.shard
    ranges = list(owned_ranges(run.start, run.stop, shard, shards))
    if pk.db_generated and pk.kind in ("int", "bigint", "smallint"):
        return [i + run.id_offset + 1 for lo, hi in ranges for i in range(lo, hi)]
    pools = Pools(run.settings.get("locale", request.locale))
    plan = next(p for p in default_plans(table, _overrides(table, definition, pools)) if p.column is pk)
    maker = RowMaker(table, [plan], pools, run.seed)
    return [row[0] for lo, hi in ranges for row in maker.rows(lo, hi)]


FILL_BATCH = 10_000


async def _fill_deferred(
    conn: Connection,
    backend: Backend,
    keys: relations.KeySource,
    table: Table,
    definition: SeedDefinition | None,
    run: ledger.Run,
    request: SeedRequest,
) -> None:
    """Set the references loaded as NULL (or as the row itself), now that parents exist."""
    deferred = run.settings.get("deferred") or ()
    pk = table.primary_key
    if not deferred or pk is None:
        return
    run_keys = _run_keys(table, definition, run, request)
    q = backend.quote
    for name in deferred:
        col = table.column(name)
        assert col.references is not None
        parents = await keys.keys(*col.references)
        pairs = relations.fill_values(
            run_keys, parents, col, col.references[0] == table.name, run.seed, table.name
        )
        sql = f"UPDATE {q(table.name)} SET {q(col.name)} = ? WHERE {q(pk.name)} = ?"
        for i in range(0, len(pairs), FILL_BATCH):
            await conn.execute_many(sql, pairs[i : i + FILL_BATCH])


async def _dry_run(
    conn: Connection,
    backend: Backend,
    plan: Sequence[PlannedTable],
    definitions: Mapping[str, SeedDefinition],
    request: SeedRequest,
    seed_value: int,
    report: SeedReport,
) -> None:
    """Sample rows of every planned table, made as the real run would make them. Writes nothing."""
    keys = _PredictedKeys(conn, backend)
    has_ledger = await conn.table_exists(ledger.RUNS)
    pools = Pools(request.locale)
    for p in plan:
        t = p.table
        start = await ledger.next_index(conn, t.name) if has_ledger else 0  # type: ignore[arg-type]
        max_id = await _max_id(conn, backend, t)
        run = ledger.Run(
            run_id="dry-run", table=t.name, seed=seed_value, start=start, count=p.count,
            shards=1, id_offset=max(0, max_id - start), settings={},
        )
        definition = definitions.get(p.model)
        _check_capacity(p, run, set(definition.fields) if definition else set())
        plans = await plan_table(
            t, definitions.get(p.model), pools, keys, run, [(start, start + p.count)], p.deferred
        )
        maker = RowMaker(t, plans, pools, seed_value)
        rows = maker.rows(start, start + min(request.samples, p.count))
        report.samples[p.model] = [
            {c: jsonable(v) for c, v in zip(maker.columns, r)} for r in rows
        ]
        # Children sample from these keys; a prefix is enough to show realistic rows.
        made = maker.rows(start, start + min(p.count, PREDICTED_KEYS))
        keys.new[t.name] = {
            c: [r[i] for r in made] for i, c in enumerate(maker.columns) if _is_key(t, c)
        }


PREDICTED_KEYS = 20_000


def _is_key(table: Table, column: str) -> bool:
    """Whether a foreign key can point at `column`: the primary key or a unique column."""
    return any(c.name == column and (c.primary_key or c.unique) for c in table.columns)


async def _max_id(conn: Connection, backend: Backend, table: Table) -> int:
    pk = table.primary_key
    if pk is None or not pk.db_generated:
        return 0
    rows = await conn.fetch(
        f"SELECT COALESCE(MAX({backend.quote(pk.name)}), 0) FROM {backend.quote(table.name)}"
    )
    return int(rows[0][0])


async def _resumable(
    conn: Connection, tables: Mapping[str, Table], request: SeedRequest
) -> list[tuple[str, ledger.Run, bool]]:
    """Unfinished runs of the chosen tables (all, by default), in the order they began."""
    by_table = {t.name: name for name, t in tables.items()}
    wanted = [tables[m].name for m in request.counts] or list(by_table)
    unfinished = [
        run for run, _ in await ledger.unfinished_runs(conn, wanted)
        if request.run_id is None or run.run_id == request.run_id
    ]
    other = sorted({run.shards for run in unfinished if run.shards != request.shard[1]})
    if other and not any(run.shards == request.shard[1] for run in unfinished):
        raise UsageError(
            f"the unfinished seed runs here are sharded ({', '.join(f'N={n}' for n in other)}); "
            f"finish each shard with `toolkit seed --resume --shard K/N`"
        )
    return [(by_table[run.table], run, True) for run in unfinished if run.shards == request.shard[1]]


async def _unfilled(
    conn: Connection, tables: Mapping[str, Table], request: SeedRequest
) -> list[tuple[str, ledger.Run]]:
    by_table = {t.name: name for name, t in tables.items()}
    wanted = [tables[m].name for m in request.counts] or list(by_table)
    return [(by_table[run.table], run) for run in await ledger.unfilled_runs(conn, wanted)]


async def _refuse_hidden_truncation(
    conn: Connection, backend: Backend, tables: Mapping[str, Table], emptied: set[str]
) -> None:
    """--truncate must not empty tables nobody asked for: rows that point at the emptied
    tables would go too (PostgreSQL's TRUNCATE ... CASCADE, SQLite's ON DELETE CASCADE)."""
    for model, t in tables.items():
        if t.name in emptied or not any(
            c.references is not None and c.references[0] in emptied and c.references[0] != t.name
            for c in t.columns
        ):
            continue
        if await conn.fetch(f"SELECT 1 FROM {backend.quote(t.name)} LIMIT 1"):
            raise UsageError(
                f"--truncate would also empty {t.name}, whose rows point at the tables being "
                f"emptied; add --model {model.split('.')[0]} (or --all), or empty it first"
            )


async def _as_in_database(
    conn: Connection, backend: Backend, tables: Mapping[str, Table]
) -> dict[str, Table]:
    """The tables with the database's own NOT NULLs: a migration that made a column
    nullable leaves SQLite's NOT NULL in place, and no NULL may be written there."""
    out = {}
    for model, t in tables.items():
        strict = await backend.not_null_columns(conn, t.name)
        columns = tuple(
            dataclasses.replace(c, nullable=False) if c.nullable and c.name in strict else c
            for c in t.columns
        )
        out[model] = dataclasses.replace(t, columns=columns) if columns != t.columns else t
    return out


def _check_capacity(p: PlannedTable, run: ledger.Run, overridden: set[str]) -> None:
    """Refuse a run that its columns can't hold: keys or unique integers past their type's
    range, or more rows than a narrow unique column has distinct values."""
    for col in p.table.columns:
        if col.attr in overridden or col.name in overridden:
            continue
        cap = unique_capacity(col, p.model)
        if cap is not None and run.stop > cap:
            raise UsageError(
                f"{p.model}.{col.attr} is unique and can hold {cap:,} distinct generated "
                f"values, but this run needs {run.stop:,}; seed fewer rows or override "
                f"{col.attr} in seeds/"
            )
        if col.kind not in INT_MAX or not (col.unique or col.primary_key):
            continue
        need = run.stop + (run.id_offset if col.db_generated else 0)
        if need > INT_MAX[col.kind]:
            raise UsageError(
                f"{p.model}.{col.attr} is a {col.kind} column: it holds values up to "
                f"{INT_MAX[col.kind]:,}, and this run would need {need:,}; seed fewer rows"
            )


async def _allocate(
    conn: Connection,
    backend: Backend,
    plan: Sequence[PlannedTable],
    request: SeedRequest,
    seed_value: int,
    emptied: set[str],
    definitions: Mapping[str, SeedDefinition],
) -> list[tuple[str, ledger.Run, bool]]:
    """New (or joined) ledger runs for the plan, emptying tables first with --truncate."""
    shard, shards = request.shard
    jobs = []
    async with conn.serialized() as tx:
        for p in reversed(plan):  # children first, so no row outlives its parent
            if p.table.name in emptied:
                await backend.empty_table(tx, p.table.name)
                await ledger.forget_table(tx, p.table.name)
        for p in plan:
            run, joined = await ledger.start_run(
                tx,
                table=p.table.name,
                seed=seed_value,
                count=p.count,
                shard=shard,
                shards=shards,
                settings={
                    "locale": request.locale,
                    "batch_size": request.batch_size or backend.default_batch_size,
                    "model": p.model,
                    "deferred": list(p.deferred),
                },
                run_id=request.run_id,
                max_id=await _max_id(tx, backend, p.table),  # type: ignore[arg-type]
            )
            definition = definitions.get(p.model)
            _check_capacity(p, run, set(definition.fields) if definition else set())
            pk = p.table.primary_key
            if pk is not None and pk.db_generated:
                # Reserve the run's explicit keys now: rows the application inserts while
                # the seed runs then get keys past them.
                for sql in backend.sync_sequence_sql(p.table.name, pk.name, run.id_offset + run.stop):
                    await tx.execute(sql)
            jobs.append((p.model, run, joined))
    return jobs
