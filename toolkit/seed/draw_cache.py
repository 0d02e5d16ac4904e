"""Faker draws kept on disk, so a pool is made once per machine, not once per process.

A Faker call costs 30-200 µs: the few thousand draws behind the pools of a table (cities,
companies, sentences) cost up to a second, paid by every `toolkit seed`, every factory
call in a fresh process, every test. The draws depend only on (Faker version, locale,
what is drawn, how many), all in the file name, so a kept file is always the one a new
draw would make. A cache that can't be read or written is skipped, never an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    """`TOOLKIT_CACHE_DIR`, else `$XDG_CACHE_HOME/toolkit`, else `~/.cache/toolkit`."""
    given = os.environ.get("TOOLKIT_CACHE_DIR")
    if given:
        return Path(given)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "toolkit"


def _file(locale: str, key: str, count: int) -> Path:
    from faker import VERSION

    digest = hashlib.sha256(f"{VERSION}\0{locale}\0{key}\0{count}".encode()).hexdigest()[:24]
    return cache_dir() / f"faker-{digest}.json"


def drawn(faker: Any, locale: str, key: str, count: int, make: Callable[[], Any]) -> list[Any]:
    """`count` values of `make()` with Faker seeded by (locale, key), from the cache if kept."""
    path = _file(locale, key, count)
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(kept, list) and len(kept) == count:
            return kept
    except (OSError, ValueError):
        pass
    faker.seed_instance(f"{locale}:{key}")
    values = [make() for _ in range(count)]
    if all(isinstance(v, str) for v in values):
        _keep(path, values)
    return values


def _keep(path: Path, values: list[str]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".faker-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(values, out, ensure_ascii=False)
        os.replace(tmp, path)  # whole or not at all: another process may read it now
    except OSError:
        pass
