"""Everything the commands print: each core report as text or as JSON, and the progress bar.

Reports are only read here; the core types are imported for type checking alone, so that
`--help` loads none of the core.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import click

from toolkit.cli.migration_output import echo_json, names, where_of

if TYPE_CHECKING:
    from toolkit.commands.bootstrap import BootstrapReport
    from toolkit.seed.run import Progress, SeedReport
    from toolkit.settings import Settings



# --- seeding --------------------------------------------------------------------------


class ProgressLine:
    """rows, rows/s and ETA on one terminal line; nothing when stderr is not a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.perf_counter()
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.1 and p.done < p.total:
            return
        self.last = now
        rate = p.done / max(now - self.started, 1e-9)
        eta = (p.total - p.done) / rate if rate > 0 else 0.0
        width = 30
        filled = int(width * p.done / max(p.total, 1))
        bar = "#" * filled + "-" * (width - filled)
        click.echo(
            f"\r{p.table} [{bar}] {p.done:,}/{p.total:,} rows  {rate:,.0f} rows/s  ETA {eta:4.1f}s",
            err=True,
            nl=False,
        )
        if p.done >= p.total:
            click.echo("", err=True)
            self.started = time.perf_counter()


def print_seed_json(settings: Settings, report: SeedReport) -> None:
    echo_json(_seed_json(settings, report))


def _seed_json(settings: Settings, report: SeedReport) -> dict[str, Any]:
    return {
        "env": settings.env,
        "database_url": settings.masked_url,
        "seed": report.seed,
        "locale": report.locale,
        "shard": f"{report.shard[0]}/{report.shard[1]}",
        "rows": report.rows,
        "seconds": round(report.seconds, 3),
        "rows_per_second": round(report.rows_per_second, 1),
        "nothing_to_resume": report.nothing_to_resume,
        "dry_run": report.dry_run,
        "skipped": report.skipped,
        "plan": [
            {
                "model": p.model,
                "table": p.table,
                "rows": p.rows,
                "auto": p.auto,
                "link": p.link,
                "reasons": list(p.reasons),
                "deferred": list(p.deferred),
            }
            for p in report.plan
        ],
        "tables": [
            {
                "model": t.model,
                "table": t.table,
                "rows": t.rows,
                "run_id": t.run_id,
                "first_index": t.first_index,
                "resumed": t.resumed,
            }
            for t in report.tables
        ],
        **({"samples": report.samples} if report.dry_run else {}),
        **({"fixtures": _fixtures_json(report)} if report.fixture_files else {}),
    }


def _fixtures_json(report: SeedReport) -> dict[str, Any]:
    models = [
        {"model": m.model, "inserted": m.inserted, "updated": m.updated, "unchanged": m.unchanged}
        for m in report.fixtures
    ]
    return {"files": report.fixture_files, "models": models}


def _print_fixtures(report: SeedReport) -> None:
    if not report.fixture_files:
        return
    if not report.fixtures:
        click.echo(f"Fixtures, loaded first by a real run: {', '.join(report.fixture_files)}")
        return
    counts = "; ".join(f"{m.model}: {m.inserted} inserted, {m.updated} updated, {m.unchanged} unchanged" for m in report.fixtures)
    click.echo(f"Loaded fixtures from {len(report.fixture_files)} file(s): {counts}")


def print_seed(report: SeedReport) -> None:
    if report.nothing_to_resume:
        click.echo("Nothing to resume: every seed run on this database is complete.")
        return
    _print_fixtures(report)
    if report.dry_run:
        _print_seed_dry_run(report)
        return
    for p in report.auto_seeded:
        click.echo(f"Seeding {p.model} first: {'; '.join(p.reasons)} ({p.rows} rows)")
    for p in report.capped:
        click.echo(f"Fewer {p.model} rows than asked: {'; '.join(p.reasons)}")
    for model in report.skipped:
        click.echo(f"No {model} rows added: every pair of rows it links already exists")
    tables = ", ".join(f"{t.rows} into {t.table}" for t in report.tables) or "0"
    click.echo(
        f"Seeded {report.rows} rows ({tables}) in {report.seconds:.2f}s, "
        f"{report.rows_per_second:,.0f} rows/s (seed {report.seed})"
    )


def _print_seed_dry_run(report: SeedReport) -> None:
    click.echo(f"Dry run (seed {report.seed}): nothing was written. The plan, in load order:")
    for line in _plan_lines(report):
        click.echo(f"  {line}")
    for model, rows in report.samples.items():
        click.echo(f"Sample rows of {model}:")
        for row in rows:
            click.echo("  " + json.dumps(row, ensure_ascii=False, default=str))


def _plan_lines(report: SeedReport) -> list[str]:
    lines = []
    for i, p in enumerate(report.plan, 1):
        notes = list(p.reasons) + ([f"{', '.join(p.deferred)} filled after loading"] if p.deferred else [])
        tag = " [auto]" if p.auto and not p.link else ""
        tail = f" ({'; '.join(notes)})" if notes else ""
        lines.append(f"{i}. {p.model} -> {p.table}: {p.rows} {'links' if p.link else 'rows'}{tag}{tail}")
    return lines


def print_bootstrap_json(settings: Settings, report: BootstrapReport) -> None:
    echo_json(
        {
            "env": settings.env,
            "database_url": settings.masked_url,
            "dropped": list(report.dropped),
            "applied": names(report.migrated.applied),
            "seeded": _seed_json(settings, report.seeded) if report.seeded is not None else None,
            "skipped": report.skipped,
        }
    )


def print_bootstrap(settings: Settings, report: BootstrapReport) -> None:
    if report.dropped:
        click.echo(f"Dropped {len(report.dropped)} table(s): {', '.join(report.dropped)}")
    for name in report.migrated.applied:
        click.echo(f"Applied {name}")
    if report.migrated.applied:
        click.echo(f"Migrated {where_of(settings)}: {len(report.migrated.applied)} migration(s) applied.")
    else:
        click.echo(f"Nothing to migrate: {where_of(settings)} is up to date.")
    if report.seeded is not None:
        print_seed(report.seeded)
    else:
        click.echo(f"Not seeding: {report.skipped}.")
