"""A migration script as a list of statements, and what those statements ask of the runner.

Atomicity is decided from the statements themselves, never from a pattern over the text:
an `END` that closes a `CASE`, a trigger's `BEGIN ... END` body or a quoted `'COMMIT;'`
is part of a statement, not transaction control. SQLite's own tokenizer tells where a
statement ends there (`sqlite3.complete_statement` knows trigger bodies); the server
dialects are split by a small lexer that knows quotes, comments and dollar quotes.
"""

from __future__ import annotations

import re
import sqlite3

# The first word of a statement that opens or closes a transaction. SAVEPOINT and
# RELEASE nest inside ours and are fine; `ROLLBACK TO` is a savepoint's rollback.
_CONTROL = frozenset({"BEGIN", "COMMIT", "END", "ROLLBACK", "START", "ABORT"})
_LEADING_COMMENTS = re.compile(r"^(?:\s+|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def _strip_leading_comments(statement: str) -> str:
    return _LEADING_COMMENTS.sub("", statement, count=1)


def _split_sqlite(script: str) -> list[str]:
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            statements.append(pending)
            pending = ""
    if pending.rstrip(";").strip():
        statements.append(pending.rstrip(";"))
    return statements


def _split_server(script: str, *, hash_comments: bool, backslash_escapes: bool) -> list[str]:
    statements: list[str] = []
    start = i = 0
    n = len(script)
    while i < n:
        ch = script[i]
        if ch in "'\"`":
            # PostgreSQL's E'...' strings take backslash escapes, as MySQL's strings do.
            escape = ch == "'" and i > 0 and script[i - 1] in "eE" and (i < 2 or not script[i - 2].isalnum())
            i = _end_of_quoted(script, i, ch, (backslash_escapes and ch != "`") or escape)
        elif script.startswith("--", i) or (hash_comments and ch == "#"):
            nl = script.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif script.startswith("/*", i):
            close = script.find("*/", i + 2)
            i = n if close < 0 else close + 2
        elif ch == "$" and (tag := _DOLLAR_TAG.match(script, i)):
            close = script.find(tag.group(0), tag.end())
            i = n if close < 0 else close + len(tag.group(0))
        elif ch == ";":
            statements.append(script[start : i + 1])
            start = i = i + 1
        else:
            i += 1
    if script[start:].strip():
        statements.append(script[start:])
    return statements


def _end_of_quoted(script: str, i: int, quote: str, backslash: bool) -> int:
    j = i + 1
    while j < len(script):
        if backslash and script[j] == "\\":
            j += 2
            continue
        if script[j] == quote:
            if script.startswith(quote * 2, j):
                j += 2  # a doubled quote is the quote character itself
                continue
            return j + 1
        j += 1
    return j


def split(script: str, dialect: str) -> list[str]:
    """The statements of `script` that do something (comment-only pieces are dropped)."""
    if dialect == "sqlite":
        pieces = _split_sqlite(script)
    else:
        pieces = _split_server(script, hash_comments=dialect == "mysql", backslash_escapes=dialect == "mysql")
    return [p.strip() for p in pieces if _strip_leading_comments(p).rstrip(";").strip()]


def transaction_control(statements: list[str]) -> str | None:
    """The first statement that opens or closes a transaction itself, or None."""
    for statement in statements:
        words = _strip_leading_comments(statement).rstrip(";").split()
        if not words:
            continue
        first = words[0].upper()
        if first == "ROLLBACK" and len(words) > 1 and words[1].upper() in ("TO", "TRANSACTION TO"):
            continue
        if first == "START" and (len(words) < 2 or words[1].upper() != "TRANSACTION"):
            continue
        if first in _CONTROL:
            return " ".join(words)[:40]
    return None
