"""`toolkit init`: a starting config and the folders toolkit reads, in a project without one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import ToolkitError

TEMPLATE = """# toolkit's configuration (written by `toolkit init`). Flags and environment variables
# (DATABASE_URL, TOOLKIT_ENV) override what is here; a .env file beside it is read too.
[toolkit]
models = [{models}]   # your Tortoise model modules, importable from this folder
app = "models"              # the Tortoise app label
migrations = "migrations"   # where migration files go
default_env = "dev"

[env.dev]
database_url = "sqlite://dev.sqlite3"

[env.test]
database_url = "${{DATABASE_URL}}"

[env.staging]
database_url = "${{DATABASE_URL}}"
protected = true            # seed, reset and rollback need --force here
"""


@dataclass(frozen=True)
class InitReport:
    config: Path
    models: list[str]
    created: list[Path]


def _guess_models(root: Path) -> list[str]:
    """Model modules the project seems to have: models.py files up to two folders down."""
    found = [p for pattern in ("models.py", "*/models.py", "*/*/models.py") for p in sorted(root.glob(pattern))]
    modules = [".".join(p.relative_to(root).with_suffix("").parts) for p in found if ".venv" not in p.parts]
    return modules or ["app.models"]


async def init(root: Path, models: list[str] | None = None) -> InitReport:
    """Write `config/toolkit.toml` and create `migrations/` and `seeds/` under `root`."""
    config = root / "config" / "toolkit.toml"
    if config.exists():
        raise ToolkitError(f"{config} exists already; edit it, or remove it to start over")
    chosen = models or _guess_models(root)
    created = []
    for folder in (root / "config", root / "migrations", root / "seeds"):
        if not folder.exists():
            folder.mkdir(parents=True)
            created.append(folder)
    config.write_text(TEMPLATE.format(models=", ".join(f'"{m}"' for m in chosen)), encoding="utf-8")
    return InitReport(config=config, models=chosen, created=[config, *created])
