"""Rank lint findings by how busy their tables are: what makes a locking statement
dangerous is the rows it scans or rewrites, and the traffic those rows draw. Pure: the
row counts come in from the command that asked the database."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from toolkit.migrations.lint import Finding

# Rules a table without rows makes harmless: each is about a scan, a rewrite or a lock held
# while one runs. The others fail or break running code whatever the row count.
_SIZE_RULES = frozenset({
    "index-not-concurrent", "foreign-key-not-valid", "check-not-valid", "validate-in-same-transaction",
    "not-null-without-check", "column-type-rewrite", "add-column-volatile-default",
    "not-null-column-without-default", "unique-constraint-builds-index",
})


def rank(findings: list[Finding], rows: Mapping[str, int | None]) -> list[Finding]:
    """`findings` with their table's row count (`rows`: table -> rows, None when the table
    does not exist yet), the busiest first. A size rule on an empty or missing table is
    downgraded: it is safe there, and does not fail `lint`."""
    measured = [_measured(f, rows) for f in findings]
    # Findings without a table (a CONCURRENTLY the server refuses) fail whatever the size:
    # first. A missing table has fewer rows than an empty one.
    return sorted(measured, key=lambda f: (
        f.downgraded is not None, f.table is not None, -(f.rows if f.rows is not None else -1)
    ))


def _measured(finding: Finding, rows: Mapping[str, int | None]) -> Finding:
    if finding.table is None or finding.table not in rows:
        return finding
    count = rows[finding.table]
    why = None
    if finding.rule in _SIZE_RULES and not count:
        why = "table does not exist yet: safe" if count is None else "table is empty: safe"
    return dataclasses.replace(finding, rows=count, downgraded=why)
