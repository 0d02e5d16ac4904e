"""Faker draws kept on disk make the same rows as fresh draws, and a bad cache is skipped."""

from __future__ import annotations

from pathlib import Path

from tests.shop import Db, make_shop


def _seeded(root: Path, cache: Path) -> dict[str, list[tuple[object, ...]]]:
    project = make_shop(root)
    env = {"TOOLKIT_CACHE_DIR": str(cache)}
    assert project.run("migrate", env=env).returncode == 0
    result = project.run("seed", "--all", "--count", "40", "--seed", "8", "--now", "2026-05-01", env=env)
    assert result.returncode == 0, result.stderr
    return Db(project).dump()


def test_kept_draws_make_the_rows_fresh_draws_make(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fresh = _seeded(tmp_path / "a", cache)
    kept = sorted(cache.glob("faker-*.json"))
    assert kept  # the pools were kept
    assert _seeded(tmp_path / "b", cache) == fresh  # from the files
    for f in kept:
        f.write_text("{not json")
    assert _seeded(tmp_path / "c", cache) == fresh  # a broken file is drawn again
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert _seeded(tmp_path / "d", blocked) == fresh  # a cache that can't be written: no cache
