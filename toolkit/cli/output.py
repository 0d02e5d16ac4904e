"""Everything the commands print: each core report as text or as JSON, and the progress bar.

Reports are only read here; the core types are imported for type checking alone, so that
`--help` loads none of the core.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from toolkit.cli.migration_output import echo_json, names, where_of

if TYPE_CHECKING:
    from toolkit.commands.bootstrap import BootstrapReport
    from toolkit.seed.report import Progress
    from toolkit.seed.run import SeedReport
    from toolkit.settings import Settings


# --- seeding --------------------------------------------------------------------------


HEARTBEAT_SECONDS = 5.0


def heartbeat_seconds() -> float:
    """Seconds between heartbeat lines: TOOLKIT_HEARTBEAT_SECONDS (tests shorten it), else 5."""
    try:
        value = float(os.environ.get("TOOLKIT_HEARTBEAT_SECONDS", ""))
    except ValueError:
        return HEARTBEAT_SECONDS
    return value if value >= 0 else HEARTBEAT_SECONDS


def _duration(seconds: float) -> str:
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class _Load:
    """One table's load, as its reports come in."""

    def __init__(self, p: Progress, since: float, now: float) -> None:
        self.name, self.total, self.done, self.at = p.table, p.total, p.done, now
        # Timed from when the table's turn began, not from its first report: batches are
        # written `--concurrency` at a time, so reports come in bursts, the first after a
        # whole burst. (Rows a resumed run had loaded before count as loaded in that time.)
        self.since = since
        self.beat = since
        # Off a terminal, a table loaded before its first heartbeat says nothing: a log
        # gets a table's last line only after lines about its progress.
        self.beats = 0
        self.task: Any = None

    def update(self, p: Progress, now: float) -> None:
        self.done, self.total, self.at = p.done, p.total, now

    def rate(self) -> float:
        return self.done / max(self.at - self.since, 1e-9)

    def eta(self) -> str:
        rate = self.rate()
        return _duration((self.total - self.done) / rate) if rate > 0 else "?"

    def stats(self) -> str:
        return f"{self.done:,}/{self.total:,} rows {self.rate():,.0f} rows/s ETA {self.eta()}"

    def heartbeat(self) -> str:
        percent = 100 * self.done // max(self.total, 1)
        return (
            f"{self.name}: {self.done:,} / {self.total:,} rows ({percent}%), "
            f"{self.rate():,.0f} rows/s, ETA {self.eta()}"
        )

    def final(self) -> str:
        seconds = self.at - self.since
        return f"{self.name}: {self.done:,} rows in {seconds:.1f}s, {self.rate():,.0f} rows/s"

    def stopped(self) -> str:
        percent = 100 * self.done // max(self.total, 1)
        return f"{self.name}: stopped at {self.done:,} / {self.total:,} rows ({percent}%)"


def _stderr_is_terminal() -> bool:
    # A dumb terminal (Emacs' shell) can't move the cursor back over a bar: it gets lines.
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


class SeedProgress:
    """The seeding progress on stderr: a bar sized to the terminal (rich), drawn in place;
    elsewhere (a pipe, a CI log) a heartbeat line every few seconds; a last line per table.

    Use it as a context manager around the run: the bar is gone before an error or
    "Interrupted:" is printed, and a table cut short says where it stopped.
    """

    def __init__(self, enabled: bool, *, terminal: bool | None = None, interval: float | None = None) -> None:
        terminal = _stderr_is_terminal() if terminal is None else terminal
        self.mode = "off" if not enabled else "bar" if terminal else "heartbeat"
        self.interval = heartbeat_seconds() if interval is None else interval
        self.turn = time.monotonic()
        self.load: _Load | None = None
        self.bar: Any = None  # started on the first report, after any prompt or migration output

    def __enter__(self) -> SeedProgress:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __call__(self, p: Progress) -> None:
        if self.mode == "off":
            return
        try:
            self._report(p)
        except Exception as exc:  # a display that fails must not fail the seed run
            self.mode = "off"
            with contextlib.suppress(Exception):
                self._stop_bar()
            click.echo(f"(no more progress: {type(exc).__name__}: {exc})", err=True)

    def _report(self, p: Progress) -> None:
        now = time.monotonic()
        load = self.load
        if load is not None and load.name != p.table:
            self._end(load.final() if self.mode == "bar" or load.beats else None)
            load = None
        if load is None:
            load = self.load = _Load(p, self.turn, now)
        else:
            load.update(p, now)
        if self.mode == "bar":
            self._draw(load, final=p.done >= p.total)
        if p.done >= p.total:
            self._end(load.final() if self.mode == "bar" or load.beats else None)
            self.turn = now
        elif self.mode == "heartbeat" and now - load.beat >= self.interval:
            load.beat, load.beats = now, load.beats + 1
            click.echo(load.heartbeat(), err=True)

    def close(self) -> None:
        if self.load is not None and self.mode != "off":
            self._end(self.load.stopped())
        self._stop_bar()

    def _stop_bar(self) -> None:
        bar, self.bar = self.bar, None
        if bar is not None:
            bar.stop()

    def _end(self, line: str | None) -> None:
        load, self.load = self.load, None
        if self.bar is None:
            if line is not None:
                click.echo(line, err=True)
            return
        if load is not None and load.task is not None:
            self.bar.remove_task(load.task)
            self.bar.refresh()
        if line is None:
            return
        # Through the bar's console: the line goes above the bar, never through it.
        self.bar.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def _draw(self, load: _Load, *, final: bool) -> None:
        if self.bar is None:
            self.bar = _rich_bar()
            self.bar.start()
        if load.task is None:
            load.task = self.bar.add_task(load.name, total=load.total, completed=load.done, stats=load.stats())
        # The full bar is drawn once before it goes: a table loaded in one burst shows too.
        self.bar.update(
            load.task, total=load.total, completed=load.done, stats=load.stats(), refresh=final
        )


def _rich_bar() -> Any:
    # Imported here: rich costs `--help` and every command that draws no bar.
    from rich.console import Console
    from rich.progress import BarColumn, TextColumn
    from rich.progress import Progress as Bar
    from rich.table import Column

    console = Console(stderr=True, highlight=False)

    class _Bar(Bar):
        def make_tasks_table(self, tasks: Any) -> Any:
            table = super().make_tasks_table(tasks)
            # Two columns short of the terminal, read at every refresh (the bar follows a
            # resize): a full line leaves the cursor past the edge, where the terminal's
            # own `^C` would wrap to a new line and the bar could no longer be erased.
            table.width = max(console.width - 2, 1)
            return table

    # The texts never wrap: the bar stays one line however narrow the terminal.
    return _Bar(
        TextColumn("{task.description}", table_column=Column(no_wrap=True, overflow="ellipsis")),
        BarColumn(bar_width=None),
        TextColumn("{task.fields[stats]}", table_column=Column(no_wrap=True, overflow="ellipsis")),
        console=console,
        transient=True,
        expand=True,
        refresh_per_second=8,
    )


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
        "other_app_models": report.other_app_models,
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
    for app, models in report.other_app_models.items():
        many = "s" if len(models) != 1 else ""
        click.echo(f'Not seeding {len(models)} model{many} of app "{app}" '
                   f'(toolkit seeds app "{report.app}"): {", ".join(models)}')
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
