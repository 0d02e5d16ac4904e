"""The seed run: check, plan, allocate in the ledger, then load table by table and fill.

Tables are loaded in the plan's order (parents first, see `plan.py`); a table's foreign
keys are chosen from its parents' keys as they are once the parents are loaded. How one
table's batches are loaded is `loader.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import secrets
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from toolkit.backends import backend_for
from toolkit.backends.base import Backend, Connection
from toolkit.errors import Interrupted, ToolkitError
from toolkit.lock import seed_lock
from toolkit.seed import anchor, bulk, ledger, per_parent, relations
from toolkit.seed.allocation import Job, allocate, resumable, unfilled
from toolkit.seed.column_plans import plan_table
from toolkit.seed.db_errors import explain_db_error, quiet_fallout, resume_command
from toolkit.seed.deferred import fill_runs
from toolkit.seed.definitions import (
    SeedDefinition,
    load_definitions,
    profile_per_parent,
    refuse_misspelt,
)
from toolkit.seed.dryrun import dry_run
from toolkit.seed.facts import as_in_database, read_facts
from toolkit.seed.ledger import owned_ranges
from toolkit.seed.loader import ProgressCounter, Stop, Todo, batches, load_run, subtract
from toolkit.seed.plan import make_plan
from toolkit.seed.pools import Pools
from toolkit.seed.preflight import (
    refuse_excess_concurrency,
    refuse_hidden_truncation,
    refuse_other_app_models,
    refuse_shards,
    require_database,
    require_tables,
)
from toolkit.seed.report import PlanReport, Progress, SeedReport, TableReport
from toolkit.seed.request import SeedRequest, counts_to_seed, validate
from toolkit.seed.rows import RowMaker
from toolkit.seed.table import Table, all_tables
from toolkit.settings import Settings

# Callers outside the package import these from here, though they live in the modules
# above (`_explain_db_error`: the tests).
_explain_db_error = explain_db_error
__all__ = [
    "PlanReport", "Progress", "SeedReport", "SeedRequest", "TableReport", "all_tables",
    "batches", "owned_ranges", "resume_command", "seed", "subtract", "validate",
]


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
    await _guard(settings, request, confirm)
    backend = backend_for(settings.database_url)
    await require_database(settings, backend)
    tables, definitions = await _describe(settings)
    from toolkit.db import other_app_models

    other = other_app_models(settings)
    refuse_other_app_models(request.counts, other, settings)
    models = [m for m, t in tables.items() if t.link_of is None]
    requested, source = counts_to_seed(settings, request, models, list(definitions))
    if source == f"profile {settings.env}":
        definitions = _with_profile_rules(settings, definitions)
    seed_value = request.seed if request.seed is not None else secrets.randbelow(2**31)
    started = time.perf_counter()
    report = SeedReport(
        seed=seed_value, rows=0, seconds=0.0, shard=request.shard, locale=request.locale,
        dry_run=request.dry_run, source=source, other_app_models=other, app=settings.app,
    )
    # A dry run writes nothing: it doesn't wait for a migration.
    async with contextlib.nullcontext() if request.dry_run else seed_lock(backend, request.lock_timeout):
        return await _seeded(settings, request, backend, (tables, definitions, requested), report, progress, started)


def _with_profile_rules(settings: Settings, definitions: dict[str, SeedDefinition]) -> dict[str, SeedDefinition]:
    """The definitions, with the profile's "0-5 per author" where seeds/ gives no per_parent."""
    out = dict(definitions)
    for model, (column, span) in profile_per_parent(settings.seeds_dir, settings.env).items():
        given = out.get(model) or SeedDefinition(model=model)
        if not given.per_parent:
            out[model] = dataclasses.replace(given, per_parent={column: span})
    return out


async def _seeded(
    settings: Settings,
    request: SeedRequest,
    backend: Backend,
    described: tuple[dict[str, Table], dict[str, SeedDefinition], Mapping[str, int]],
    report: SeedReport,
    progress: Callable[[Progress], None],
    started: float,
) -> SeedReport:
    """The run itself, under the seed lock: fixtures, then the jobs loaded and filled."""
    tables, definitions, requested = described
    seed_value = report.seed  # the run's seed, until a resumed run's own replaces it
    await _load_fixtures(settings, request, report)
    stop = Stop()
    loop = asyncio.get_running_loop()
    conn = await backend.connect(request.concurrency)
    quieted = quiet_fallout(loop, backend)
    try:
        await require_tables(conn, tables, settings)
        tables = await as_in_database(conn, backend, tables)
        work = await _jobs(conn, backend, tables, definitions, requested, request, seed_value, report)
        if work is None:  # a dry run: nothing to load
            report.seconds = time.perf_counter() - started
            return report
        jobs, to_fill = work
        if jobs:
            report.seed = jobs[0][1].seed  # a resumed run keeps its own seed
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, stop)
        loading = _Loading(
            conn, backend, tables, definitions, request, stop, progress,
            resume_command(settings, request.shard),
        )
        await loading.load(jobs, to_fill, report)
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


async def _load_fixtures(settings: Settings, request: SeedRequest, report: SeedReport) -> None:
    """Reference data first, so fake rows can point at it. Idempotent (an upsert by natural
    key), so a resumed run loads it again harmlessly; only the first shard loads it, as
    shards racing to insert the same rows would collide."""
    from toolkit.seed.fixtures import fixture_files, load_fixtures

    files = fixture_files(settings)
    report.fixture_files = [str(f.relative_to(settings.project_root)) for f in files]
    if not files or request.dry_run or request.shard[0] != 1:
        return
    # In a task of its own: Tortoise keeps its state in a context variable.
    loaded = await asyncio.create_task(load_fixtures(settings))
    report.fixtures = list(loaded.models)


async def _guard(
    settings: Settings, request: SeedRequest, confirm: Callable[[str], bool] | None
) -> None:
    """Where protection applies, refuse unless forced or confirmed; a dry run writes nothing."""
    if request.dry_run:
        return
    from toolkit.protect import guard

    action = "seed --truncate" if request.truncate else "seed"
    await guard(settings, action, force=request.force, confirm=confirm)


async def _describe(settings: Settings) -> tuple[dict[str, Table], dict[str, SeedDefinition]]:
    """The project's tables, and its seeds/ definitions."""
    from toolkit.db import app_models, orm

    async with orm(settings, url="sqlite://:memory:"):
        tables = all_tables(app_models(settings))
    definitions = load_definitions(settings.seeds_dir)
    refuse_misspelt(definitions, [m for m, t in tables.items() if t.link_of is None])
    return tables, definitions


async def _jobs(
    conn: Connection,
    backend: Backend,
    tables: Mapping[str, Table],
    definitions: Mapping[str, SeedDefinition],
    requested: Mapping[str, int],
    request: SeedRequest,
    seed_value: int,
    report: SeedReport,
) -> tuple[list[Job], list[tuple[str, ledger.Run]]] | None:
    """The runs to load and the loaded runs to fill; None after a dry run."""
    if request.resume:
        await refuse_excess_concurrency(conn, backend, request.concurrency)
        jobs = await resumable(conn, tables, request)
        to_fill = await unfilled(conn, tables, request)
        report.nothing_to_resume = not jobs and not to_fill
        return jobs, to_fill
    emptied: set[str] = set()
    if request.truncate:
        emptied = {tables[m].name for m in requested} | {
            t.name for t in tables.values()
            if t.link_of and t.link_of.split(".", 1)[0] in requested
        }
    if emptied:
        await refuse_hidden_truncation(conn, backend, tables, emptied)
    rules = {m: r for m, d in definitions.items() if (r := per_parent.parse(m, d.per_parent)) is not None}
    facts = await read_facts(conn, backend, tables, emptied)
    plan = make_plan(tables, requested, facts, rules, seed_value)
    report.record_plan(plan, list(requested))
    if request.shard[1] > 1:
        refuse_shards(plan)
    if request.dry_run:
        await dry_run(conn, backend, plan, definitions, request, seed_value, report)
        return None
    await ledger.ensure(conn)
    return await allocate(conn, backend, plan, request, seed_value, emptied, definitions), []


@dataclass(frozen=True)
class _Loading:
    """What every table of one run is loaded with."""

    conn: Connection
    backend: Backend
    tables: Mapping[str, Table]
    definitions: Mapping[str, SeedDefinition]
    request: SeedRequest
    stop: Stop
    progress: Callable[[Progress], None]
    resume: str  # the command that finishes the run, for error messages

    async def load(
        self, jobs: Sequence[Job], to_fill: Sequence[tuple[str, ledger.Run]], report: SeedReport
    ) -> None:
        """Load the jobs in order, then fill their deferred columns (unless stopped)."""
        keys = relations.KeySource(self.conn, self.backend)
        for model, run, resumed in jobs:
            table = self.tables[model]
            before = [t.model for t in report.tables]
            loaded = await self._load_table(keys, table, self.definitions.get(model), run, before)
            report.rows += loaded
            report.tables.append(
                TableReport(model, table.name, loaded, run.run_id, run.start, resumed=resumed)
            )
            if self.stop.requested:
                return
        # Loaded runs, and (on --resume) runs loaded earlier whose fill was cut short.
        runs = [(m, r) for m, r, _ in jobs] + list(to_fill)
        await fill_runs(self.conn, self.backend, keys, self.tables, self.definitions, runs, self.request)

    async def _load_table(
        self,
        keys: relations.KeySource,
        table: Table,
        definition: SeedDefinition | None,
        run: ledger.Run,
        before: Sequence[str] = (),
    ) -> int:
        conn, backend, request = self.conn, self.backend, self.request
        shard, shards = request.shard
        pools = Pools(run.settings.get("locale", request.locale))
        done = await ledger.completed(conn, run)
        todo = Todo(lambda: subtract(owned_ranges(run.start, run.stop, shard, shards), done))
        plans = await plan_table(
            table, definition, pools, keys, run, todo, run.settings.get("deferred", ())
        )
        maker = RowMaker(
            table, plans, pools, run.seed, anchor.of_run(run.settings), run.settings.get("mix")
        )
        total = run.count if shards == 1 else sum(
            hi - lo for lo, hi in owned_ranges(run.start, run.stop, shard, shards)
        )
        already = sum(c for _, c in done) if shards == 1 else 0
        on_batch = ProgressCounter(self.progress, table.name, already, total)
        try:
            if bulk.wanted(request, todo.rows()):
                loaded = await bulk.load_empty(conn, backend, maker, run, todo, self.stop, on_batch)
                if loaded is not None:
                    return loaded
            return await load_run(
                conn, maker, run, iter(todo), request.concurrency, self.stop, on_batch,
                request.batch_size or int(run.settings.get("batch_size") or backend.default_batch_size),
            )
        except ToolkitError:
            raise
        except Exception as exc:
            raise explain_db_error(exc, backend, table, self.resume, before) from None
        finally:
            pk = table.primary_key
            if pk is not None and pk.db_generated:
                with contextlib.suppress(Exception):
                    for sql in backend.sync_sequence_sql(table.name, pk.name, run.id_offset + run.stop):
                        await conn.execute(sql)
