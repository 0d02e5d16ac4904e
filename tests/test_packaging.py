"""The package as a user installs it: `python -m build`, a fresh venv, the quickstart.

Slow-ish (a venv and an install from the local pip cache: about 10 s) but never skipped: a
wheel that forgets a module or py.typed only shows up here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, make_project


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Build from a copy: an in-tree setuptools build leaves build/ and *.egg-info behind.
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "toolkit", src / "toolkit", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(dist), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    [built] = dist.glob("tortoise_toolkit-*.whl")
    assert list(dist.glob("tortoise_toolkit-*.tar.gz")), "no sdist built"
    return built


def test_the_wheel_ships_py_typed_and_both_entry_points(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "toolkit/py.typed" in names
    assert {"toolkit/cli/__init__.py", "toolkit/pytest_plugin.py", "toolkit/seed/run.py", "toolkit/backends/postgres.py"} <= names
    assert "toolkit = toolkit.cli:main" in entry_points
    assert "[pytest11]\ntoolkit = toolkit.pytest_plugin" in entry_points


def test_the_wheel_installs_in_a_fresh_venv_and_runs_the_quickstart(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    toolkit = str(bin_dir / "toolkit")

    help_run = subprocess.run([toolkit, "--help"], capture_output=True, text=True, timeout=60)
    assert help_run.returncode == 0, help_run.stderr
    assert "Usage: toolkit" in help_run.stdout

    # The quickstart, in a project folder (config, migrations, seeds) and the wheel's code.
    project = make_project(tmp_path / "proj")
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    quickstart = subprocess.run(
        f"{toolkit} migrate && {toolkit} seed --count 10000",
        shell=True,
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert quickstart.returncode == 0, quickstart.stdout + quickstart.stderr
    assert "Seeded 10000 rows" in quickstart.stdout
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import toolkit; print(toolkit.__file__)"],
        cwd=project.root,
        capture_output=True,
        text=True,
    )
    assert str(env_dir) in where.stdout  # the installed wheel ran, not this checkout
