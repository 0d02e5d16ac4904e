"""Seeding speed against the real limit of the server, measured in the same run, on the same table.

    python bench/seed_bench.py                              # PostgreSQL, SQLite, MySQL/MariaDB; 1M rows
    python bench/seed_bench.py --backend sqlite --rows 200000
    python bench/seed_bench.py --backend postgres --repeat 3
    python bench/seed_bench.py --rss 10000000 --backend postgres   # also peak RSS of a 10M-row seed
    python bench/seed_bench.py --json > figures.json        # the figures as JSON (the text goes to stderr)

Servers: TOOLKIT_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres) and
TOOLKIT_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306/mysql); a scratch database with a
unique name is created on each and dropped at the end. SQLite works in a temporary directory.
The table is the bundled `users` table, made by `toolkit migrate` of this repository's
config/ and migrations/. Its columns and its indexes are read from the database's catalog.

What is timed, per backend (rows pre-made by toolkit's own generator, before any clock starts):
- (a) limit: the rows loaded into an unindexed copy of `users` (`users_limit`), then exactly
  the indexes and constraints `users` has, built afterwards; load and build are timed apart
  and their sum is the limit. PostgreSQL: `CREATE TABLE ... (LIKE users INCLUDING DEFAULTS)`,
  `copy_records_to_table`, then each constraint (`pg_constraint`) and index (`pg_index`).
  SQLite: the same columns without PRIMARY KEY / UNIQUE (an INTEGER PRIMARY KEY stays: it is
  the rowid, the table's own b-tree, not an index), `executemany` in one transaction, then
  each index of `pragma index_list`. MySQL/MariaDB: `CREATE TABLE ... LIKE users` with its
  secondary indexes dropped (the primary key stays: InnoDB stores the table in it), loaded by
  multi-row INSERTs in one transaction and by `LOAD DATA LOCAL INFILE` (a file written before
  the clock) when the server and driver allow it; the faster is the limit's load, named.
  The indexes are added back in one `ALTER TABLE`.
- (b) reference: the same rows into the real `users`, indexes live (what this bench timed before):
  `copy_records_to_table` / `executemany` in one transaction / multi-row INSERTs in one transaction.
- (c) toolkit: `toolkit seed --count N --seed 1 --truncate`, a subprocess of the real CLI,
  process start included; its peak RSS is measured by a small launcher.
  toolkit writes over several connections (its --concurrency, default 4); (a) and (b) use one.
- (d) naive: Faker field by field plus Tortoise `bulk_create` per 1,000 rows, on a smaller
  count, in a fresh interpreter (Tortoise keeps state from one backend's `init` to the next).
With --repeat N, (a), (b) and (c) run N times, interleaved, and the median run counts
(PostgreSQL is checkpointed and SQLite vacuumed before each timed step).
Ratios compare rates: toolkit / limit is the share of the limit toolkit reaches.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg

REPO = Path(__file__).resolve().parent.parent
TOOLKIT = str(Path(sys.executable).with_name("toolkit"))
PG_ADMIN = os.environ.get("TOOLKIT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MYSQL_ADMIN = os.environ.get("TOOLKIT_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql")
TABLE = "users"
COPY = "users_limit"
BATCH = 10_000  # rows per executemany call (MySQL/MariaDB)
OUT = sys.stdout  # the text report; stderr under --json


def say(text: str = "") -> None:
    print(text, file=OUT, flush=True)


def line(label: str, rows: int | None, seconds: float, note: str = "") -> None:
    count = f"{rows:>10,} rows" if rows else " " * 15
    rate = f"{rows / seconds:>12,.0f} rows/s" if rows else ""
    say(f"  {label:<52} {count} {seconds:8.2f}s {rate}{note}".rstrip())


def make_project(root: Path) -> Path:
    for folder in ("config", "migrations", "seeds"):
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return root


# A small launcher measures the child's peak RSS: measured from this process, a child
# forked while we hold a million pre-made rows would be charged for them.
_LAUNCH = """
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024, rc)
"""


def toolkit(project: Path, *args: str, url: str | None = None) -> tuple[float, int]:
    """Run the real CLI; return (seconds, peak RSS of the toolkit process in MB)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TOOLKIT_ENV")}
    if url:
        env["DATABASE_URL"] = url
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCH, TOOLKIT, "-q", *args],
        cwd=project, env=env, capture_output=True, text=True,
    )
    try:
        seconds, peak, rc = proc.stdout.split()
    except ValueError:
        sys.exit(f"toolkit {' '.join(args)}: launcher failed: {proc.stderr.strip()}")
    if int(rc) != 0:
        sys.exit(f"toolkit {' '.join(args)} failed: {proc.stderr.strip()}")
    return float(seconds), int(peak)


def premade_rows(columns: list[str], count: int) -> list[tuple[Any, ...]]:
    """The rows toolkit makes (its own generator, on the model's description of each column),
    for the columns the database has, in its order; made before any clock starts."""
    from toolkit.models import User
    from toolkit.seed.generate import RowMaker, default_plans
    from toolkit.seed.pools import Pools
    from toolkit.seed.table import Table, from_tortoise

    if not columns:
        sys.exit(f"found no column to write in {TABLE}")
    described = from_tortoise(User)
    by_name = {c.name: c for c in described.columns}
    unknown = [c for c in columns if c not in by_name]
    if unknown:
        sys.exit(f"{TABLE} has columns the User model does not describe: {', '.join(unknown)}")
    table = Table(described.name, described.model, tuple(by_name[c] for c in columns),
                  unique_together=described.unique_together)
    maker = RowMaker(table, default_plans(table), Pools("en_US"), seed=99)
    if list(maker.columns) != columns:
        sys.exit(f"the generator writes {maker.columns}, the table takes {columns}")
    return maker.rows(10**9, 10**9 + count)  # far from toolkit's indices: no unique clash


@dataclass
class Index:
    name: str
    ddl: list[str]  # statements that build it on the copy


@dataclass
class LimitRun:
    loads: dict[str, float]  # seconds per load method tried
    index: float
    each_index: dict[str, float] = field(default_factory=dict)  # seconds per index, when built apart

    @property
    def method(self) -> str:
        return min(self.loads, key=lambda m: self.loads[m])

    @property
    def load(self) -> float:
        return self.loads[self.method]

    @property
    def total(self) -> float:
        return self.load + self.index


class Backend:
    name = ""
    label = ""
    reference_label = ""
    url: str | None = None  # DATABASE_URL for toolkit (None: the dev environment)
    tortoise_url = ""

    def server(self) -> str:
        raise NotImplementedError

    def columns(self) -> list[str]:
        """The columns a row fills: all but those the database generates."""
        raise NotImplementedError

    def indexes(self) -> list[Index]:
        """The indexes and constraints of `users`, as statements on the copy."""
        raise NotImplementedError

    def limit(self, columns: list[str], rows: list[tuple[Any, ...]], indexes: list[Index]) -> LimitRun:
        raise NotImplementedError

    def reference(self, columns: list[str], rows: list[tuple[Any, ...]]) -> float:
        raise NotImplementedError

    def settle(self) -> None:
        """Before each timed step: leave nothing of the last step to the next one's clock."""

    def prepare(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The pre-made rows in the form this database takes fastest (made before any clock)."""
        return rows

    def notes(self) -> str:
        return ""


def _timed(step: Callable[[], Any]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started


def _quote(name: str, q: str = '"') -> str:
    return q + name.replace(q, q + q) + q


# PostgreSQL -------------------------------------------------------------------------------


class Postgres(Backend):
    name = "postgres"
    label = "PostgreSQL"
    reference_label = "reference: copy_records_to_table, indexes live"

    def __init__(self, url: str) -> None:
        self.url = url
        self.tortoise_url = url.replace("postgresql://", "asyncpg://", 1)

    def _run(self, work: Callable[[asyncpg.Connection], Any]) -> Any:
        async def go() -> Any:
            conn = await asyncpg.connect(self.url)
            try:
                return await work(conn)
            finally:
                await conn.close()

        return asyncio.run(go())

    def server(self) -> str:
        version = self._run(lambda c: c.fetchval("SHOW server_version"))
        return f"PostgreSQL {version.split()[0]}"

    def columns(self) -> list[str]:
        found = self._run(lambda c: c.fetch(
            """SELECT a.attname, a.attidentity <> '' AS attidentity, a.attgenerated <> '' AS attgenerated,
                      pg_get_expr(d.adbin, d.adrelid) AS dflt
               FROM pg_attribute a LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)
               WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
               ORDER BY a.attnum""", TABLE))
        return [r["attname"] for r in found
                if not r["attidentity"] and not r["attgenerated"] and not (r["dflt"] or "").startswith("nextval(")]

    def indexes(self) -> list[Index]:
        async def read(c: asyncpg.Connection) -> list[Index]:
            # Constraints (primary key, unique, exclusion, check, foreign key: NOT NULL is
            # copied by LIKE), then the indexes no constraint owns.
            out = [
                Index(r["conname"], [f"ALTER TABLE {COPY} ADD CONSTRAINT {_quote(r['conname'] + '_l')} {r['def']}"])
                for r in await c.fetch(
                    """SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                       WHERE conrelid = $1::regclass AND contype <> 'n'
                       ORDER BY contype = 'f', contype = 'c', contype <> 'p', conname""", TABLE)
            ]
            for r in await c.fetch(
                """SELECT c.relname, pg_get_indexdef(i.indexrelid) AS def
                   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   WHERE i.indrelid = $1::regclass
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                     AND k.conrelid = i.indrelid)
                   ORDER BY c.relname""", TABLE):
                copy_name = _quote(r["relname"] + "_l").replace("\\", "\\\\")
                ddl, n = re.subn(r'^CREATE (UNIQUE )?INDEX ("(?:[^"]|"")+"|\S+) ON (ONLY )?\S+ ',
                                 f"CREATE \\1INDEX {copy_name} ON {COPY} ", r["def"])
                if n != 1:
                    sys.exit(f"cannot rebuild index {r['relname']} on the copy: {r['def']}")
                out.append(Index(r["relname"], [ddl]))
            return out

        return list(self._run(read))

    def limit(self, columns: list[str], rows: list[tuple[Any, ...]], indexes: list[Index]) -> LimitRun:
        async def work(c: asyncpg.Connection) -> LimitRun:
            await c.execute(f"DROP TABLE IF EXISTS {COPY}")
            await c.execute(f"CREATE TABLE {COPY} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY"
                            " INCLUDING GENERATED)")
            await c.execute("CHECKPOINT")
            started = time.perf_counter()
            await c.copy_records_to_table(COPY, records=rows, columns=columns)
            load = time.perf_counter() - started
            await c.execute("CHECKPOINT")
            started = time.perf_counter()
            each = {}
            for index in indexes:
                at = time.perf_counter()
                for ddl in index.ddl:
                    await c.execute(ddl)
                each[index.name] = time.perf_counter() - at
            built = time.perf_counter() - started
            if await c.fetchval(f"SELECT COUNT(*) FROM {COPY}") != len(rows):
                sys.exit(f"{COPY}: the load lost rows")
            await c.execute(f"DROP TABLE {COPY}")
            return LimitRun({"copy_records_to_table": load}, built, each)

        result: LimitRun = self._run(work)
        return result

    def reference(self, columns: list[str], rows: list[tuple[Any, ...]]) -> float:
        async def work(c: asyncpg.Connection) -> float:
            await c.execute(f"TRUNCATE {TABLE} RESTART IDENTITY")
            await c.execute("CHECKPOINT")
            started = time.perf_counter()
            await c.copy_records_to_table(TABLE, records=rows, columns=columns)
            seconds = time.perf_counter() - started
            await c.execute(f"TRUNCATE {TABLE} RESTART IDENTITY")
            return seconds

        return float(self._run(work))

    def settle(self) -> None:
        self._run(lambda c: c.execute("CHECKPOINT"))

    def notes(self) -> str:
        mwm = self._run(lambda c: c.fetchval("SHOW maintenance_work_mem"))
        workers = self._run(lambda c: c.fetchval("SHOW max_parallel_maintenance_workers"))
        return f"maintenance_work_mem {mwm}, max_parallel_maintenance_workers {workers}"


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    name = f"tk_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


# SQLite -----------------------------------------------------------------------------------


class Sqlite(Backend):
    name = "sqlite"
    label = "SQLite"
    reference_label = "reference: executemany, one transaction"
    CACHE = "PRAGMA cache_size = -64000"  # toolkit's own page cache, on every connection here

    def prepare(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        # Already the text SQLite stores (dates, times, decimals), as toolkit's bulk path
        # writes them: the limit pays no Python adapter.
        from toolkit.backends.sqlite_bulk import encode_rows

        return encode_rows([list(c) for c in zip(*rows)])

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tortoise_url = f"sqlite://{path}"
        # Tortoise's adapters (date, datetime, Decimal): the values toolkit stores.
        import tortoise.backends.sqlite.executor  # noqa: F401

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute(self.CACHE)
        return db

    def server(self) -> str:
        with contextlib.closing(self._db()) as db:
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        return f"SQLite {sqlite3.sqlite_version}, journal_mode {mode}"

    def _rowid_alias(self, db: sqlite3.Connection) -> str | None:
        info = db.execute(f"PRAGMA table_xinfo({_quote(TABLE)})").fetchall()
        pk = [r for r in info if r[5]]
        ddl = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone()[0]
        if len(pk) == 1 and pk[0][2].upper() == "INTEGER" and "WITHOUT ROWID" not in ddl.upper():
            return str(pk[0][1])
        return None

    def columns(self) -> list[str]:
        with contextlib.closing(self._db()) as db:
            alias = self._rowid_alias(db)
            info = db.execute(f"PRAGMA table_xinfo({_quote(TABLE)})").fetchall()
        return [r[1] for r in info if r[1] != alias and r[6] == 0]  # hidden 2/3: generated

    def _copy_ddl(self, db: sqlite3.Connection) -> str:
        """`users`' columns (type, NOT NULL, default) without PRIMARY KEY / UNIQUE; its
        INTEGER PRIMARY KEY stays, being the rowid itself."""
        ddl = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)).fetchone()[0]
        alias = self._rowid_alias(db)
        parts = []
        for _cid, name, kind, notnull, default, _pk, hidden in db.execute(f"PRAGMA table_xinfo({_quote(TABLE)})"):
            if hidden:
                continue
            if name == alias:
                auto = " AUTOINCREMENT" if re.search(r"\bAUTOINCREMENT\b", ddl, re.I) else ""
                parts.append(f"{_quote(name)} INTEGER PRIMARY KEY{auto}")
                continue
            parts.append(f"{_quote(name)} {kind}" + (" NOT NULL" if notnull else "")
                         + (f" DEFAULT {default}" if default is not None else ""))
        return f"CREATE TABLE {COPY} ({', '.join(parts)})"

    def indexes(self) -> list[Index]:
        out = []
        with contextlib.closing(self._db()) as db:
            for _seq, name, unique, origin, _partial in db.execute(f"PRAGMA index_list({_quote(TABLE)})").fetchall():
                if origin == "c":  # CREATE INDEX: its own statement, moved to the copy
                    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
                                     (name,)).fetchone()[0]
                    copy_name = _quote(name + "_l").replace("\\", "\\\\")
                    ddl, n = re.subn(r'^(CREATE (?:UNIQUE )?INDEX )(?:IF NOT EXISTS )?("(?:[^"]|"")+"|\S+)\s+ON\s+("(?:[^"]|"")+"|\S+)',
                                     f"\\1{copy_name} ON {COPY}", sql, flags=re.I)
                    if n != 1:
                        sys.exit(f"cannot rebuild index {name} on the copy: {sql}")
                else:  # the index behind a UNIQUE or a non-rowid PRIMARY KEY
                    info = [r for r in db.execute(f"PRAGMA index_xinfo({_quote(name)})") if r[5]]
                    keys = [
                        _quote(col) + (f" COLLATE {coll}" if coll != "BINARY" else "") + (" DESC" if desc else "")
                        for _n, _cid, col, desc, coll, _key in info
                    ]
                    cols = [r[2] for r in info]
                    # sqlite_autoindex_* names are reserved: the copy's index is named by its columns.
                    ddl = (f"CREATE {'UNIQUE ' if unique else ''}INDEX {_quote(COPY + '_' + '_'.join(cols))} "
                           f"ON {COPY} ({', '.join(keys)})")
                    name = f"{'UNIQUE' if unique else 'INDEX'}({', '.join(cols)})"  # not its sqlite_autoindex_* name
                out.append(Index(name, [ddl]))
        return out[::-1]  # index_list lists the newest first

    def _insert(self, db: sqlite3.Connection, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(map(_quote, columns))}) VALUES ({', '.join('?' for _ in columns)})"
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, rows)
        db.execute("COMMIT")

    def limit(self, columns: list[str], rows: list[tuple[Any, ...]], indexes: list[Index]) -> LimitRun:
        with contextlib.closing(self._db()) as db:
            db.execute(f"DROP TABLE IF EXISTS {COPY}")
            db.execute(self._copy_ddl(db))
            db.execute("VACUUM")
            load = _timed(lambda: self._insert(db, COPY, columns, rows))

            each = {}

            def build() -> None:
                db.execute("BEGIN IMMEDIATE")
                for index in indexes:
                    at = time.perf_counter()
                    for ddl in index.ddl:
                        db.execute(ddl)
                    each[index.name] = time.perf_counter() - at
                db.execute("COMMIT")

            built = _timed(build)
            if db.execute(f"SELECT COUNT(*) FROM {COPY}").fetchone()[0] != len(rows):
                sys.exit(f"{COPY}: the load lost rows")
            db.execute(f"DROP TABLE {COPY}")
        return LimitRun({"executemany, one transaction": load}, built, each)

    def reference(self, columns: list[str], rows: list[tuple[Any, ...]]) -> float:
        with contextlib.closing(self._db()) as db:
            db.execute(f"DELETE FROM {TABLE}")
            db.execute("VACUUM")
            seconds = _timed(lambda: self._insert(db, TABLE, columns, rows))
            db.execute(f"DELETE FROM {TABLE}")
        return seconds

    def settle(self) -> None:
        with contextlib.closing(self._db()) as db:
            db.execute("VACUUM")

    def notes(self) -> str:
        return f"page cache as toolkit's: {self.CACHE}"


# MySQL / MariaDB --------------------------------------------------------------------------


def _mysql(database: str | None = None, local_infile: bool = False) -> Any:
    import pymysql

    u = urlsplit(MYSQL_ADMIN)
    return pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root",
                           password=u.password or "", database=database, autocommit=True,
                           charset="utf8mb4", local_infile=local_infile)


def _tsv(value: Any) -> str:
    """One field of LOAD DATA's default format, written as pymysql would send the value."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "1" if value else "0"
    if hasattr(value, "microsecond") and hasattr(value, "hour") and hasattr(value, "year"):  # datetime
        fmt = "%Y-%m-%d %H:%M:%S.%f" if value.microsecond else "%Y-%m-%d %H:%M:%S"
        return str(value.strftime(fmt))
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r").replace("\0", "\\0"))


class Mysql(Backend):
    name = "mysql"
    label = "MySQL/MariaDB"
    reference_label = "reference: multi-row INSERT, one transaction"
    INSERT = "multi-row INSERT, one transaction"
    LOAD_DATA = "LOAD DATA LOCAL INFILE"

    def __init__(self, database: str, scratch: Path) -> None:
        self.database = database
        self.url = MYSQL_ADMIN.rsplit("/", 1)[0] + f"/{database}"
        self.tortoise_url = self.url
        self.scratch = scratch
        self.infile: Path | None = None  # the rows as LOAD DATA reads them, written once
        self.load_data_refused = ""

    def _fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(_mysql(self.database)) as conn, conn.cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    def server(self) -> str:
        version = self._fetch("SELECT VERSION()")[0][0]
        engine = self._fetch("SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s"
                             " AND TABLE_NAME = %s", self.database, TABLE)[0][0]
        kind = "MariaDB" if "mariadb" in version.lower() else "MySQL"
        return f"{kind} {version.split('-')[0]}, {engine}"

    def columns(self) -> list[str]:
        found = self._fetch(
            "SELECT COLUMN_NAME, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s"
            " AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", self.database, TABLE)
        return [name for name, extra in found
                if not re.search(r"auto_increment|generated|virtual|stored|persistent", extra or "", re.I)]

    def _index_columns(self) -> dict[str, tuple[bool, str, list[str]]]:
        found = self._fetch(
            "SELECT INDEX_NAME, NON_UNIQUE, INDEX_TYPE, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS"
            " WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME,"
            " SEQ_IN_INDEX", self.database, TABLE)
        out: dict[str, tuple[bool, str, list[str]]] = {}
        for name, non_unique, kind, column, sub_part in found:
            key = _quote(column, "`") + (f"({sub_part})" if sub_part else "")
            out.setdefault(name, (not int(non_unique), kind, []))[2].append(key)
        return out

    def indexes(self) -> list[Index]:
        """The secondary indexes (the primary key is the table itself: it is kept on the copy)."""
        out = []
        for name, (unique, kind, keys) in self._index_columns().items():
            if name == "PRIMARY":
                continue
            prefix = {"FULLTEXT": "FULLTEXT ", "SPATIAL": "SPATIAL "}.get(kind, "UNIQUE " if unique else "")
            out.append(Index(name, [f"ADD {prefix}INDEX {_quote(name, '`')} ({', '.join(keys)})"]))
        return out

    def _write_infile(self, rows: list[tuple[Any, ...]]) -> Path:
        if self.infile is None:
            self.infile = self.scratch / "users.tsv"
            with self.infile.open("w", encoding="utf-8", newline="\n") as f:
                for row in rows:
                    f.write("\t".join(map(_tsv, row)) + "\n")
        return self.infile

    def _insert(self, conn: Any, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        sql = (f"INSERT INTO {table} ({', '.join(_quote(c, '`') for c in columns)}) "
               f"VALUES ({', '.join('%s' for _ in columns)})")
        with conn.cursor() as cur:
            conn.begin()
            for at in range(0, len(rows), BATCH):
                cur.executemany(sql, rows[at : at + BATCH])  # pymysql: multi-row INSERTs
            conn.commit()

    def limit(self, columns: list[str], rows: list[tuple[Any, ...]], indexes: list[Index]) -> LimitRun:
        loads: dict[str, float] = {}
        infile = self._write_infile(rows) if not self.load_data_refused else None
        with contextlib.closing(_mysql(self.database, local_infile=True)) as conn, conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {COPY}")
            cur.execute(f"CREATE TABLE {COPY} LIKE {TABLE}")
            secondary = [n for n in self._index_columns() if n != "PRIMARY"]
            if secondary:
                cur.execute(f"ALTER TABLE {COPY} " + ", ".join(f"DROP INDEX {_quote(n, '`')}" for n in secondary))
            loads[self.INSERT] = _timed(lambda: self._insert(conn, COPY, columns, rows))
            if infile is not None:
                cur.execute(f"TRUNCATE {COPY}")

                def load_data() -> None:
                    conn.begin()
                    cur.execute(
                        f"LOAD DATA LOCAL INFILE %s INTO TABLE {COPY} CHARACTER SET utf8mb4 "
                        f"({', '.join(_quote(c, '`') for c in columns)})", (str(infile),))
                    conn.commit()

                try:
                    loads[self.LOAD_DATA] = _timed(load_data)
                    (count,) = self._fetch(f"SELECT COUNT(*) FROM {COPY}")[0]
                    if count != len(rows):
                        sys.exit(f"LOAD DATA loaded {count} rows of {len(rows)}")
                except Exception as exc:  # local_infile off on the server, or refused by the driver
                    conn.rollback()
                    self.load_data_refused = str(exc).splitlines()[0]
                    loads.pop(self.LOAD_DATA, None)
                    cur.execute(f"TRUNCATE {COPY}")
                    self._insert(conn, COPY, columns, rows)
            built = 0.0
            if indexes:
                alter = f"ALTER TABLE {COPY} " + ", ".join(d for index in indexes for d in index.ddl)
                built = _timed(lambda: cur.execute(alter))
            cur.execute(f"DROP TABLE {COPY}")
        return LimitRun(loads, built)

    def reference(self, columns: list[str], rows: list[tuple[Any, ...]]) -> float:
        with contextlib.closing(_mysql(self.database)) as conn, conn.cursor() as cur:
            cur.execute(f"TRUNCATE {TABLE}")
            seconds = _timed(lambda: self._insert(conn, TABLE, columns, rows))
            cur.execute(f"TRUNCATE {TABLE}")
        return seconds

    def notes(self) -> str:
        (pool,) = self._fetch("SELECT @@innodb_buffer_pool_size")[0]
        note = f"primary key kept on the copy (the clustered index); innodb_buffer_pool_size {int(pool) // 2**20} MB"
        if self.load_data_refused:
            note += f"; LOAD DATA LOCAL INFILE refused: {self.load_data_refused}"
        return note


@contextlib.contextmanager
def mysql_database() -> Iterator[str]:
    name = f"tk_bench_{uuid.uuid4().hex[:8]}"
    with contextlib.closing(_mysql()) as admin:
        with admin.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        try:
            yield name
        finally:
            with admin.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


# The naive seeder ----------------------------------------------------------------------------


async def naive(tortoise_url: str, count: int, batch: int = 1000) -> float:
    """What a hand-written seed script does: Faker per field, bulk_create per batch."""
    from faker import Faker
    from tortoise import Tortoise

    from toolkit.models import User

    await Tortoise.init(db_url=tortoise_url, modules={"models": ["toolkit.models"]})
    fake = Faker("en_US")
    fake.seed_instance(1)
    started = time.perf_counter()
    try:
        for b in range(0, count, batch):
            users = [
                User(
                    email=f"n{b + i}.{fake.email()}",
                    username=f"n{b + i}{fake.user_name()}"[:64],
                    first_name=fake.first_name(),
                    last_name=fake.last_name(),
                    phone=fake.phone_number()[:32],
                    birth_date=fake.date_of_birth(minimum_age=18, maximum_age=80),
                    city=fake.city(),
                    country_code=fake.country_code(),
                    is_active=fake.boolean(90),
                )
                for i in range(min(batch, count - b))
            ]
            await User.bulk_create(users)
        return time.perf_counter() - started
    finally:
        await Tortoise.close_connections()


def run_naive(tortoise_url: str, count: int) -> float:
    """`naive` in a fresh interpreter: Tortoise keeps state from one `init` to the next (the
    last backend's SQL), and the process should not carry our pre-made rows."""
    code = ("import asyncio, sys; sys.path.insert(0, sys.argv[1]); import seed_bench; "
            "print(asyncio.run(seed_bench.naive(sys.argv[2], int(sys.argv[3]))))")
    proc = subprocess.run([sys.executable, "-c", code, str(Path(__file__).resolve().parent), tortoise_url, str(count)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"naive seeder failed: {proc.stderr.strip()}")
    return float(proc.stdout.split()[-1])


# The run -------------------------------------------------------------------------------------


@dataclass
class Figures:
    backend: str
    server: str
    rows: int
    columns: list[str]
    indexes: list[str]
    notes: str
    limit_load_method: str = ""
    limit_load_seconds: float = 0.0
    limit_index_seconds: float = 0.0
    limit_seconds: float = 0.0
    limit_loads: dict[str, float] = field(default_factory=dict)  # every load method tried
    limit_each_index: dict[str, float] = field(default_factory=dict)  # when built one by one
    reference_seconds: float = 0.0
    toolkit_seconds: float = 0.0
    peak_rss_mb: int = 0
    naive_rows: int = 0
    naive_seconds: float = 0.0
    toolkit_per_limit: float = 0.0
    toolkit_per_reference: float = 0.0
    toolkit_per_naive: float = 0.0
    runs: list[dict[str, Any]] = field(default_factory=list)
    rss_rows: int | None = None
    rss_seconds: float | None = None
    rss_peak_mb: int | None = None


def bench(backend: Backend, project: Path, rows: int, naive_rows: int, repeat: int,
          rss: int | None) -> Figures:
    columns = backend.columns()
    indexes = backend.indexes()
    fig = Figures(backend.name, backend.server(), rows, columns, [i.name for i in indexes], backend.notes())
    say(f"{backend.label}: {fig.server} ({rows:,} rows into {TABLE}: {len(columns)} columns written, "
        f"built after the load in (a): {', '.join(fig.indexes) or 'nothing'})")
    premade = backend.prepare(premade_rows(columns, rows))
    limits: list[LimitRun] = []
    references: list[float] = []
    seeds: list[tuple[float, int]] = []
    for run in range(repeat):
        limits.append(backend.limit(columns, premade, indexes))
        backend.settle()
        references.append(backend.reference(columns, premade))
        backend.settle()
        seeds.append(toolkit(project, "seed", "--count", str(rows), "--seed", "1", "--truncate", url=backend.url))
        lim, ref, (ours, peak) = limits[-1], references[-1], seeds[-1]
        fig.runs.append({"limit_loads": lim.loads, "limit_index_seconds": lim.index,
                         "limit_each_index": lim.each_index, "limit_seconds": lim.total,
                         "reference_seconds": ref, "toolkit_seconds": ours, "peak_rss_mb": peak})
        if repeat > 1:
            say(f"    run {run + 1}/{repeat}: limit {lim.total:.2f}s (load {lim.load:.2f}s + indexes {lim.index:.2f}s)"
                f"   reference {ref:.2f}s   toolkit {ours:.2f}s")
    del premade
    median = sorted(limits, key=lambda r: r.total)[(len(limits) - 1) // 2]  # the median run (low)
    fig.limit_load_method, fig.limit_load_seconds = median.method, median.load
    fig.limit_index_seconds, fig.limit_seconds, fig.limit_loads = median.index, median.total, median.loads
    fig.limit_each_index = median.each_index
    fig.reference_seconds = statistics.median_low(references)
    fig.toolkit_seconds = statistics.median_low(s for s, _ in seeds)
    fig.peak_rss_mb = max(p for _, p in seeds)
    fig.notes = backend.notes()  # now that the loads have been tried

    line("limit: load unindexed, then build indexes", rows, fig.limit_seconds)
    for method, seconds in sorted(fig.limit_loads.items(), key=lambda kv: kv[1]):
        mark = "   <- the limit's load" if len(fig.limit_loads) > 1 and method == fig.limit_load_method else ""
        line(f"  load, no index: {method}", rows, seconds, mark)
    each = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in fig.limit_each_index.items())
    line(f"  then build {len(indexes)} index{'es' if len(indexes) != 1 else ''}"
         + ("" if fig.limit_each_index else " (one ALTER TABLE)"), None, fig.limit_index_seconds,
         f"   {each}" if each else "")
    line(backend.reference_label, rows, fig.reference_seconds)
    line("toolkit seed (process start included)", rows, fig.toolkit_seconds)
    backend.settle()
    if rss:
        seconds, peak = toolkit(project, "seed", "--count", str(rss), "--seed", "2", "--truncate", url=backend.url)
        fig.rss_rows, fig.rss_seconds, fig.rss_peak_mb = rss, seconds, peak
        line(f"toolkit seed --count {rss:,}", rss, seconds, f"   peak RSS {peak} MB")
        backend.settle()
    fig.naive_rows = naive_rows
    fig.naive_seconds = run_naive(backend.tortoise_url, naive_rows)
    line("naive: Faker per field + bulk_create", naive_rows, fig.naive_seconds)

    ours = rows / fig.toolkit_seconds
    fig.toolkit_per_limit = ours / (rows / fig.limit_seconds)
    fig.toolkit_per_reference = ours / (rows / fig.reference_seconds)
    fig.toolkit_per_naive = ours / (naive_rows / fig.naive_seconds)
    say(f"  toolkit / limit = {fig.toolkit_per_limit:.2f}   toolkit / reference = {fig.toolkit_per_reference:.2f}"
        f"   toolkit / naive = {fig.toolkit_per_naive:.1f}x   peak RSS {fig.peak_rss_mb} MB")
    say(f"  ({fig.notes})")
    return fig


def run_postgres(args: argparse.Namespace) -> Figures:
    with postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "proj")
        toolkit(project, "migrate", url=url)
        return bench(Postgres(url), project, args.rows, args.naive_rows, args.repeat, args.rss)


def run_sqlite(args: argparse.Namespace) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "proj")
        toolkit(project, "migrate")
        return bench(Sqlite(project / "dev.sqlite3"), project, args.rows, args.naive_rows, args.repeat, args.rss)


def run_mysql(args: argparse.Namespace) -> Figures:
    with mysql_database() as name, tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "proj")
        backend = Mysql(name, Path(tmp))
        assert backend.url is not None
        toolkit(project, "migrate", url=backend.url)
        return bench(backend, project, args.rows, args.naive_rows, args.repeat, args.rss)


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=20_000)
    parser.add_argument("--backend", choices=["postgres", "sqlite", "mysql", "all", "both"], default="all",
                        help="all: PostgreSQL, SQLite and MySQL/MariaDB (default); both: PostgreSQL and SQLite")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run the limit, the reference and toolkit N times each; report the median")
    parser.add_argument("--rss", type=int, metavar="ROWS", help="also a toolkit seed this big, for its peak RSS")
    parser.add_argument("--json", action="store_true", help="write the figures as JSON to stdout (text to stderr)")
    args = parser.parse_args()
    if args.rows < 1 or args.naive_rows < 1 or args.repeat < 1:
        parser.error("--rows, --naive-rows and --repeat must be at least 1")
    if args.json:
        OUT = sys.stderr
    chosen = {"all": ["postgres", "sqlite", "mysql"], "both": ["postgres", "sqlite"]}.get(args.backend, [args.backend])
    runners = {"postgres": run_postgres, "sqlite": run_sqlite, "mysql": run_mysql}
    figures = [runners[name](args) for name in chosen]
    if args.json:
        json.dump({"rows": args.rows, "naive_rows": args.naive_rows, "repeat": args.repeat,
                   "cpus": os.cpu_count(), "backends": {f.backend: asdict(f) for f in figures}},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
