"""Lint a migration's PostgreSQL script for statements that lock or rewrite a busy table.

Pure: no database, no printing, no click. Statements are tokenised (quotes, comments, dollar
quotes kept whole) and matched against `RULES`, the only wording a finding carries, so
docs/lint.md and the JSON stay stable. A table the migration creates has no traffic yet:
nothing done to it is a finding but `concurrently-in-transaction`, which PostgreSQL refuses.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.migrations.statements import split


@dataclass(frozen=True)
class Rule:
    """A stable id, and the one line of reason and of fix that every finding of it carries."""

    id: str
    reason: str
    fix: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("index-not-concurrent", "CREATE INDEX holds a SHARE lock on the table for the whole build: every write waits",
         "CREATE INDEX CONCURRENTLY, alone in a migration with RUN_IN_TRANSACTION = False"),
    Rule("concurrently-in-transaction", "CONCURRENTLY cannot run in a transaction block, and a transactional or multi-statement migration is one: it fails",
         "give the statement a migration of its own, alone in the script, with RUN_IN_TRANSACTION = False"),
    Rule("foreign-key-not-valid", "adding a foreign key scans the whole table while writes to it and to the referenced table wait",
         "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then VALIDATE CONSTRAINT in a later migration"),
    Rule("check-not-valid", "adding a CHECK constraint scans the whole table under an ACCESS EXCLUSIVE lock: reads and writes wait",
         "ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later migration"),
    Rule("validate-in-same-transaction", "the lock ADD CONSTRAINT ... NOT VALID took is held until commit, so a VALIDATE in the same transaction scans under it",
         "VALIDATE CONSTRAINT in a later migration than the one that adds the constraint NOT VALID"),
    Rule("not-null-without-check", "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock unless a valid CHECK (col IS NOT NULL) proves it",
         "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; in a later migration VALIDATE CONSTRAINT c, SET NOT NULL, DROP CONSTRAINT c"),
    Rule("column-type-rewrite", "changing a column's type rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock (bar a few widenings)",
         "add a column of the new type, backfill it in batches, switch the code over, then drop the old column"),
    Rule("add-column-volatile-default", "a volatile default (clock_timestamp(), random(), gen_random_uuid(), serial, identity...) rewrites the table under an ACCESS EXCLUSIVE lock",
         "add the column without that default (a constant one is fine), then SET DEFAULT and backfill the old rows in batches"),
    Rule("not-null-column-without-default", "adding a NOT NULL column without a default fails on a table that has rows",
         "add it nullable or with a constant DEFAULT, backfill, then make it NOT NULL through a validated CHECK"),
    Rule("unique-constraint-builds-index", "ADD UNIQUE / PRIMARY KEY builds its index under an ACCESS EXCLUSIVE lock: reads and writes wait",
         "CREATE UNIQUE INDEX CONCURRENTLY in one migration, then ADD CONSTRAINT ... UNIQUE USING INDEX in the next"),
    Rule("rename-column", "the code still running during and after the deploy reads and writes the old column name, and fails",
         "add the new column, write both, backfill, move reads over, drop the old column in a later release"),
    Rule("rename-table", "the code still running during and after the deploy queries the old table name, and fails",
         "create the new table (or a view under the old name), move the code over, drop the old name in a later release"),
    Rule("drop-column", "the code still running during and after the deploy selects or inserts the column, and fails (the data is gone too)",
         "deploy code that no longer uses the column first, then drop it in a later migration"),
    Rule("drop-table", "the code still running during and after the deploy queries the table, and fails (the data is gone too)",
         "deploy code that no longer uses the table first, then drop it in a later migration"),
)}
# The keys of `to_json`'s objects, in order: part of the documented output (docs/lint.md).
JSON_KEYS = ("rule", "migration", "statement", "line", "reason", "fix", "table", "accepted", "rows", "downgraded")


@dataclass(frozen=True)
class Finding:
    rule: str
    migration: str
    statement: str  # the statement, whitespace collapsed, first 120 characters
    line: int  # where the statement starts: in the script (lint_sql) or the file (lint_file)
    reason: str
    fix: str
    table: str | None
    accepted: bool
    rows: int | None = None  # the table's rows, when linted against a database (lint_rank)
    downgraded: str | None = None  # why it is safe there: "table is empty: safe"


@dataclass
class Schema:
    """What earlier migrations told us, threaded through a folder by `lint_files`:
    column types (for safe widenings) and CHECK constraints (for SET NOT NULL)."""

    types: dict[tuple[str, str], tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    # (table, constraint) -> (the column a `CHECK (col IS NOT NULL)` covers or None, valid)
    checks: dict[tuple[str, str], tuple[str | None, bool]] = field(default_factory=dict)


@dataclass
class _Script:
    new_tables: set[str]
    one_transaction: bool
    schema: Schema
    not_valid: set[tuple[str, str]] = field(default_factory=set)  # added NOT VALID here
    found: list[tuple[str, str | None]] = field(default_factory=list)  # this statement's

    def flag(self, rule: str, table: str | None) -> None:
        if rule == "concurrently-in-transaction" or table not in self.new_tables:
            self.found.append((rule, table))


_TOKEN = re.compile(
    r"""\s+ | --[^\n]* | /\*.*?\*/
    | (?P<tok> "(?:[^"]|"")*" | [EeBbXxNnUu]?&?'(?:[^']|'')*' | \$\$.*?\$\$
      | \$(?P<tag>[A-Za-z_]\w*)\$.*?\$(?P=tag)\$ | [A-Za-z_][\w$]* | \d+(?:\.\d+)? | :: | \S )""",
    re.S | re.X,
)
_ACCEPT = re.compile(r"(?:#|--)\s*toolkit-lint:\s*accept\b([^\n]*)", re.I)
# Words that end a column's type in a column definition.
_COLUMN_WORDS = frozenset({"NOT", "NULL", "DEFAULT", "PRIMARY", "UNIQUE", "REFERENCES", "CHECK",
                           "CONSTRAINT", "COLLATE", "GENERATED", "USING", "DEFERRABLE", "INITIALLY"})
_TABLE_CONSTRAINTS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE"})
# The volatile functions a default is commonly given (now() and CURRENT_TIMESTAMP are STABLE:
# PostgreSQL 11+ stores their one value as a "fast default", no rewrite; tested on PG 15).
_VOLATILE = frozenset({"clock_timestamp", "timeofday", "random", "gen_random_uuid", "uuid_generate_v1",
                       "uuid_generate_v1mc", "uuid_generate_v4", "nextval", "txid_current"})
_SERIAL = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})
_ALIASES = {  # the spellings of a type, to PostgreSQL's own name
    "character varying": "varchar", "character": "bpchar", "char": "bpchar", "decimal": "numeric", "int": "int4",
    "integer": "int4", "bigint": "int8", "smallint": "int2", "boolean": "bool", "bit varying": "varbit",
    "timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp", "real": "float4",
    "time with time zone": "timetz", "time without time zone": "time", "double precision": "float8",
    "serial": "int4", "serial4": "int4", "bigserial": "int8", "serial8": "int8", "smallserial": "int2", "serial2": "int2",
}
# Types whose modifier is a length or precision that may grow without a rewrite or reindex.
_GROWABLE = frozenset({"varchar", "varbit", "timestamp", "timestamptz", "time", "timetz"})


def accepted_rules(file_text: str) -> set[str]:
    """The rule ids the file accepts: `# toolkit-lint: accept rule-a, rule-b -- why` in Python,
    or the same after `--` in SQL. Text after a further ` -- ` is the reason, not a rule."""
    ids: set[str] = set()
    for match in _ACCEPT.finditer(file_text):
        ids.update(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", match.group(1).split(" --")[0].lower()))
    return ids


def lint_sql(
    name: str, sql: str, *, new_tables: set[str] | None = None, in_transaction: bool = True,
    schema: Schema | None = None,
) -> list[Finding]:
    """Findings for migration `name`'s PostgreSQL script, in statement order. `new_tables`: ones
    it creates beyond its CREATE TABLEs; `in_transaction`: the file's RUN_IN_TRANSACTION;
    `schema`: what earlier migrations defined, updated in place with what this one does."""
    return _lint(name, sql, new_tables or set(), in_transaction, schema or Schema(), accepted_rules(sql), 1)


def _lint(name: str, sql: str, new: set[str], in_tx: bool, schema: Schema, accepted: set[str], first: int) -> list[Finding]:
    statements = split(sql, "postgres")
    # The server runs a multi-statement script as one implicit transaction, even when
    # toolkit does not open one (RUN_IN_TRANSACTION = False).
    script = _Script({t.lower() for t in new}, in_tx or len(statements) > 1, schema)
    findings: list[Finding] = []
    offset = 0
    for piece in statements:
        at = sql.find(piece, offset)
        offset = at + len(piece)
        tokens, lead = _tokens(piece)
        script.found = []
        # A statement cut short (an IndexError below) is the server's to refuse, not a finding.
        with contextlib.suppress(IndexError):
            _statement(script, tokens)
        line = first + sql.count("\n", 0, at + lead)
        text = " ".join(piece[lead:].split())[:120]
        for rule, table in script.found:
            r = RULES[rule]
            findings.append(Finding(rule, name, text, line, r.reason, r.fix, table, rule in accepted))
    return findings


def _tokens(statement: str) -> tuple[list[str], int]:
    """Words upper-cased, quoted names and strings as written; and where the first one starts."""
    found = [(m.start(), m.group("tok")) for m in _TOKEN.finditer(statement) if m.group("tok")]
    tokens = [t.upper() if t[0].isalpha() or t[0] == "_" else t for _, t in found]
    return tokens[:-1] if tokens[-1:] == [";"] else tokens, found[0][0] if found else 0


def _ident(token: str) -> str:
    # PostgreSQL folds an unquoted name to lower case; a quoted one is exact.
    return token[1:-1].replace('""', '"') if token.startswith('"') else token.lower()


def _qualified(tokens: list[str], i: int) -> tuple[str, int]:
    """The last part of the (schema-)qualified name at `i`, and the index after it."""
    name = _ident(tokens[i]) if i < len(tokens) else ""
    while i + 2 < len(tokens) and tokens[i + 1] == ".":
        i += 2
        name = _ident(tokens[i])
    return name, i + 1


def _skip(tokens: list[str], i: int, *words: str) -> int:
    """Skip any of the optional `words` (e.g. IF, NOT, EXISTS, ONLY) at `i`."""
    while i < len(tokens) and tokens[i] in words:
        i += 1
    return i


def _parts(tokens: list[str]) -> list[list[str]]:
    """`tokens` cut at the commas outside parentheses, up to an unmatched `)`."""
    parts: list[list[str]] = [[]]
    depth = 0
    for token in tokens:
        depth += (token in "([") - (token in ")]")
        if depth < 0:
            break
        if token == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(token)
    return [p for p in parts if p]


def _statement(script: _Script, tokens: list[str]) -> None:
    head = tokens[:1]
    if head in (["CREATE"], ["DROP"], ["REINDEX"]) and "CONCURRENTLY" in tokens[:6] and script.one_transaction:
        script.flag("concurrently-in-transaction", None)
    if head == ["CREATE"]:
        i = _skip(tokens, 1, "UNLOGGED", "TEMP", "TEMPORARY", "GLOBAL", "LOCAL", "OR", "REPLACE")
        if tokens[i : i + 1] == ["TABLE"]:
            _create_table(script, tokens, _skip(tokens, i + 1, "IF", "NOT", "EXISTS"))
        elif "INDEX" in tokens[i : i + 2] and "ON" in tokens and "CONCURRENTLY" not in tokens[:4]:
            on = _skip(tokens, tokens.index("ON") + 1, "ONLY")
            script.flag("index-not-concurrent", _qualified(tokens, on)[0])
    elif tokens[:2] == ["ALTER", "TABLE"]:
        table, i = _qualified(tokens, _skip(tokens, 2, "IF", "EXISTS", "ONLY"))
        for action in _parts(tokens[_skip(tokens, i, "*") :]):
            _alter(script, table, action)
    elif tokens[:2] == ["DROP", "TABLE"]:
        for part in _parts(tokens[_skip(tokens, 2, "IF", "EXISTS") :]):
            script.flag("drop-table", _qualified(part, 0)[0])


def _create_table(script: _Script, tokens: list[str], i: int) -> None:
    table, i = _qualified(tokens, i)
    script.new_tables.add(table)
    columns = _parts(tokens[i + 1 :]) if tokens[i : i + 1] == ["("] else []  # not AS SELECT
    for element in columns:
        if element[0] not in _TABLE_CONSTRAINTS | {"LIKE"}:
            script.schema.types[(table, _ident(element[0]))] = _type(_type_tokens(element, 1))


def _alter(script: _Script, table: str, action: list[str]) -> None:
    verb = action[0]
    if verb == "ADD" and action[1:2] and action[1] in _TABLE_CONSTRAINTS:
        _add_constraint(script, table, action)
    elif verb == "ADD":
        _add_column(script, table, action[_skip(action, 1, "COLUMN", "IF", "NOT", "EXISTS") :])
    elif verb == "ALTER":
        _alter_column(script, table, action[_skip(action, 1, "COLUMN") :])
    elif verb == "DROP" and action[1:2] == ["CONSTRAINT"]:
        script.schema.checks.pop((table, _ident(action[_skip(action, 2, "IF", "EXISTS")])), None)
    elif verb == "DROP":
        script.flag("drop-column", table)
    elif action[:2] == ["RENAME", "TO"]:
        script.flag("rename-table", table)
        if table in script.new_tables:
            script.new_tables.add(_qualified(action, 2)[0])
    elif verb == "RENAME" and action[1:2] != ["CONSTRAINT"]:
        script.flag("rename-column", table)
    elif action[:2] == ["VALIDATE", "CONSTRAINT"]:
        key = (table, _ident(action[2]))
        if key in script.not_valid and script.one_transaction:
            script.flag("validate-in-same-transaction", table)
        if key in script.schema.checks:
            script.schema.checks[key] = (script.schema.checks[key][0], True)


def _add_constraint(script: _Script, table: str, action: list[str]) -> None:
    name = _ident(action[2]) if action[1] == "CONSTRAINT" else ""
    body = action[3:] if action[1] == "CONSTRAINT" else action[1:]
    kind = body[0] if body else ""
    close = len(body) - body[::-1].index(")") if ")" in body else 0  # NOT VALID comes after
    not_valid = ("NOT", "VALID") in zip(body[close:], body[close + 1 :])
    if kind == "FOREIGN" and not not_valid:
        script.flag("foreign-key-not-valid", table)
    elif kind == "CHECK":
        if not not_valid:
            script.flag("check-not-valid", table)
        script.schema.checks[(table, name)] = (_not_null_column(body[1:]), not not_valid)
    elif kind in ("UNIQUE", "PRIMARY"):
        triples = zip(body, body[1:], [*body[2:], ""])
        if not any(u == "USING" and i == "INDEX" and t != "TABLESPACE" for u, i, t in triples):
            script.flag("unique-constraint-builds-index", table)
    if not_valid and table not in script.new_tables:
        script.not_valid.add((table, name))


def _not_null_column(check: list[str]) -> str | None:
    """The column of `CHECK (col IS NOT NULL)`, however parenthesised, else None."""
    inner = (_parts(check[1:]) or [[]])[0]  # inside CHECK's own parentheses
    while len(inner) > 2 and inner[0] == "(" and _parts(inner[1:]) == [inner[1:-1]]:
        inner = inner[1:-1]  # only parentheses around the whole expression
    return _ident(inner[0]) if len(inner) == 4 and inner[1:] == ["IS", "NOT", "NULL"] else None


def _add_column(script: _Script, table: str, column: list[str]) -> None:
    type_tokens = _type_tokens(column, 1)
    rest = column[1 + len(type_tokens) :]
    script.schema.types[(table, _ident(column[0]))] = _type(type_tokens)
    pairs = list(zip(rest, rest[1:]))
    # A call of a volatile function anywhere in the definition: its DEFAULT in practice.
    if (type_tokens[:1] and type_tokens[0].lower() in _SERIAL) or "GENERATED" in rest or any(
        t.lower() in _VOLATILE and nxt == "(" for t, nxt in pairs
    ):
        script.flag("add-column-volatile-default", table)
    elif ("NOT", "NULL") in pairs and "DEFAULT" not in rest:
        script.flag("not-null-column-without-default", table)
    if "REFERENCES" in rest:
        script.flag("foreign-key-not-valid", table)
    if "UNIQUE" in rest or "PRIMARY" in rest:
        script.flag("unique-constraint-builds-index", table)
    if "CHECK" in rest:
        script.flag("check-not-valid", table)


def _alter_column(script: _Script, table: str, action: list[str]) -> None:
    column = _ident(action[0])
    if action[1:4] == ["SET", "NOT", "NULL"]:
        checks = script.schema.checks.items()
        if not any(t == table and c == column and valid for (t, _), (c, valid) in checks):
            script.flag("not-null-without-check", table)
    elif action[1] == "TYPE" or action[1:4] == ["SET", "DATA", "TYPE"]:
        i = 2 if action[1] == "TYPE" else 4
        new_tokens = _type_tokens(action, i)
        new = _type(new_tokens)
        old = script.schema.types.get((table, column))
        tail = action[i + len(new_tokens) :]
        if old is None or not _widening(old, new) or not _plain_using(tail, column, new):
            script.flag("column-type-rewrite", table)
        script.schema.types[(table, column)] = new


def _plain_using(tail: list[str], column: str, new: tuple[str, tuple[int, ...]]) -> bool:
    """No COLLATE (a new collation rebuilds the indexes), and a USING, if any, that is the
    column itself or its cast to the new type (what Aerich writes): it changes no value."""
    if tail and (tail[0] != "USING" or len(tail) < 2 or _ident(tail[1]) != column):
        return False
    return len(tail) <= 2 or (tail[2] == "::" and _type(tail[3:]) == new)


def _type_tokens(tokens: list[str], i: int) -> list[str]:
    """The tokens of the type that starts at `i`, up to the first constraint word."""
    depth, j = 0, i
    while j < len(tokens) and (depth or tokens[j] not in _COLUMN_WORDS):
        depth += (tokens[j] in "([") - (tokens[j] in ")]")
        j += 1
    return tokens[i:j]


def _type(tokens: list[str]) -> tuple[str, tuple[int, ...]]:
    """A type as (canonical name, modifiers): `CHARACTER VARYING(20)` is ("varchar", (20,))."""
    words = " ".join(_ident(t) for t in tokens if t[0].isalpha() or t[0] in '"_')
    base = _ALIASES.get(words, words) + ("[]" if "[" in tokens else "")
    return base, tuple(int(t) for t in tokens if t.isdigit())


def _widening(old: tuple[str, tuple[int, ...]], new: tuple[str, tuple[int, ...]]) -> bool:
    """The type changes PostgreSQL makes without rewriting the table or rebuilding an index
    (each checked against PG 15 with pg_relation_filenode). Anything else is a rewrite."""
    (ob, om), (nb, nm) = old, new
    if old == new or (ob in ("varchar", "text") and (nb == "text" or new == ("varchar", ()))):
        return True
    if ob == nb and ob in _GROWABLE:  # a longer length, a finer precision, or none at all
        return not nm or bool(om) and nm[0] >= om[0]
    if ob == nb == "numeric":  # more digits at the same scale, or unconstrained
        scale = (om + (0, 0))[1], (nm + (0, 0))[1]
        return not nm or bool(om) and nm[0] >= om[0] and scale[0] == scale[1]
    return False


def _sql_line(text: str, sql: str) -> int:
    """The file line the literal of `"postgres": sql` starts on (findings then point into the
    file), or 1 when the SQL is not one literal (built at import time, say)."""
    for node in ast.walk(ast.parse(text)):
        for key, value in zip(node.keys, node.values) if isinstance(node, ast.Dict) else ():
            if isinstance(key, ast.Constant) and key.value == "postgres" and isinstance(value, ast.Constant) and value.value == sql:
                return value.lineno
    return 1


def lint_file(path: Path, *, schema: Schema | None = None) -> list[Finding]:
    """Findings for one migration file, named by its file name, lines counted in the file.
    Imports it (no database) for `UPGRADE["postgres"]` and `RUN_IN_TRANSACTION`; a file without
    that SQL gives []. What the import raises (SyntaxError...) propagates for the caller to name."""
    spec = importlib.util.spec_from_file_location(f"_toolkit_lint_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not put in sys.modules: a lint leaves no trace
    upgrade = getattr(module, "UPGRADE", None)
    sql = upgrade.get("postgres") if isinstance(upgrade, dict) else None
    if not isinstance(sql, str):
        return []
    text, in_tx = path.read_text(encoding="utf-8"), bool(getattr(module, "RUN_IN_TRANSACTION", True))
    return _lint(path.name, sql, set(), in_tx, schema or Schema(), accepted_rules(text), _sql_line(text, sql))


def lint_files(paths: Iterable[Path]) -> list[Finding]:
    """Findings for migration files in the order they apply: each is linted knowing the
    column types and constraints the earlier ones defined (so a widening is recognised)."""
    schema = Schema()
    return [finding for path in paths for finding in lint_file(path, schema=schema)]


def to_json(findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """One object per finding, with the `JSON_KEYS` in that order."""
    return [{key: getattr(f, key) for key in JSON_KEYS} for f in findings]
