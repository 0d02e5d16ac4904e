"""A checksum per applied migration, as Flyway keeps one: an applied file edited or renamed
afterwards is noticed, instead of silently differing from what the database ran.

Aerich's own `aerich` table has no room for it, so toolkit keeps `toolkit_migration_checksums`
beside it (one row per app and version), written in the migration's own transaction. A
version applied before toolkit kept checksums (or by plain Aerich) has no row: its file's
current checksum is taken as the baseline the next time `migrate` runs.

The same row marks a migration `started` before its statements run where the database
can't make it atomic (MySQL), as golang-migrate's dirty flag does: a run killed half-way
leaves the mark, and the next `migrate` refuses, naming the migration, instead of failing
forever on "already exists".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TABLE = "toolkit_migration_checksums"
DDL = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (app VARCHAR(100) NOT NULL, "
    "version VARCHAR(255) NOT NULL, checksum VARCHAR(64) NOT NULL, "
    "state VARCHAR(10) NOT NULL DEFAULT 'applied', PRIMARY KEY (app, version))"
)
APPLIED, STARTED = "applied", "started"


def of_file(path: Path) -> str:
    """sha256 of the file, line endings normalised (a checkout with CRLF is the same file)."""
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()


@dataclass(frozen=True)
class Drift:
    """Applied migrations whose files no longer match what was applied."""

    edited: list[str] = field(default_factory=list)  # same name, other content
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (applied name, file now)

    def __bool__(self) -> bool:
        return bool(self.edited or self.renamed)


def compare(
    recorded: dict[str, str], applied: list[str], files: dict[str, Path]
) -> Drift:
    """Which applied files were edited, and which pending files are applied ones renamed."""
    edited = [
        name for name in applied
        if name in files and name in recorded and of_file(files[name]) != recorded[name]
    ]
    gone = {recorded[name]: name for name in applied if name not in files and name in recorded}
    renamed = [
        (gone[digest], name)
        for name, path in files.items()
        if name not in applied and (digest := of_file(path)) in gone
    ]
    return Drift(edited=edited, renamed=renamed)


async def ensure_table(conn: Any) -> None:
    """Create the table if needed (`conn` is a backend `Connection`)."""
    await conn.execute(DDL)


async def recorded(conn: Any, app: str) -> dict[str, str]:
    """version -> checksum for `app` (`conn` is a backend `Connection`); {} before any."""
    if not await conn.table_exists(TABLE):
        return {}
    rows = await conn.fetch(f"SELECT version, checksum FROM {TABLE} WHERE app = ? AND state = ?", app, APPLIED)
    return {r[0]: r[1] for r in rows}


async def started(conn: Any, app: str) -> list[str]:
    """Versions marked started and never finished (a run killed mid-migration)."""
    if not await conn.table_exists(TABLE):
        return []
    rows = await conn.fetch(f"SELECT version FROM {TABLE} WHERE app = ? AND state = ?", app, STARTED)
    return sorted(r[0] for r in rows)


async def mark_started(conn: Any, app: str, version: str, digest: str) -> None:
    """Committed at once, before the migration's first statement (`conn`: a backend Connection)."""
    await conn.execute(f"DELETE FROM {TABLE} WHERE app = ? AND version = ?", app, version)
    await conn.execute(
        f"INSERT INTO {TABLE} (app, version, checksum, state) VALUES (?, ?, ?, ?)",
        app, version, digest, STARTED,
    )


async def clear_started(conn: Any, app: str, version: str) -> None:
    await conn.execute(
        f"DELETE FROM {TABLE} WHERE app = ? AND version = ? AND state = ?", app, version, STARTED
    )


async def baseline(conn: Any, app: str, digests: dict[str, str]) -> None:
    """Record checksums for applied versions that have none yet (`conn`: a backend Connection)."""
    for version, digest in digests.items():
        await conn.execute(
            f"INSERT INTO {TABLE} (app, version, checksum, state) VALUES (?, ?, ?, ?)",
            app, version, digest, APPLIED,
        )


# In a migration's own transaction, through Tortoise's client: `marks` are its placeholders.
async def record(conn: Any, app: str, version: str, checksum: str, marks: tuple[str, ...]) -> None:
    a, v, c = marks
    await conn.execute_query(f"DELETE FROM {TABLE} WHERE app = {a} AND version = {v}", [app, version])
    await conn.execute_query(
        f"INSERT INTO {TABLE} (app, version, checksum, state) VALUES ({a}, {v}, {c}, '{APPLIED}')",
        [app, version, checksum],
    )


async def forget(conn: Any, app: str, version: str, marks: tuple[str, ...]) -> None:
    a, v = marks[:2]
    await conn.execute_query(f"DELETE FROM {TABLE} WHERE app = {a} AND version = {v}", [app, version])
