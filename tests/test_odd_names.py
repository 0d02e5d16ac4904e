"""SQL that survives any name: table and column names holding `?`, `%`, `$1`, quotes,
spaces, unicode and SQL keywords migrate, seed (batch and bulk paths), resume, truncate and
roll back on every backend. toolkit places parameters without rewriting the text of names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import model_project
from tests.migration_helpers import target_for

PARENT = "rates? 100% $1 'q' sélect"
# No double quote in a name: Tortoise's schema generator, whose DDL `makemigrations` writes,
# doesn't double it inside the quoted name (toolkit's own SQL does, see `quote_ident`).
CHILD = "quotes?%s order"
MODELS = f'''
from tortoise import fields, models


class Rate(models.Model):
    id = fields.IntField(primary_key=True, source_field="id? %s $1")
    name = fields.CharField(max_length=40, unique=True, source_field="na?me 50% 'it''s' ünï")
    value = fields.IntField(source_field="select")

    class Meta:
        table = {PARENT!r}


class Quote(models.Model):
    id = fields.IntField(primary_key=True)
    rate = fields.ForeignKeyField("models.Rate", related_name="quotes", source_field="rate?id %d")
    parent = fields.ForeignKeyField("models.Quote", null=True, related_name="children", source_field="$2 parent")
    text = fields.CharField(max_length=30, source_field="from")

    class Meta:
        table = {CHILD!r}
'''


def _quoted(dialect: str, name: str) -> str:
    if dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


# MySQL has no bulk path: "after" there is the batch path "live" already runs.
@pytest.mark.parametrize(
    ("kind", "indexes"),
    [("sqlite", "live"), ("sqlite", "after"), ("postgres", "live"), ("postgres", "after"), ("mysql", "live")],
)
def test_odd_names_migrate_seed_resume_truncate_and_roll_back(
    tmp_path: Path, kind: str, indexes: str, request: pytest.FixtureRequest
) -> None:
    project = model_project(tmp_path / "odd", MODELS)
    server = {"postgres": "pg_url", "mysql": "mysql_url"}.get(kind)
    target = target_for(kind, project, request.getfixturevalue(server) if server else None)
    module = next(project.root.glob("adhoc_models_*.py"))
    # A second migration alters the table: a column added, with an index, by odd names too.
    module.write_text(module.read_text().replace(
        '    value = fields.IntField(source_field="select")\n',
        '    value = fields.IntField(source_field="select")\n'
        '    note = fields.CharField(max_length=10, null=True, index=True, source_field="note? 5% $3")\n',
    ))
    made = project.run("makemigrations", "--name", "note")
    assert made.returncode == 0, made.stderr
    migrated = project.run("migrate", env=target.env)
    assert migrated.returncode == 0, migrated.stderr
    assert len(target.versions()) == 2
    assert {PARENT, CHILD} <= target.tables()
    seeded = project.run(
        "seed", "--model", "Rate=300", "--model", "Quote=500", "--indexes", indexes,
        "--batch-size", "100", "--seed", "3", env=target.env,
    )
    assert seeded.returncode == 0, seeded.stderr
    assert "Traceback" not in seeded.stderr
    parent, child = _quoted(kind, PARENT), _quoted(kind, CHILD)
    rate_id, rate_fk, parent_fk = (_quoted(kind, c) for c in ("id? %s $1", "rate?id %d", "$2 parent"))
    assert target.query(f"SELECT COUNT(*), COUNT(DISTINCT {_quoted(kind, 'select')}) FROM {parent}")[0][0] == 300
    assert target.query(f"SELECT COUNT(*) FROM {child}")[0][0] == 500
    orphans = target.query(
        f"SELECT COUNT(*) FROM {child} c LEFT JOIN {parent} p ON p.{rate_id} = c.{rate_fk} WHERE p.{rate_id} IS NULL"
    )
    assert orphans[0][0] == 0
    strays = target.query(
        f"SELECT COUNT(*) FROM {child} c WHERE c.{parent_fk} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {child} p WHERE p.id = c.{parent_fk})"
    )
    assert strays[0][0] == 0
    again = project.run("seed", "--resume", env=target.env)
    assert again.returncode == 0, again.stderr
    assert "Nothing to resume" in again.stdout
    more = project.run("seed", "--model", "Rate=20", env=target.env)
    assert more.returncode == 0, more.stderr
    assert target.query(f"SELECT COUNT(*) FROM {parent}")[0][0] == 320
    dry = project.run("seed", "--model", "Rate=5", "--dry-run", env=target.env)
    assert dry.returncode == 0, dry.stderr
    emptied = project.run("seed", "--model", "Quote=7", "--truncate", "--force", env=target.env)
    assert emptied.returncode == 0, emptied.stderr
    assert target.query(f"SELECT COUNT(*) FROM {child}")[0][0] == 7
    back = project.run("rollback", "--to", "zero", env=target.env)
    assert back.returncode == 0, back.stderr
    assert not {PARENT, CHILD} & target.tables()
