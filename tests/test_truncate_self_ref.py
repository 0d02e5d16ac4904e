"""`seed --truncate` empties a table whose rows point at rows of the same table, whatever
the foreign key's ON DELETE rule, on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import model_project
from tests.migration_helpers import target_for

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Category(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)
    parent = fields.ForeignKeyField(
        "models.Category", null=True, on_delete=fields.RESTRICT, related_name="children"
    )

    class Meta:
        table = "t_categories"


class Folder(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)
    parent = fields.ForeignKeyField(
        "models.Folder", null=True, on_delete=fields.NO_ACTION, related_name="children"
    )

    class Meta:
        table = "t_folders"


class Node(Model):
    id = fields.IntField(primary_key=True)
    parent = fields.ForeignKeyField("models.Node", on_delete=fields.RESTRICT, related_name="children")

    class Meta:
        table = "t_nodes"


class Item(Model):
    id = fields.IntField(primary_key=True)
    category = fields.ForeignKeyField(
        "models.Category", on_delete=fields.RESTRICT, related_name="items"
    )

    class Meta:
        table = "t_items"
"""


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def tree(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    project = model_project(tmp_path / "tree", MODELS)
    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(request.param)
    target = target_for(request.param, project, request.getfixturevalue(server) if server else None)
    assert project.run("migrate", env=target.env).returncode == 0
    return project, target


def _linked(target, table: str) -> int:  # type: ignore[no-untyped-def]
    return target.query(f"SELECT count(*) FROM {table} WHERE parent_id IS NOT NULL AND parent_id <> id")[0][0]


def test_truncate_empties_self_referencing_tables_with_restrict_and_no_action(tree) -> None:  # type: ignore[no-untyped-def]
    project, target = tree
    first = project.run(
        "seed", "--model", "Category", "--model", "Folder", "--model", "Node",
        "--count", "300", "--seed", "1", env=target.env,
    )
    assert first.returncode == 0, first.stderr
    for table in ("t_categories", "t_folders", "t_nodes"):
        assert _linked(target, table) > 100, table  # the rows do point at each other
    again = project.run(
        "seed", "--truncate", "--model", "Category", "--model", "Folder", "--model", "Node",
        "--count", "200", "--seed", "2", "--force", env=target.env,
    )
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    for table in ("t_categories", "t_folders", "t_nodes"):
        assert target.query(f"SELECT count(*) FROM {table}") == [(200,)], table
        assert _linked(target, table) > 50, table


def test_truncate_still_protects_rows_of_other_tables(tree) -> None:  # type: ignore[no-untyped-def]
    project, target = tree
    first = project.run("seed", "--model", "Item", "--count", "50", "--seed", "1", env=target.env)
    assert first.returncode == 0, first.stderr
    categories = target.query("SELECT count(*) FROM t_categories")[0][0]
    again = project.run(
        "seed", "--truncate", "--model", "Category", "--count", "20", "--force", env=target.env
    )
    assert again.returncode != 0
    err = again.stderr.strip()
    assert len(err.splitlines()) == 1 and "t_items" in err, err
    # Nothing was emptied: neither the categories nor the items that point at them.
    assert target.query("SELECT count(*) FROM t_categories") == [(categories,)]
    assert target.query("SELECT count(*) FROM t_items") == [(50,)]


def test_rows_of_a_table_outside_the_models_keep_their_parents(tree) -> None:  # type: ignore[no-untyped-def]
    project, target = tree
    first = project.run("seed", "--model", "Node", "--count", "30", "--seed", "1", env=target.env)
    assert first.returncode == 0, first.stderr
    target.query(
        "CREATE TABLE t_outside (id INT PRIMARY KEY, node_id INT NOT NULL, "
        "FOREIGN KEY (node_id) REFERENCES t_nodes (id) ON DELETE RESTRICT)"
    )
    target.query("INSERT INTO t_outside VALUES (1, 7)")
    again = project.run(
        "seed", "--truncate", "--model", "Node", "--count", "10", "--force", env=target.env
    )
    assert again.returncode != 0
    err = again.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "t_outside" in err and "empty t_outside first" in err, err
    assert again.returncode == 2
    assert target.query("SELECT count(*) FROM t_nodes") == [(30,)]
    assert target.query("SELECT node_id FROM t_outside") == [(7,)]
