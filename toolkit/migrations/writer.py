"""New migration files that aren't model diffs: an empty data migration, ready to fill in.

A data migration is an ordinary Aerich file (so `aerich upgrade` runs it too): per-dialect
SQL slots, plus `forwards(db)` / `backwards(db)` hooks that toolkit's runner calls with the
connection of the migration's own transaction, so the hook's queries, the SQL and the
version row commit together or not at all. It carries the previous file's MODELS_STATE
unchanged: the models didn't change, so `check` and the next `makemigrations` accept it.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from toolkit.errors import ToolkitError, UsageError
from toolkit.migrations.files import migration_files
from toolkit.migrations.safe_sql import SafeSteps
from toolkit.settings import Settings

_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_STATE = re.compile(r"^MODELS_STATE = \(.*?^\)", re.S | re.M)

DATA_TEMPLATE = '''"""Migration {number}: {name} (a data migration).

Written by `toolkit makemigrations --empty`. `forwards(db)` runs first, inside the
migration's transaction (`db` is its connection: `await db.execute_query(...)`, or the ORM
with `using_db=db`); then the SQL for the database's dialect runs in the same transaction.
`toolkit rollback` runs `backwards(db)`, then DOWNGRADE. On MySQL, DDL commits by itself:
keep DDL out of data migrations there.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

UPGRADE = {{
    "mysql": "",
    "postgres": "",
    "sqlite": "",
}}

DOWNGRADE = {{
    "mysql": "",
    "postgres": "",
    "sqlite": "",
}}


async def forwards(db: BaseDBAsyncClient) -> None:
    """Change the data here."""


async def backwards(db: BaseDBAsyncClient) -> None:
    """Undo `forwards` here, so `toolkit rollback` can revert this migration."""


async def upgrade(db: BaseDBAsyncClient) -> str:
    await forwards(db)
    return UPGRADE.get(db.capabilities.dialect, "") or "-- data migration: forwards() only"


async def downgrade(db: BaseDBAsyncClient) -> str:
    await backwards(db)
    return DOWNGRADE.get(db.capabilities.dialect, "") or "-- data migration: backwards() only"


{models_state}
'''


async def write_data_migration(settings: Settings, name: str) -> Path:
    """Write the next migration file as an empty data migration; its path."""
    if not _NAME.match(name):
        raise UsageError(f"--name {name!r} may hold only letters, digits and underscores")
    files = migration_files(settings, required=False)
    if not files:
        raise ToolkitError(
            "there is no migration yet to build a data migration on; run `toolkit makemigrations` "
            "first, for the models"
        )
    last = settings.app_migrations_dir / files[-1]
    state = _STATE.search(last.read_text(encoding="utf-8"))
    if state is None:
        raise ToolkitError(f"{last} has no MODELS_STATE; run `aerich fix-migrations` on it, then try again")
    number = int(files[-1].split("_", 1)[0]) + 1
    path = settings.app_migrations_dir / f"{number}_{datetime.now():%Y%m%d%H%M%S}_{name}.py"
    path.write_text(DATA_TEMPLATE.format(number=number, name=name, models_state=state.group(0)), encoding="utf-8")
    return path


_NUMBERED = re.compile(r"^(\d+)_(.*\.py)$")


async def merge_branches(settings: Settings) -> tuple[Path, Path] | None:
    """Two branches each added migration N: number the newer file after the last one, and
    give it the models state of today's (merged) models, so the next `makemigrations` and
    `check` see no change. The SQL of both files stays as written. (old, new) path, or None
    when no two files share a number."""
    folder = settings.app_migrations_dir
    numbered = sorted(
        (int(m.group(1)), p) for p in folder.glob("*.py") if (m := _NUMBERED.match(p.name))
    )
    numbers = [n for n, _ in numbered]
    clash = next((n for n in numbers if numbers.count(n) > 1), None)
    if clash is None:
        return None
    newer = max((p for n, p in numbered if n == clash), key=lambda p: p.name)
    target = folder / f"{max(numbers) + 1}_{_NUMBERED.match(newer.name).group(2)}"  # type: ignore[union-attr]
    text = newer.read_text(encoding="utf-8")
    if _STATE.search(text) is None:
        raise ToolkitError(f"{newer} has no MODELS_STATE; merge it by hand")
    state = await _current_state(settings)
    target.write_text(_STATE.sub(lambda _: state, text, count=1), encoding="utf-8")
    newer.unlink()
    return newer, target


async def _current_state(settings: Settings) -> str:
    from aerich.utils import get_formatted_compressed_data, get_models_describe

    from toolkit.db import orm

    async with orm(settings, url="sqlite://:memory:"):
        return f"MODELS_STATE = (\n    {get_formatted_compressed_data(get_models_describe(settings.app))}\n)"


_SUMMARY = re.compile(r'^"""Migration \d+: .*$', re.M)
_DICT = {key: re.compile(rf"^{key} = \{{\n.*?^\}}$", re.S | re.M) for key in ("UPGRADE", "DOWNGRADE")}
_POSTGRES = re.compile(r'^    "postgres": (?:"""(?:[^"\\]|\\.|"(?!""))*"""|""),$', re.S | re.M)


def _literal(statements: list[str], empty: str) -> str:
    """A script as `toolkit makemigrations` writes one; `empty` when there is none (a
    downgrade must say something, or rollback refuses the file)."""
    if not statements:
        return '"' + empty.replace("\\", "\\\\").replace('"', '\\"') + '"'
    body = ";\n        ".join(s.strip().rstrip(";") for s in statements) + ";"
    return '"""\n        ' + body.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def write_safe_steps(settings: Settings, path: Path, steps: SafeSteps, dialects: list[str]) -> list[Path]:
    """Give the migration at `path` the safe PostgreSQL statements of `steps` (its other
    dialects stay as written), and write the migrations after it that build each index
    concurrently and validate what it added NOT VALID. Their files copy `path`'s MODELS_STATE,
    so `check` and the next `makemigrations` see the models in step. The paths written."""
    text = path.read_text(encoding="utf-8")
    up, down = (m.start() for m in (_DICT["UPGRADE"].search(text), _DICT["DOWNGRADE"].search(text)) if m)
    first = _POSTGRES.sub(lambda _: f'    "postgres": {_literal(steps.first_down, "-- nothing to revert")},', text[down:], count=1)
    head = _POSTGRES.sub(lambda _: f'    "postgres": {_literal(steps.first_up, "")},', text[up:down], count=1)
    path.write_text(text[:up] + head + first, encoding="utf-8")
    number, stamp, label = path.stem.split("_", 2)
    planned = [(f"{label}_concurrently_{i}", [u], [d], False) for i, (u, d) in enumerate(steps.concurrent, 1)]
    if steps.last_up:
        planned.append((f"{label}_validate", steps.last_up, steps.last_down, True))
    written = []
    for offset, (name, ups, downs, atomic) in enumerate(planned, 1):
        target = path.with_name(f"{int(number) + offset}_{stamp}_{name}.py")
        held = f"-- nothing to do here on {{d}}: {path.name} holds this change"
        scripts = {
            "UPGRADE": {d: _literal(ups, "") if d == "postgres" else _literal([], held.format(d=d)) for d in dialects},
            "DOWNGRADE": {d: _literal(downs, "-- nothing to revert") if d == "postgres" else _literal([], held.format(d=d)) for d in dialects},
        }
        body = text
        for key, values in scripts.items():
            rendered = f"{key} = {{\n" + "\n".join(f'    "{d}": {v},' for d, v in sorted(values.items())) + "\n}"
            body = _DICT[key].sub(rendered.replace("\\", "\\\\"), body, count=1)
        why = "built concurrently, outside a transaction" if not atomic else "validated after the NOT VALID step"
        body = _SUMMARY.sub(f'"""Migration {int(number) + offset}: {name} ({why}, `makemigrations --safe`).', body, count=1)
        body = body.replace("RUN_IN_TRANSACTION = True", f"RUN_IN_TRANSACTION = {atomic}", 1)
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written
