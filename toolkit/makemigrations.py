"""Write portable Aerich migrations: one file, the SQL of every supported dialect.

Aerich writes SQL for the database it is connected to, and each dialect's output fails on
the other. Here we run Aerich's own differ once per dialect, each time with that dialect's
DDL class over a client that never connects, and store the scripts side by side. The
file stays a plain Aerich migration: `upgrade(db)` picks `db.capabilities.dialect`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError, UsageError
from toolkit.migrations.questioner import Questioner, candidate_of
from toolkit.settings import Settings

_NAME = re.compile(r"^[A-Za-z0-9_]+$")

TEMPLATE = '''"""{summary}

Written by `toolkit makemigrations`: a plain Aerich migration that carries the SQL of each
supported dialect. `aerich upgrade` and `toolkit migrate` both run it.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

UPGRADE = {{
{upgrade}
}}

DOWNGRADE = {{
{downgrade}
}}


def _sql_for(scripts: dict, db: BaseDBAsyncClient) -> str:
    dialect = db.capabilities.dialect
    if dialect not in scripts:
        raise NotImplementedError(
            f"this migration has no SQL for {{dialect}}; it has {{sorted(scripts)}}"
        )
    return scripts[dialect]


async def upgrade(db: BaseDBAsyncClient) -> str:
    return _sql_for(UPGRADE, db)


async def downgrade(db: BaseDBAsyncClient) -> str:
    return _sql_for(DOWNGRADE, db)


MODELS_STATE = (
    {models_state}
)
'''


@dataclass(frozen=True)
class MakeMigrationsReport:
    path: Path | None  # None: the models match the last migration
    upgrade: dict[str, list[str]]
    downgrade: dict[str, list[str]]
    # What Aerich's differ warned about, each once (it runs once per dialect).
    warnings: list[str] = field(default_factory=list)
    # The migration's operations in plain words ("Add field city to users").
    operations: list[str] = field(default_factory=list)


def _last_migration(settings: Settings) -> tuple[int, Path] | None:
    """The newest migration file, by number (the same listing `migrate` uses)."""
    from toolkit.migrations.files import migration_files

    files = migration_files(settings, required=False)
    if not files:
        return None
    return int(files[-1].split("_", 1)[0]), settings.app_migrations_dir / files[-1]


def _models_state_of(path: Path) -> dict[str, Any]:
    from aerich.utils import decompress_dict

    spec = importlib.util.spec_from_file_location(f"_toolkit_migration_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    state = getattr(module, "MODELS_STATE", None)
    if not state:
        raise ToolkitError(
            f"{path} has no MODELS_STATE; run `aerich fix-migrations` on it, then try again"
        )
    return decompress_dict(state)


def _diff_for_dialect(
    dialect: str, app: str, old: dict[str, Any], new: dict[str, Any], questioner: Questioner
) -> tuple[list[str], list[str]]:
    """Aerich's upgrade and downgrade statements for `dialect`, as we ship them."""
    from aerich.migrate import Migrate

    from toolkit.backends import offline_client
    from toolkit.migrations.portable_ddl import ddl_classes
    from toolkit.migrations.portable_ops import column_renames, refuse_primary_key_changes, ship

    # Aerich's differ keeps its state on the class; give each dialect a clean slate.
    ddl_cls = ddl_classes()[dialect]
    Migrate.app = app
    Migrate.dialect = dialect
    Migrate.ddl_class = ddl_cls
    Migrate.ddl = ddl_cls(offline_client(dialect))
    Migrate._db_version = None
    Migrate.upgrade_operators = []
    Migrate.downgrade_operators = []
    Migrate._upgrade_fk_m2m_index_operators = []
    Migrate._downgrade_fk_m2m_index_operators = []
    Migrate._upgrade_m2m = []
    Migrate._downgrade_m2m = []
    Migrate._rename_fields = {}
    Migrate._rename_models = {}
    old, new = Migrate._exclude_model_name_changes(old, new)
    refuse_primary_key_changes(old, new)
    # The differ asks whether a field dropped and one of its type added is a rename; the
    # questioner answers (once for every dialect), never the differ's own prompt.
    with _self_references_allowed(Migrate), _every_m2m_change_seen(), _renames_answered_by(questioner, new):
        Migrate.diff_models(old, new)
        Migrate.diff_models(new, old, False)
    Migrate._merge_operators()
    renames = column_renames(Migrate._rename_fields, old, new)
    return ship(dialect, list(Migrate.upgrade_operators), list(Migrate.downgrade_operators), old, new, renames)


@contextmanager
def _renames_answered_by(questioner: Questioner, models: dict[str, Any]) -> Iterator[None]:
    """Put the differ's rename question to `questioner` instead of its click prompt.

    Aerich 0.10 asks through `run_async(click.prompt, "(models.User) Rename a to b?")`
    unless `no_input`, which answers yes to every candidate: the silent guess we refuse.
    """
    import aerich.migrate as aerich_migrate

    names = vars(aerich_migrate)  # the differ looks the function up in its module
    original = names["run_async"]

    def answer(func: Any, *args: Any) -> Any:
        candidate = candidate_of(args[0], models) if len(args) == 1 and isinstance(args[0], str) else None
        if candidate is None:
            return original(func, *args)
        return questioner.rename_field(candidate)

    names["run_async"] = answer
    try:
        yield
    finally:
        names["run_async"] = original


@contextmanager
def _every_m2m_change_seen() -> Iterator[None]:
    """Hand Aerich's differ one many-to-many table per change.

    A model's new many-to-many fields arrive as one "add" holding several fields, and
    Aerich 0.10 creates the through table of the first only. The others are usually
    created from the other model's side, but not a model's link to itself
    (`related = ManyToManyField("models.Product")`), whose table went missing.
    """
    import aerich.migrate as aerich_migrate

    names = vars(aerich_migrate)  # the differ looks the function up in its module
    original = names["get_dict_diff_by_key"]

    def one_at_a_time(*args: Any, **kwargs: Any) -> Iterator[tuple[str, Any, Any]]:
        for action, option, change in original(*args, **kwargs):
            if action in ("add", "remove") and isinstance(change, list) and len(change) > 1:
                for item in change:
                    yield action, option, [item]
            else:
                yield action, option, change

    names["get_dict_diff_by_key"] = one_at_a_time
    try:
        yield
    finally:
        names["get_dict_diff_by_key"] = original


@contextmanager
def _self_references_allowed(migrate: Any) -> Iterator[None]:
    """Let a new model point at itself (a tree, a `referred_by`).

    Aerich 0.10 orders new tables by their foreign keys and counts a model's reference to
    itself as a cycle ("Can't create schema due to cyclic fk references"), although its
    CREATE TABLE names the table itself and runs on both databases. Hide those references
    from the ordering only; the SQL still comes from the model. A reference into another
    app is hidden the same way: that app's table is not among the ones Aerich orders (it
    raised KeyError), and its own migrations create it first.
    """
    saved = migrate.__dict__["_handle_add_models"]
    original = migrate._handle_add_models

    def handle(upgrade: bool, new_models: Any, new_table_items: Any, other: Any = None) -> None:
        items = []
        for model_str, describe, model in new_table_items:
            trimmed = dict(describe)
            app = model_str.split(".", 1)[0]
            for key in ("fk_fields", "o2o_fields"):
                trimmed[key] = [
                    f for f in describe[key]
                    if f.get("python_type") != model_str and str(f.get("python_type", "")).split(".", 1)[0] == app
                ]
            items.append((model_str, trimmed, model))
        original(upgrade, new_models, items, other)

    migrate._handle_add_models = staticmethod(handle)
    try:
        yield
    finally:
        migrate._handle_add_models = saved


def _upgrade_sql(path: Path, dialect: str) -> str:
    """The upgrade SQL a migration file holds for `dialect`, without a database."""
    from toolkit.backends import offline_client

    spec = importlib.util.spec_from_file_location(f"_toolkit_sql_{path.stem}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    scripts = getattr(module, "UPGRADE", None)
    if isinstance(scripts, dict):
        return str(scripts.get(dialect, ""))
    # A plain Aerich file: its upgrade() coroutine, on a loop of its own (we may be in one).
    with ThreadPoolExecutor(max_workers=1) as pool:
        return str(pool.submit(asyncio.run, module.upgrade(offline_client(dialect))).result())


@contextmanager
def _unique_constraints_read_from(folder: Path) -> Iterator[None]:
    """Answer Aerich's "was this unique_together a constraint?" from our migration files.

    Changing a unique_together makes Aerich's differ ask it (on PostgreSQL a group declared
    in CREATE TABLE is a constraint, one added later an index). Its own answer reads the
    migrations folder through class state that only `aerich migrate` sets up, and calls
    `upgrade(None)`, which a portable file can't answer.
    """
    from aerich.migrate import Migrate

    def is_unique_constraint(cls: Any, model: Any, index_name: str) -> bool:
        if cls.dialect != "postgres":
            return False
        files = sorted(
            (p for p in folder.glob("*.py") if p.name.split("_", 1)[0].isdigit()),
            key=lambda p: int(p.name.split("_", 1)[0]),
        )
        pattern = re.compile(rf' "?{re.escape(index_name)}"? ')
        for path in reversed(files[1:]):
            for line in _upgrade_sql(path, "postgres").splitlines():
                if pattern.search(line):
                    words = pattern.split(line)[0].lower().split()
                    if "drop" not in words:
                        return "constraint" in words
        return True  # declared with the table, in the first migration

    saved = Migrate.__dict__["_is_unique_constraint"]
    Migrate._is_unique_constraint = classmethod(is_unique_constraint)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Migrate._is_unique_constraint = saved  # type: ignore[method-assign]


def _script(ops: list[str]) -> str:
    if not ops:
        return '""'
    body = ";\n        ".join(op.rstrip(";") for op in ops) + ";"
    return '"""\n        ' + body.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'


def _dict_literal(scripts: dict[str, list[str]]) -> str:
    return "\n".join(f'    "{d}": {_script(ops)},' for d, ops in sorted(scripts.items()))


def _diff_or_refusal(
    dialect: str, app: str, old: dict[str, Any], new: dict[str, Any], questioner: Questioner
) -> tuple[list[str], list[str]]:
    try:
        return _diff_for_dialect(dialect, app, old, new, questioner)
    except ToolkitError:
        raise
    except Exception as exc:  # Aerich's differ refusing a change
        text = (str(exc) or type(exc).__name__).splitlines()[0]
        raise ToolkitError(
            f"Aerich can't write this model change for {dialect}: {text}; split the "
            "change into smaller steps (one makemigrations each)"
        ) from None


async def diff(
    settings: Settings, questioner: Questioner | None = None
) -> tuple[dict[str, Any], dict[str, Any], MakeMigrationsReport]:
    """Compare the models with the last migration's state, per dialect. Writes nothing.
    Without a questioner no field is taken as renamed: a drop and an add."""
    questioner = questioner or Questioner()
    from aerich.utils import get_models_describe

    from toolkit.db import orm
    from toolkit.migrations.operations import describe_operations
    from toolkit.migrations.portable_ddl import ddl_classes, initial_ops
    from toolkit.migrations.portable_keys import on_delete_changes
    from toolkit.migrations.portable_ops import aerich_messages

    last = _last_migration(settings)
    old = _models_state_of(last[1]) if last else {}
    # An in-memory SQLite database is enough to load the models: no server is needed.
    async with orm(settings, url="sqlite://:memory:"):
        # Aerich's own model stays in the state, as `aerich init-db` writes it.
        new = get_models_describe(settings.app)
        old, model_renames = questioner.renamed_models(old, new)
        ups: dict[str, list[str]] = {}
        downs: dict[str, list[str]] = {}
        messages: list[str] = []
        with aerich_messages(messages), _unique_constraints_read_from(settings.app_migrations_dir):
            for dialect in sorted(ddl_classes()):
                ups[dialect], downs[dialect] = _diff_or_refusal(dialect, settings.app, old, new, questioner)
                if last is None and ups[dialect]:
                    ups[dialect].insert(0, initial_ops(dialect))
    questioner.refuse_unmatched()
    # Each dialect's script now gives a changed on_delete to its foreign key (portable_ops).
    handled = {f"Ignore 'on_delete' changes {a['on_delete']!r} -> {b['on_delete']!r} for {m}.{b['name']}"
               for m, a, b in on_delete_changes(old, new)}
    warnings = [w for w in dict.fromkeys(messages) if w.split(" (You may", 1)[0] not in handled]
    renamed: dict[str, dict[str, str]] = {}
    for c in questioner.renamed:
        renamed.setdefault(c.model, {})[c.old] = c.new
    operations = describe_operations(old, new, renamed, model_renames)
    report = MakeMigrationsReport(path=None, upgrade=ups, downgrade=downs, warnings=warnings, operations=operations)
    return old, new, report


async def makemigrations(
    settings: Settings, name: str | None = None, questioner: Questioner | None = None
) -> MakeMigrationsReport:
    """Write the next migration for model changes; `path` is None when nothing changed.
    `questioner` decides the fields Aerich's differ may take as renamed (default: none)."""
    if name is not None and not _NAME.match(name):
        raise UsageError(f"--name {name!r} may hold only letters, digits and underscores")
    from aerich.utils import get_formatted_compressed_data

    old, new, report = await diff(settings, questioner)
    if not any(report.upgrade.values()):
        return report
    folder = settings.app_migrations_dir
    last = _last_migration(settings)
    number = last[0] + 1 if last else 0
    label = name or ("init" if last is None else "update")
    upgrade = report.upgrade
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    path = folder / f"{number}_{stamp}_{label}.py"
    text = TEMPLATE.format(
        summary=f"Migration {number}: {label}.",
        upgrade=_dict_literal(upgrade),
        downgrade=_dict_literal(report.downgrade),
        models_state=get_formatted_compressed_data(new),
    )
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return replace(report, path=path)
