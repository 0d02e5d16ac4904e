"""Config where users look: [tool.toolkit] in pyproject.toml, found from any subfolder, a .env
for DATABASE_URL, `toolkit init`, and no silent fallback to the demo model."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import CLEAN_ENV, TOOLKIT

PYPROJECT = """[project]
name = "blog"

[tool.toolkit]
models = ["blog.models"]

[tool.toolkit.env.dev]
database_url = "sqlite://blog.sqlite3"
"""

MODELS = """from tortoise import fields
from tortoise.models import Model


class Post(Model):
    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=200)
"""


def _run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV}
    full.update(env or {})
    return subprocess.run([TOOLKIT, *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=120)


def _blog(root: Path) -> Path:
    (root / "blog").mkdir(parents=True)
    (root / "blog" / "__init__.py").write_text("")
    (root / "blog" / "models.py").write_text(MODELS)
    return root


def test_pyproject_tool_table_is_read_from_a_subfolder(tmp_path: Path) -> None:
    root = _blog(tmp_path / "blog_app")
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "blog" / "deep").mkdir()
    made = _run(root / "blog" / "deep", "makemigrations")
    assert made.returncode == 0, made.stderr
    migrated = _run(root / "blog" / "deep", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert (root / "blog.sqlite3").exists()
    assert "post" in _run(root, "sql", "0").stdout


def test_a_dotenv_file_gives_database_url_below_the_real_environment(tmp_path: Path) -> None:
    root = _blog(tmp_path / "blog_app")
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / ".env").write_text(f"DATABASE_URL=sqlite://{root / 'from_dotenv.sqlite3'}\n")
    assert _run(root, "makemigrations").returncode == 0
    status = _run(root, "status")
    assert status.returncode == 0, status.stderr
    assert "from_dotenv.sqlite3" in status.stdout
    real = _run(root, "status", env={"DATABASE_URL": f"sqlite://{root / 'real.sqlite3'}"})
    assert "real.sqlite3" in real.stdout


def test_a_config_without_models_is_an_error_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "toolkit.toml").write_text('[env.dev]\ndatabase_url = "sqlite://x.db"\n')
    result = _run(tmp_path, "makemigrations")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"Error: {tmp_path / 'config' / 'toolkit.toml'}: [toolkit] models is not set; name your "
        'Tortoise model modules there, as models = ["app.models"] (toolkit init writes a starting config)'
    )
    assert not (tmp_path / "migrations").exists()


def test_init_writes_a_config_that_works_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    root = _blog(tmp_path / "blog_app")
    made = _run(root, "init")
    assert made.returncode == 0, made.stderr
    assert '"blog.models"' in (root / "config" / "toolkit.toml").read_text()
    assert (root / "seeds").is_dir() and (root / "migrations").is_dir()
    assert _run(root, "makemigrations").returncode == 0
    assert _run(root, "migrate").returncode == 0
    seeded = _run(root, "seed", "--all", "--count", "20")
    assert seeded.returncode == 0, seeded.stderr
    again = _run(root, "init")
    assert again.returncode == 1
    assert "exists already" in again.stderr
