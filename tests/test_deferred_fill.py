"""Deferred references (a table pointing at itself) are filled FILL_BATCH keys at a time:
bounded memory at any count, each batch with choices of its own, trees never loops."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import model_project, query_db
from toolkit.seed.deferred import FILL_BATCH

MODELS = """
from tortoise import fields, models


class Node(models.Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=20)
    parent = fields.ForeignKeyField("models.Node", null=True, related_name="children")

    class Meta:
        table = "nodes"
"""


def test_a_self_reference_past_one_fill_batch_is_filled_in_batches_of_their_own(tmp_path: Path) -> None:
    project = model_project(tmp_path / "tree", MODELS)
    assert project.run("migrate").returncode == 0
    count = 2 * FILL_BATCH + 5000
    args = ["seed", "--model", f"Node={count}", "--seed", "4", "--indexes", "live"]
    seeded = project.run(*args)
    assert seeded.returncode == 0, seeded.stderr
    rows = dict(query_db("SELECT id, parent_id FROM nodes", sqlite_path=project.sqlite_path))
    assert len(rows) == count
    # Trees: a parent comes earlier in key order, and exists.
    assert all(p is None or (p < k and p in rows) for k, p in rows.items())
    roots = sum(p is None for p in rows.values())
    assert 0 < roots < len(rows) / 2
    # Each batch of the fill made choices of its own, not the first batch's again.
    ids = sorted(rows)
    first = [ids[i] - (rows[ids[i]] or 0) for i in range(1000, 2000)]
    later = [ids[i] - (rows[ids[i]] or 0) for i in range(FILL_BATCH + 1000, FILL_BATCH + 2000)]
    assert first != later


async def test_the_keys_to_fill_come_a_batch_at_a_time_whatever_the_count(tmp_path: Path) -> None:
    from toolkit.db import app_models, orm
    from toolkit.seed.deferred import _run_keys
    from toolkit.seed.ledger import Run
    from toolkit.seed.request import SeedRequest
    from toolkit.seed.table import all_tables
    from toolkit.settings import resolve

    project = model_project(tmp_path / "tree", MODELS)
    settings = resolve(config=project.root / "config" / "toolkit.toml", environ={}, cwd=project.root)
    async with orm(settings, url="sqlite://:memory:"):
        table = all_tables(app_models(settings))["Node"]
    # Three million rows: listed whole (as it was), the first item is a key, not a batch.
    run = Run("r", "nodes", 4, 0, 3_000_000, 1, 10, {"deferred": ["parent_id"]})
    batches = _run_keys(table, None, run, SeedRequest())
    first = next(iter(batches))
    assert isinstance(first, list) and first[:2] == [11, 12] and len(first) == FILL_BATCH
