"""The moment a run's dates and times are spread back from: its "now".

A run's anchor is the day it started (UTC midnight), or the `--now` it was given, and is
kept in the ledger with the run, so `--resume` and every shard of it make the same rows.
The same seed and anchor always give the same rows; the same seed on another day gives
the same people with times moved along.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from toolkit.errors import UsageError

# Runs recorded before anchors were kept were spread back from this day.
LEGACY_ANCHOR = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def today() -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    return dt.datetime(now.year, now.month, now.day, tzinfo=dt.UTC)


def parse_now(text: str) -> dt.datetime:
    """`--now 2026-03-01` or `--now 2026-03-01T12:00:00+02:00`; naive times are UTC."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--now {text!r} is not a date or time; give one like 2026-03-01 or 2026-03-01T12:00:00") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def of_run(settings: Mapping[str, Any]) -> dt.datetime:
    """The anchor a ledger run was made with."""
    kept = settings.get("now")
    return dt.datetime.fromisoformat(kept) if kept else LEGACY_ANCHOR
