"""The PostgreSQL migration linter: each rule fires on the risky statement and not on its safe
variant, nothing done to a table created in the same migration is a finding, an accept marker
accepts, files are read without a database, and the JSON and docs stay stable. Pure Python."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.migration_helpers import write_migration
from toolkit.migrations.lint import (
    JSON_KEYS,
    RULES,
    Finding,
    Schema,
    accepted_rules,
    lint_file,
    lint_files,
    lint_sql,
    to_json,
)

LINT_MD = REPO / "docs" / "lint.md"
INIT = next((REPO / "migrations" / "models").glob("0_*.py"))
# What the init migration creates, as a later migration's schema knows it.
USERS = 'CREATE TABLE "users" ("id" BIGSERIAL NOT NULL PRIMARY KEY, "city" VARCHAR(128), "score" NUMERIC(10,2), "age" INT, "seen" TIMESTAMP(3));'


def rules(sql: str, **kwargs: object) -> list[str]:
    return [f.rule for f in lint_sql("m", sql, **kwargs)]  # type: ignore[arg-type]


def known() -> Schema:
    """The schema after the init migration: users' column types are known."""
    schema = Schema()
    lint_sql("0_init", USERS, schema=schema)
    return schema


# rule -> a statement on the existing table "users" that triggers it.
UNSAFE = {
    "index-not-concurrent": 'CREATE INDEX "idx_users_city" ON "users" ("city");',
    "concurrently-in-transaction": 'CREATE INDEX CONCURRENTLY "idx_users_city" ON "users" ("city");',
    "foreign-key-not-valid": 'ALTER TABLE "users" ADD CONSTRAINT "fk_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id");',
    "check-not-valid": 'ALTER TABLE "users" ADD CONSTRAINT "age_positive" CHECK ("age" > 0);',
    "validate-in-same-transaction": (
        'ALTER TABLE "users" ADD CONSTRAINT "fk_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") NOT VALID;\n'
        'ALTER TABLE "users" VALIDATE CONSTRAINT "fk_team";'
    ),
    "not-null-without-check": 'ALTER TABLE "users" ALTER COLUMN "city" SET NOT NULL;',
    "column-type-rewrite": 'ALTER TABLE "users" ALTER COLUMN "age" TYPE BIGINT USING "age"::BIGINT;',
    "add-column-volatile-default": 'ALTER TABLE "users" ADD "token" UUID NOT NULL DEFAULT gen_random_uuid();',
    "not-null-column-without-default": 'ALTER TABLE "users" ADD "nickname" VARCHAR(20) NOT NULL;',
    "unique-constraint-builds-index": 'ALTER TABLE "users" ADD CONSTRAINT "uid_users_city" UNIQUE ("city");',
    "rename-column": 'ALTER TABLE "users" RENAME COLUMN "city" TO "town";',
    "rename-table": 'ALTER TABLE "users" RENAME TO "people";',
    "drop-column": 'ALTER TABLE "users" DROP COLUMN "city";',
    "drop-table": 'DROP TABLE "users";',
}
# rule -> the safe way to the same end (linted with in_transaction=False: each is alone in
# its migration, as CONCURRENTLY must be), expected to give no finding at all.
SAFE = {
    "index-not-concurrent": 'CREATE INDEX CONCURRENTLY "idx_users_city" ON "users" ("city");',
    "concurrently-in-transaction": 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_users_city" ON "users" ("city");',
    "foreign-key-not-valid": 'ALTER TABLE "users" ADD CONSTRAINT "fk_team" FOREIGN KEY ("team_id") REFERENCES "teams" ("id") NOT VALID;',
    "check-not-valid": 'ALTER TABLE "users" ADD CONSTRAINT "age_positive" CHECK ("age" > 0) NOT VALID;',
    "validate-in-same-transaction": 'ALTER TABLE "users" VALIDATE CONSTRAINT "fk_team";',
    "not-null-without-check": (
        'ALTER TABLE "users" VALIDATE CONSTRAINT "city_not_null";\n'
        'ALTER TABLE "users" ALTER COLUMN "city" SET NOT NULL;\n'
        'ALTER TABLE "users" DROP CONSTRAINT "city_not_null";'
    ),
    "column-type-rewrite": 'ALTER TABLE "users" ALTER COLUMN "city" TYPE VARCHAR(255) USING "city"::VARCHAR(255);',
    "add-column-volatile-default": 'ALTER TABLE "users" ADD "joined_at" TIMESTAMPTZ NOT NULL DEFAULT now();',
    "not-null-column-without-default": "ALTER TABLE \"users\" ADD \"nickname\" VARCHAR(20) NOT NULL DEFAULT '';",
    "unique-constraint-builds-index": 'ALTER TABLE "users" ADD CONSTRAINT "uid_users_city" UNIQUE USING INDEX "uid_users_city";',
    "rename-column": 'ALTER TABLE "users" RENAME CONSTRAINT "age_positive" TO "age_above_zero";',
    "rename-table": 'ALTER INDEX "idx_users_city" RENAME TO "idx_users_town";',
    "drop-column": 'ALTER TABLE "users" ALTER COLUMN "city" DROP NOT NULL;',
    "drop-table": 'DROP INDEX CONCURRENTLY "idx_users_city";',
}


def safe_schema() -> Schema:
    """What the safe variants' earlier migrations did: the init, then `CHECK ... NOT VALID`."""
    schema = known()
    earlier = 'ALTER TABLE "users" ADD CONSTRAINT "city_not_null" CHECK ("city" IS NOT NULL) NOT VALID;'
    assert lint_sql("1_check", earlier, schema=schema) == []
    return schema


def test_every_rule_has_a_risky_and_a_safe_example() -> None:
    assert set(UNSAFE) == set(SAFE) == set(RULES)


@pytest.mark.parametrize("rule", sorted(UNSAFE))
def test_the_risky_statement_is_a_finding_of_its_rule(rule: str) -> None:
    (finding,) = lint_sql("5_change", UNSAFE[rule], schema=known())
    assert (finding.rule, finding.migration) == (rule, "5_change")
    assert (finding.reason, finding.fix) == (RULES[rule].reason, RULES[rule].fix)
    assert finding.table == ("users" if rule != "concurrently-in-transaction" else None)
    assert finding.accepted is False
    assert finding.line == UNSAFE[rule].count("\n") + 1
    assert finding.statement == UNSAFE[rule].splitlines()[-1][:120]


@pytest.mark.parametrize("rule", sorted(SAFE))
def test_the_safe_variant_is_no_finding(rule: str) -> None:
    assert lint_sql("5_change", SAFE[rule], in_transaction=False, schema=safe_schema()) == []


@pytest.mark.parametrize("rule", sorted(set(UNSAFE) - {"concurrently-in-transaction"}))
def test_nothing_done_to_a_table_created_in_the_same_migration_is_a_finding(rule: str) -> None:
    create = 'CREATE TABLE IF NOT EXISTS "users" ("id" BIGSERIAL NOT NULL PRIMARY KEY, "city" TEXT, "age" INT);\n'
    assert rules(create + UNSAFE[rule]) == []
    assert rules(UNSAFE[rule], new_tables={"users"}) == []


def test_concurrently_fails_in_a_transaction_or_among_other_statements() -> None:
    alone = SAFE["index-not-concurrent"]
    assert rules(alone) == ["concurrently-in-transaction"]  # RUN_IN_TRANSACTION's default
    assert rules(alone, in_transaction=False) == []
    # The server runs a multi-statement script as one implicit transaction.
    assert rules(alone + '\nDROP INDEX CONCURRENTLY "old";', in_transaction=False) == ["concurrently-in-transaction"] * 2
    # It is a failure, not a lock: a new table is no excuse.
    assert rules('CREATE TABLE "tags" ("id" INT);\nCREATE INDEX CONCURRENTLY "i" ON "tags" ("id");') == [
        "concurrently-in-transaction"
    ]


@pytest.mark.parametrize(
    "sql",
    [
        'CREATE UNIQUE INDEX IF NOT EXISTS "uid_users_email" ON ONLY public.users USING btree ("email");',
        'ALTER TABLE "users" ADD "team_id" INT REFERENCES "teams" ("id");',
        'ALTER TABLE "users" ADD UNIQUE ("city");',
        'ALTER TABLE "users" ADD PRIMARY KEY ("id");',
        'ALTER TABLE "users" ADD COLUMN "code" VARCHAR(8) UNIQUE;',
        'ALTER TABLE "users" ADD "stamp" TIMESTAMPTZ DEFAULT clock_timestamp();',
        'ALTER TABLE "users" ADD COLUMN "n" BIGSERIAL;',
        'ALTER TABLE "users" ADD "n" INT GENERATED ALWAYS AS IDENTITY;',
        'ALTER TABLE "users" ADD "double_age" INT GENERATED ALWAYS AS ("age" * 2) STORED;',
        'ALTER TABLE "users" RENAME "city" TO "town";',
        'ALTER TABLE IF EXISTS ONLY "public"."users" DROP IF EXISTS "city";',
        'ALTER TABLE "users" ADD CONSTRAINT "uid" UNIQUE ("city") USING INDEX TABLESPACE "fast";',
    ],
)
def test_other_spellings_of_a_risky_statement_are_findings_too(sql: str) -> None:
    assert [f.table for f in lint_sql("m", sql)] == ["users"]


def test_drop_table_names_each_existing_table() -> None:
    found = lint_sql("m", 'CREATE TABLE "tmp" ("id" INT);\nDROP TABLE IF EXISTS "tmp", "users", public.orders CASCADE;')
    assert [(f.rule, f.table) for f in found] == [("drop-table", "users"), ("drop-table", "orders")]


def test_set_not_null_needs_a_valid_check_on_that_very_column() -> None:
    schema = known()
    lint_sql("1", 'ALTER TABLE "users" ADD CONSTRAINT "age_nn" CHECK ("age" IS NOT NULL) NOT VALID;', schema=schema)
    set_not_null = 'ALTER TABLE "users" VALIDATE CONSTRAINT "age_nn";\nALTER TABLE "users" ALTER COLUMN "city" SET NOT NULL;'
    assert rules(set_not_null, schema=schema) == ["not-null-without-check"]  # a check on another column
    not_validated = 'ALTER TABLE "users" ALTER COLUMN "age" SET NOT NULL;'
    fresh = known()
    lint_sql("1", 'ALTER TABLE "users" ADD CONSTRAINT "age_nn" CHECK ((("age" IS NOT NULL))) NOT VALID;', schema=fresh)
    assert rules(not_validated, schema=fresh) == ["not-null-without-check"]
    assert rules('ALTER TABLE "users" VALIDATE CONSTRAINT "age_nn";\n' + not_validated, schema=fresh) == []
    either = known()
    lint_sql("1", 'ALTER TABLE "users" ADD CONSTRAINT "c" CHECK (("age" IS NOT NULL) OR ("city" > \'\')) NOT VALID;', schema=either)
    assert rules('ALTER TABLE "users" VALIDATE CONSTRAINT "c";\n' + not_validated, schema=either) == ["not-null-without-check"]


def test_not_valid_is_read_after_the_constraint_not_inside_it() -> None:
    assert rules('ALTER TABLE "users" ADD CONSTRAINT "c" CHECK (NOT valid);') == ["check-not-valid"]
    assert rules('ALTER TABLE "users" ADD CONSTRAINT "fk" FOREIGN KEY ("t") REFERENCES "teams" NOT VALID DEFERRABLE;') == []


@pytest.mark.parametrize(
    ("change", "rewrites"),
    [
        ('"city" TYPE VARCHAR(255)', False),
        ('"city" TYPE CHARACTER VARYING(128)', False),  # the same type, spelled out
        ('"city" TYPE VARCHAR', False),
        ('"city" TYPE TEXT USING "city"::TEXT', False),
        ('"score" TYPE NUMERIC(14,2)', False),
        ('"score" SET DATA TYPE DECIMAL', False),
        ('"seen" TYPE TIMESTAMP(6)', False),
        ('"city" TYPE VARCHAR(64)', True),  # shorter: every row is checked and rewritten
        ('"city" TYPE VARCHAR(255) COLLATE "C"', True),  # a new collation rebuilds the indexes
        ('"city" TYPE VARCHAR(255) USING lower("city")', True),
        ('"score" TYPE NUMERIC(14,3)', True),
        ('"age" TYPE BIGINT', True),
        ('"seen" TYPE TIMESTAMPTZ', True),
        ('"unknown" TYPE VARCHAR(255)', True),  # no earlier migration said what it was
    ],
)
def test_only_documented_widenings_of_a_known_type_escape_column_type_rewrite(change: str, rewrites: bool) -> None:
    sql = f'ALTER TABLE "users" ALTER COLUMN {change};'
    assert rules(sql, schema=known()) == (["column-type-rewrite"] if rewrites else [])


def test_a_type_learned_in_the_same_script_counts() -> None:
    sql = 'ALTER TABLE "users" ADD "bio" VARCHAR(100);\nALTER TABLE "users" ALTER COLUMN "bio" TYPE TEXT;'
    assert rules(sql) == []


def test_quotes_comments_and_function_bodies_are_not_statements() -> None:
    sql = """
-- DROP TABLE "users";
/* CREATE INDEX "x" ON "users" ("city"); */
INSERT INTO "notes" ("body") VALUES ('DROP TABLE "users"; CREATE INDEX i ON users (city)');
CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN ALTER TABLE users DROP COLUMN city; END $body$ LANGUAGE plpgsql;
ALTER TABLE "users" ADD "label" TEXT DEFAULT 'gen_random_uuid()';
COMMENT ON COLUMN "users"."city" IS 'DROP COLUMN';
"""
    assert rules(sql) == []


def test_a_truncated_statement_is_no_crash() -> None:
    assert rules('ALTER TABLE "users" ADD CONSTRAINT') == []
    assert rules('ALTER TABLE "users" DROP CONSTRAINT') == []
    assert rules("CREATE INDEX") == []


def test_lines_point_at_each_statement_not_at_its_leading_comment() -> None:
    sql = '\nCREATE TABLE "t" ("id" INT);\n\n-- why\n-- and why\nDROP TABLE "users";\nALTER TABLE "users"\n  DROP COLUMN "city";'
    assert [(f.rule, f.line) for f in lint_sql("m", sql)] == [("drop-table", 6), ("drop-column", 7)]
    long = 'ALTER TABLE "users" DROP COLUMN "' + "c" * 200 + '";'
    assert len(lint_sql("m", long)[0].statement) == 120


def test_an_accept_marker_accepts_only_the_rules_it_names() -> None:
    sql = "-- toolkit-lint: accept index-not-concurrent\n" + UNSAFE["index-not-concurrent"] + "\n" + UNSAFE["drop-column"]
    found = {f.rule: f.accepted for f in lint_sql("m", sql)}
    assert found == {"index-not-concurrent": True, "drop-column": False}


def test_accepted_rules_reads_python_and_sql_markers() -> None:
    text = (
        "# toolkit-lint: accept drop-column, rename-table -- the old name is a view now\n"
        "x = 1  # TOOLKIT-LINT: Accept index-not-concurrent\n"
        '"""-- toolkit-lint: accept check-not-valid"""\n'
        "# toolkit-lint: nothing here\n"
    )
    assert accepted_rules(text) == {"drop-column", "rename-table", "index-not-concurrent", "check-not-valid"}
    assert accepted_rules("no marker") == set()


def _project(tmp_path: Path) -> Path:
    (tmp_path / "migrations" / "models").mkdir(parents=True)
    return tmp_path


def test_lint_file_reads_the_postgres_sql_without_a_database(tmp_path: Path) -> None:
    path = write_migration(
        _project(tmp_path), 1, "city_index", '\nCREATE INDEX "idx_users_city" ON "users" ("city");',
        sqlite='CREATE INDEX "idx_users_city" ON "users" ("city"); DROP TABLE "users";',
    )
    (finding,) = lint_file(path)
    assert (finding.rule, finding.migration, finding.table) == ("index-not-concurrent", path.name, "users")
    # The line is the file's, so an editor can jump to it.
    assert path.read_text().splitlines()[finding.line - 1].startswith('CREATE INDEX "idx_users_city"')


def test_lint_file_honours_the_accept_marker_and_run_in_transaction(tmp_path: Path) -> None:
    root = _project(tmp_path)
    path = write_migration(root, 1, "index", SAFE["index-not-concurrent"])
    assert [f.rule for f in lint_file(path)] == ["concurrently-in-transaction"]
    path.write_text(path.read_text().replace("RUN_IN_TRANSACTION = True", "RUN_IN_TRANSACTION = False"))
    assert lint_file(path) == []
    dropped = write_migration(root, 2, "drop", UNSAFE["drop-column"])
    dropped.write_text("# toolkit-lint: accept drop-column -- unused since v2\n" + dropped.read_text())
    assert [(f.rule, f.accepted) for f in lint_file(dropped)] == [("drop-column", True)]


def test_a_file_without_postgres_upgrade_sql_is_skipped(tmp_path: Path) -> None:
    path = _project(tmp_path) / "migrations" / "models" / "1_2099_data.py"
    path.write_text('async def upgrade(db):\n    return "DROP TABLE users"\n')
    assert lint_file(path) == []
    path.write_text('UPGRADE = {"sqlite": "DROP TABLE users"}\n')
    assert lint_file(path) == []


def test_lint_files_knows_the_types_earlier_files_defined(tmp_path: Path) -> None:
    root = _project(tmp_path)
    init = root / "migrations" / "models" / INIT.name
    shutil.copy(INIT, init)
    wider = write_migration(root, 1, "wider", 'ALTER TABLE "users" ALTER COLUMN "city" TYPE VARCHAR(255) USING "city"::VARCHAR(255);')
    assert lint_file(init) == []  # the real init migration only creates tables
    assert lint_files([init, wider]) == []
    assert [f.rule for f in lint_file(wider)] == ["column-type-rewrite"]  # alone: type unknown
    narrower = write_migration(root, 2, "narrower", 'ALTER TABLE "users" ALTER COLUMN "city" TYPE VARCHAR(100);')
    assert [(f.rule, f.migration) for f in lint_files([init, wider, narrower])] == [("column-type-rewrite", narrower.name)]


def test_the_json_shape_is_stable() -> None:
    finding = lint_sql("3_x", UNSAFE["drop-table"])[0]
    (obj,) = to_json([finding])
    assert list(obj) == list(JSON_KEYS) == ["rule", "migration", "statement", "line", "reason", "fix", "table", "accepted", "rows", "downgraded"]
    assert obj == {
        "rule": "drop-table", "migration": "3_x", "statement": 'DROP TABLE "users";', "line": 1,
        "reason": RULES["drop-table"].reason, "fix": RULES["drop-table"].fix, "table": "users", "accepted": False,
        "rows": None, "downgraded": None,  # measured only against a database (lint --database)
    }
    assert json.loads(json.dumps(obj)) == obj
    assert [f.name for f in Finding.__dataclass_fields__.values()] == list(JSON_KEYS)


def test_every_rule_is_documented_with_its_reason_and_fix() -> None:
    text = LINT_MD.read_text()
    for rule in RULES.values():
        assert f"## `{rule.id}`" in text
        section = text.split(f"## `{rule.id}`", 1)[1].split("\n## ", 1)[0]
        assert rule.reason in section and rule.fix in section, rule.id
    for key in JSON_KEYS:
        assert f'"{key}"' in text


def test_rule_wording_is_one_line_each() -> None:
    for rule in RULES.values():
        assert "\n" not in rule.reason + rule.fix
        assert rule.id == rule.id.lower() and " " not in rule.id
