"""Migration files on disk: listing them in order, naming them, importing them. Never a
connection (alembic's `script/` and Django's loader keep the same line)."""

from __future__ import annotations

import re
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from toolkit.errors import MigrationFailed, ToolkitError, UsageError
from toolkit.settings import Settings

_VERSION_FILE = re.compile(r"^(\d+)_.*\.py$")
_TEMPLATE_INDENT = re.compile(r"^ {8}(?=\S)", re.MULTILINE)


def migration_files(settings: Settings, *, required: bool = True) -> list[str]:
    """The app's migration file names, in Aerich's order (by leading number)."""
    folder = settings.app_migrations_dir
    if not folder.is_dir():
        if not required:
            return []
        raise ToolkitError(
            f"migrations folder {folder} not found; check [toolkit] migrations in "
            f"{settings.config_path}, or run `toolkit makemigrations` to create the first one"
        )
    files = sorted(
        (p.name for p in folder.iterdir() if _VERSION_FILE.match(p.name)),
        key=lambda n: (int(n.split("_", 1)[0]), n),
    )
    for before, after in zip(files, files[1:]):
        if before.split("_", 1)[0] == after.split("_", 1)[0]:
            # Two branches each added migration N: the order would be a guess.
            raise ToolkitError(
                f"two migrations share the number {before.split('_', 1)[0]}: {before} and "
                f"{after} (two branches?); merge the model code, then run `toolkit makemigrations "
                "--merge` to number the newer one after the other with the merged models state"
            )
    return files


def display(settings: Settings, name: str) -> str:
    """The migration file as the user finds it: relative to the project root."""
    path = settings.app_migrations_dir / name
    try:
        return str(path.relative_to(settings.project_root))
    except ValueError:
        return str(path)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def load(path: Path) -> ModuleType:
    from aerich.utils import import_py_file

    return import_py_file(path)


def load_every_file(settings: Settings, names: list[str]) -> None:
    """Import the files a run will execute, so a broken one is named with its line
    (Aerich's session would import them too, and its error would blame the models)."""
    for name in names:
        path = settings.app_migrations_dir / name
        try:
            load(path)
        except SyntaxError as exc:
            raise MigrationFailed(
                f"migration {display(settings, name)} has a syntax error at line {exc.lineno}: "
                f"{exc.msg}; fix the file"
            ) from None
        except Exception as exc:
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(path)]
            line = f" at line {frames[-1].lineno}" if frames else ""
            raise MigrationFailed(
                f"migration {display(settings, name)} fails to import{line}: "
                f"{type(exc).__name__}: {first_line(exc)}; fix the file"
            ) from None


def dedent(sql: str) -> str:
    """The SQL as written in the file, without the 8 spaces `makemigrations` indents it by."""
    return _TEMPLATE_INDENT.sub("", sql.strip("\n")).strip()


def position_after(
    to: str, names: list[str], what: str = "an applied migration", listed: str = "applied"
) -> int:
    """How many of `names` come up to and including `to` (a number or a name; 'zero': none)."""
    if to == "zero":
        return 0
    for i, name in enumerate(names):
        stem = name.removesuffix(".py")
        if to in (name, stem) or name.split("_", 1)[0] == to:
            return i + 1
    shown = ", ".join(a.removesuffix(".py") for a in names) or "none"
    if what != "an applied migration":
        raise UsageError(f"{to!r} is not {what}; {listed}: {shown}")
    raise UsageError(f"--to {to!r} is not an applied migration; applied: {shown} (or use 'zero')")


def models_states(settings: Settings) -> list[dict[str, Any]]:
    """The models state each migration file carries (MODELS_STATE), oldest first; files
    without one are skipped."""
    from aerich.utils import decompress_dict

    states = []
    for name in migration_files(settings, required=False):
        try:
            state = getattr(load(settings.app_migrations_dir / name), "MODELS_STATE", None)
        except Exception:  # a broken file is reported by the command that runs it
            continue
        if state:
            states.append(decompress_dict(state) if isinstance(state, str) else dict(state))
    return states
