"""The downstream project's own fixtures: nothing but what toolkit's plugin gives."""

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def record_database(toolkit_db):
    """Tell the outer test which database the plugin made (it checks that it is gone)."""
    record = os.environ.get("TOOLKIT_DOWNSTREAM_RECORD")
    if record:
        Path(record).write_text(f"{toolkit_db.dialect} {toolkit_db.name}\n")
