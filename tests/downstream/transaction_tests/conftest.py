"""As tests/conftest.py: tell the outer test which database the plugin made."""

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def record_database(toolkit_db):
    record = os.environ.get("TOOLKIT_DOWNSTREAM_RECORD")
    if record:
        Path(record).write_text(f"{toolkit_db.dialect} {toolkit_db.name}\n")
