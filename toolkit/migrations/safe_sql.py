"""Rewrite one migration's PostgreSQL statements into the forms that don't lock a busy
table (`makemigrations --safe`), as docs/lint.md advises, in three kinds of step:

- first: the migration as written, but a foreign key or the CHECK standing in for a
  `SET NOT NULL` added `NOT VALID` (enforced for new rows at once, no scan);
- concurrent: each index on an existing table built `CONCURRENTLY`, one per migration run
  outside a transaction (PostgreSQL refuses it inside one, or beside another statement);
- last: `VALIDATE CONSTRAINT` (a scan that lets reads and writes go on), then `SET NOT NULL`
  (no scan once a valid CHECK proves it) and `ADD CONSTRAINT ... UNIQUE USING INDEX`.

Each step carries the downgrade that undoes exactly it, so `rollback` can stop between any
two. Tables the migration creates have no traffic yet and are left as they are. Pure: the
statements are Aerich's, one per entry, and anything not recognised stays in `first`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = r'("(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_TABLE = rf"(?:{_NAME}\.)?{_NAME}"  # schema-qualified or not; the last part is the table
_CREATE_TABLE = re.compile(rf"^CREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_TABLE}", re.I)
_INDEX = re.compile(
    rf"^CREATE\s+(UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?{_NAME}\s+ON\s+(?:ONLY\s+)?({_TABLE})\s*(.*)$", re.I | re.S
)
_ALTER = rf"^ALTER\s+TABLE\s+(?:ONLY\s+)?({_TABLE})\s+"
_FOREIGN_KEY = re.compile(_ALTER + rf"ADD\s+CONSTRAINT\s+{_NAME}\s+FOREIGN\s+KEY\b(.*)$", re.I | re.S)
_UNIQUE = re.compile(_ALTER + rf"ADD\s+CONSTRAINT\s+{_NAME}\s+UNIQUE\s*(\(.*\))$", re.I | re.S)
_SET_NOT_NULL = re.compile(_ALTER + rf"ALTER\s+(?:COLUMN\s+)?{_NAME}\s+SET\s+NOT\s+NULL$", re.I | re.S)
_DROP_INDEX = re.compile(rf"^DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?(?:{_NAME}\.)?{_NAME}$", re.I)
_DROP_CONSTRAINT = re.compile(_ALTER + rf"DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?{_NAME}(?:\s+CASCADE|\s+RESTRICT)?$", re.I)


@dataclass
class SafeSteps:
    first_up: list[str] = field(default_factory=list)
    first_down: list[str] = field(default_factory=list)
    concurrent: list[tuple[str, str]] = field(default_factory=list)  # (upgrade, downgrade), one each
    last_up: list[str] = field(default_factory=list)
    last_down: list[str] = field(default_factory=list)  # in the order it runs

    @property
    def rewritten(self) -> bool:
        return bool(self.concurrent or self.last_up)


def _ident(token: str) -> str:
    return token[1:-1].replace('""', '"') if token.startswith('"') else token.lower()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _one_action(tail: str) -> bool:
    """No comma outside parentheses: the statement does one thing, the one matched."""
    depth = 0
    for ch in tail:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            return False
    return True


def safe_steps(upgrade: list[str], downgrade: list[str]) -> SafeSteps:
    """The safe steps for one migration's PostgreSQL `upgrade` and `downgrade` statements."""
    steps = SafeSteps()
    new: set[str] = set()
    moved: set[str] = set()  # indexes and constraints a later step now creates
    checks: list[tuple[str, str]] = []  # (table, CHECK) standing in for SET NOT NULL: `first_down` drops it
    for raw in upgrade:
        statement = raw.strip().rstrip(";").strip()
        if created := _CREATE_TABLE.match(statement):
            new.add(_ident(created.group(2)))
        if not _rewrite(steps, statement, new, moved, checks):
            steps.first_up.append(raw)
    kept = [d for d in downgrade if _dropped_name(d) not in moved]
    steps.first_down = [f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {c}" for t, c in reversed(checks)] + kept
    return steps


def _rewrite(
    steps: SafeSteps, statement: str, new: set[str], moved: set[str], checks: list[tuple[str, str]]
) -> bool:
    """Put `statement`'s safe form in `steps`; False when it stays as written."""
    if (index := _INDEX.match(statement)) and _ident(index.group(5)) not in new:
        unique, name, on, rest = index.group(1) or "", _ident(index.group(2)), index.group(3), index.group(6)
        # No IF NOT EXISTS: a build that failed half-way leaves an invalid index, which the
        # next try must not take for done.
        steps.concurrent.append((
            f"CREATE {unique.upper()}INDEX CONCURRENTLY {_quote(name)} ON {on} {rest}".rstrip(),
            f"DROP INDEX CONCURRENTLY IF EXISTS {_quote(name)}",
        ))
        moved.add(name)
        return True
    if (key := _FOREIGN_KEY.match(statement)) and _ident(key.group(3)) not in new and _one_action(key.group(5)):
        if re.search(r"\bNOT\s+VALID\s*$", statement, re.I):
            return False
        table, name = key.group(1), _quote(_ident(key.group(4)))
        steps.first_up.append(f"{statement} NOT VALID")
        steps.last_up.append(f"ALTER TABLE {table} VALIDATE CONSTRAINT {name}")
        return True
    if (unique := _UNIQUE.match(statement)) and _ident(unique.group(3)) not in new and _one_action(unique.group(5)):
        table, name, columns = unique.group(1), _quote(_ident(unique.group(4))), unique.group(5)
        steps.concurrent.append((
            f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} {columns}", f"DROP INDEX CONCURRENTLY IF EXISTS {name}"
        ))
        steps.last_up.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}")
        # Back to the bare index the concurrent step built, so that step reverts as written.
        steps.last_down[:0] = [
            f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {table} {columns}",
        ]
        moved.add(_ident(unique.group(4)))
        return True
    if (column := _SET_NOT_NULL.match(statement)) and _ident(column.group(3)) not in new:
        table, col = column.group(1), _ident(column.group(4))
        check = _quote(f"{_ident(column.group(3))}_{col}_not_null"[:63])
        proof = f"ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({_quote(col)} IS NOT NULL) NOT VALID"
        steps.first_up.append(proof)
        steps.last_up += [
            f"ALTER TABLE {table} VALIDATE CONSTRAINT {check}",
            f"ALTER TABLE {table} ALTER COLUMN {_quote(col)} SET NOT NULL",
            f"ALTER TABLE {table} DROP CONSTRAINT {check}",
        ]
        steps.last_down[:0] = [f"ALTER TABLE {table} ALTER COLUMN {_quote(col)} DROP NOT NULL", proof]
        checks.append((table, check))
        return True
    return False


def _dropped_name(statement: str) -> str | None:
    """The index or constraint a downgrade statement drops, else None."""
    text = statement.strip().rstrip(";").strip()
    if drop := _DROP_INDEX.match(text):
        return _ident(drop.group(2))
    if drop := _DROP_CONSTRAINT.match(text):
        return _ident(drop.group(4))
    return None
