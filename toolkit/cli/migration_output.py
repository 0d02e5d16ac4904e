"""How the migration commands print their reports, as text or as JSON."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from pathlib import Path

    from toolkit.commands.check import CheckReport
    from toolkit.commands.init import InitReport
    from toolkit.commands.inspect import HistoryReport, LintReport, SqlReport
    from toolkit.commands.migrate import DryRunReport, MigrateReport, RollbackReport, StatusReport
    from toolkit.commands.wait import WaitReport
    from toolkit.makemigrations import MakeMigrationsReport
    from toolkit.migrations.lint import Finding
    from toolkit.settings import Settings


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def where_of(settings: Settings) -> str:
    return f"{settings.env} ({settings.masked_url})"


def names(files: list[str]) -> list[str]:
    return [f.removesuffix(".py") for f in files]


def print_dry_run(settings: Settings, plan: DryRunReport, as_json: bool) -> None:
    if as_json:
        pending = [{"name": p.name, "sql": p.sql} for p in plan.pending]
        head = {"env": plan.env, "database_url": plan.url, "dialect": plan.dialect}
        echo_json({**head, "pending": pending})
        return
    if not plan.pending:
        click.echo(f"-- Nothing to migrate: {settings.env} ({plan.url}) is up to date.")
    for p in plan.pending:
        click.echo(f"-- Migration {p.name} ({plan.dialect})\n{p.sql}\n")


def print_migrate(settings: Settings, report: MigrateReport, as_json: bool, *, faked: bool = False) -> None:
    if as_json:
        echo_json(
            {
                "env": settings.env,
                "database_url": settings.masked_url,
                "dialect": settings.dialect,
                "applied": names(report.applied),
                **({"reverted": names(report.reverted)} if report.reverted else {}),
                **({"faked": True} if faked else {}),
            }
        )
        return
    if report.reverted:
        for name in report.reverted:
            click.echo(f"Reverted {name}")
        click.echo(f"Migrated {where_of(settings)} back: {len(report.reverted)} migration(s) reverted.")
        return
    if faked:
        for name in report.applied:
            click.echo(f"Recorded {name} as applied (not run)")
        click.echo(f"{where_of(settings)}: {len(report.applied)} migration(s) recorded as applied without running them.")
        return
    if not report.applied:
        click.echo(f"Nothing to migrate: {where_of(settings)} is up to date.")
        return
    for name in report.applied:
        click.echo(f"Applied {name}")
    click.echo(f"Migrated {where_of(settings)}: {len(report.applied)} migration(s) applied.")


def print_makemigrations(
    settings: Settings, report: MakeMigrationsReport, *, as_json: bool = False, lint: LintReport | None = None,
    steps: list[Path] | None = None,
) -> None:
    steps = steps or []
    if as_json:
        from toolkit.migrations.lint import to_json

        path = os.path.relpath(report.path, settings.project_root) if report.path is not None else None
        found = to_json(lint.findings) if lint is not None else []
        echo_json({
            "path": path, "dialects": sorted(report.upgrade), "operations": report.operations,
            "warnings": report.warnings, "lint": found,
            **({"safe_steps": [os.path.relpath(p, settings.project_root) for p in steps]} if steps else {}),
        })
        return
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if report.path is None:
        click.echo("No changes: the models match the last migration.")
        return
    rel = os.path.relpath(report.path, settings.project_root)
    dialects = f" ({', '.join(sorted(report.upgrade))})" if report.upgrade else ""
    click.echo(f"Wrote {rel}{dialects}")
    for operation in report.operations:
        click.echo(f"  - {operation}")
    for step in steps:
        how = "outside a transaction" if "_concurrently_" in step.name else "validating"
        click.echo(f"Wrote {os.path.relpath(step, settings.project_root)} (postgres, {how})")


def print_data_migration(settings: Settings, path: Path) -> None:
    rel = os.path.relpath(path, settings.project_root)
    click.echo(f"Wrote {rel} (an empty data migration: fill in forwards()/backwards() or the SQL slots)")


def print_rollback(settings: Settings, report: RollbackReport, *, dry_run: bool = False, as_json: bool = False) -> None:
    if as_json:
        head = {"env": settings.env, "database_url": settings.masked_url, "dialect": settings.dialect}
        if dry_run:
            echo_json({**head, "planned": [{"name": p.name, "sql": p.sql} for p in report.planned]})
        else:
            echo_json({**head, "reverted": names(report.reverted)})
        return
    if dry_run:
        if not report.planned:
            click.echo("-- Nothing to roll back.")
        for p in report.planned:
            click.echo(f"-- Revert {p.name}\n{p.sql}\n")
        return
    if not report.reverted:
        click.echo("Nothing to roll back.")
        return
    for name in report.reverted:
        click.echo(f"Reverted {name}")


def print_status(report: StatusReport, as_json: bool) -> None:
    if as_json:
        echo_json(
            {
                "env": report.env,
                "database_url": report.url,
                "applied": names(report.applied),
                "pending": names(report.pending),
                "missing_files": names(report.missing),
                "edited": report.edited,
                "renamed": [{"applied": old, "file": new} for old, new in report.renamed],
                "up_to_date": not report.pending,
            }
        )
        return
    click.echo(f"Environment: {report.env}")
    click.echo(f"Database:    {report.url}")
    click.echo(f"Applied ({len(report.applied)}):")
    for name in names(report.applied):
        click.echo(f"  [x] {name}")
    click.echo(f"Pending ({len(report.pending)}):")
    for name in names(report.pending):
        click.echo(f"  [ ] {name}")
    for name in names(report.missing):
        click.echo(f"  [?] {name} (applied, but its file is missing)")
    for name in report.edited:
        click.echo(f"  [!] {name.removesuffix('.py')} (edited after it was applied: its checksum differs)")
    for old, new in report.renamed:
        click.echo(f"  [!] {new.removesuffix('.py')} (the applied {old.removesuffix('.py')}, renamed)")


def print_check(settings: Settings, report: CheckReport, as_json: bool, *, strict: bool = False) -> None:
    from toolkit.migrations.lint import to_json

    if as_json:
        echo_json(
            {
                "env": report.env,
                "database_url": report.url,
                "dialect": report.dialect,
                "in_sync": report.in_sync,
                "model_changes": report.model_changes,
                "pending": report.pending if report.database_checked else None,
                "edited": report.edited if report.database_checked else None,
                "drift": report.drift if report.database_checked else None,
                "lint": to_json(report.lint),
            }
        )
        return
    _print_check_sections(report)
    if report.lint:
        which = "pending migrations" if report.database_checked else "migrations"
        click.echo(
            f"Lint findings in the {which} ({len(report.lint)}){', which fail --strict' if strict else ''}; "
            "follow the fix, or accept one with a `toolkit-lint: accept RULE` marker (docs/lint.md):",
            err=not strict,
        )
        for f in report.lint:
            click.echo("  " + lint_line(settings, f), err=not strict)
    if report.in_sync:
        if report.database_checked:
            click.echo(f"In sync: the models, the migrations and {report.env} ({report.url}) are up to date.")
        else:
            click.echo("In sync: the migrations hold every model change.")


def _print_check_sections(report: CheckReport) -> None:
    if report.model_changes:
        click.echo(f"Model changes that no migration holds ({len(report.model_changes)}); run `toolkit makemigrations`:")
        for op in report.model_changes:
            click.echo("  " + " ".join(op.split()))
    if report.pending:
        click.echo(f"Pending migrations on {report.env} ({report.url}) ({len(report.pending)}); run `toolkit migrate`:")
        for name in report.pending:
            click.echo(f"  [ ] {name}")
    if report.edited:
        click.echo(f"Applied migrations edited or renamed since they ran ({len(report.edited)}); restore them:")
        for name in report.edited:
            click.echo(f"  [!] {name.removesuffix('.py')}")
    if report.drift:
        click.echo(f"{report.env} ({report.url}) differs from its applied migrations ({len(report.drift)}):")
        for line in report.drift:
            click.echo(f"  {line}")


def print_wait(report: WaitReport) -> None:
    click.echo(f"{report.label} at {report.where} is reachable (after {report.attempts} attempt(s)).")




def print_sql(report: SqlReport) -> None:
    verb = "Revert" if report.direction == "downgrade" else "Migration"
    click.echo(f"-- {verb} {report.version} ({report.dialect})\n{report.sql}")


def print_history(report: HistoryReport, as_json: bool) -> None:
    if as_json:
        entries = [
            {"version": e.version, "summary": e.summary, "applied": e.applied if report.database_checked else None}
            for e in report.entries
        ]
        echo_json({"env": report.env, "database_url": report.url, "migrations": entries})
        return
    for e in report.entries:
        mark = ("[x]" if e.applied else "[ ]") if report.database_checked else " - "
        click.echo(f"{mark} {e.version}" + (f"  {e.summary}" if e.summary else ""))


def lint_line(settings: Settings, f: Finding) -> str:
    folder = os.path.relpath(settings.app_migrations_dir, settings.project_root)
    size = f", {f.downgraded}" if f.downgraded else f", {f.rows:,} rows" if f.rows is not None else ""
    table = f" [{f.table}{size}]" if f.table else ""
    accepted = " (accepted)" if f.accepted else ""
    return f"{folder}/{f.migration}:{f.line}: {f.rule}{table}{accepted}: {f.statement} -- {f.reason}; fix: {f.fix}"


def print_lint(settings: Settings, report: LintReport, *, as_json: bool, warnings: bool = False) -> None:
    from toolkit.migrations.lint import to_json

    if as_json:
        echo_json(to_json(report.findings))
        return
    for f in report.findings:
        click.echo(("warning: " if warnings else "") + lint_line(settings, f), err=warnings)
    if not warnings:
        refused = len(report.refused)
        safe = sum(1 for f in report.findings if f.downgraded)
        downgraded = f", {safe} safe on this database (empty or missing table)" if safe else ""
        click.echo(f"{len(report.findings)} finding(s), {refused} not accepted{downgraded}." if report.findings else "No findings.")


def print_init(report: InitReport) -> None:
    click.echo(f"Wrote {report.config} (models: {', '.join(report.models)}); check the models and the database URLs in it.")
    click.echo("Next: `toolkit makemigrations`, then `toolkit migrate` and `toolkit seed --count 100`.")


def print_merge(settings: Settings, moved: tuple[Path, Path] | None) -> None:
    if moved is None:
        click.echo("Nothing to merge: no two migrations share a number.")
        return
    old, new = (os.path.relpath(p, settings.project_root) for p in moved)
    click.echo(f"Renumbered {old} -> {new}, with the merged models' state; now run `toolkit migrate`.")
