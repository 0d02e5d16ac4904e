"""Seeding speed, measured against references taken in the same run, on the same table.

    python bench/seed_bench.py                    # PostgreSQL and SQLite, 1M rows
    python bench/seed_bench.py --rows 200000 --backend sqlite
    python bench/seed_bench.py --rss 10000000     # also peak RSS of a 10M-row seed

PostgreSQL: the server in TOOLKIT_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
a scratch database is created and dropped.

What is timed:
- reference: rows generated up front (not timed), then loaded raw: asyncpg
  `copy_records_to_table` (PostgreSQL) or `sqlite3.executemany` in one transaction (SQLite);
- toolkit: `toolkit seed --count N` as a subprocess, process start included;
- naive: Faker field by field plus Tortoise `bulk_create` per batch, on a smaller count.
Rates are rows/s; ratios are toolkit / reference and toolkit / naive.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

REPO = Path(__file__).resolve().parent.parent
TOOLKIT = str(Path(sys.executable).with_name("toolkit"))
PG_ADMIN = os.environ.get("TOOLKIT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
COLUMNS = [
    "email", "username", "first_name", "last_name", "phone", "birth_date", "city",
    "country_code", "is_active", "created_at",
]


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
    seconds, peak, rc = proc.stdout.split()
    if int(rc) != 0:
        sys.exit(f"toolkit {' '.join(args)} failed: {proc.stderr.strip()}")
    return float(seconds), int(peak)


def premade_rows(count: int) -> list[tuple]:
    """The same kind of rows toolkit makes (its own generator), made before the clock starts."""
    import datetime as dt

    from toolkit.seed.generate import RowMaker, default_plans
    from toolkit.seed.pools import Pools
    from toolkit.seed.table import Column, Table

    cols = (
        Column("email", "email", "char", 255, unique=True),
        Column("username", "username", "char", 64, unique=True),
        Column("first_name", "first_name", "char", 64),
        Column("last_name", "last_name", "char", 64),
        Column("phone", "phone", "char", 32, nullable=True),
        Column("birth_date", "birth_date", "date", nullable=True),
        Column("city", "city", "char", 128, nullable=True),
        Column("country_code", "country_code", "char", 2, nullable=True),
        Column("is_active", "is_active", "bool", default=True),
        Column("created_at", "created_at", "datetime"),
    )
    table = Table("users", "User", cols)
    maker = RowMaker(table, default_plans(table), Pools("en_US"), seed=99)
    rows = maker.rows(10**9, 10**9 + count)  # far from toolkit's indices: no unique clash
    assert isinstance(rows[0][-1], dt.datetime)
    return rows


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def pg_reference(url: str, rows: list[tuple]) -> float:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("TRUNCATE users RESTART IDENTITY")
        started = time.perf_counter()
        await conn.copy_records_to_table("users", records=rows, columns=COLUMNS)
        seconds = time.perf_counter() - started
        await conn.execute("TRUNCATE users RESTART IDENTITY")
        return seconds
    finally:
        await conn.close()


def sqlite_reference(path: Path, rows: list[tuple]) -> float:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("DELETE FROM users")
    marks = ", ".join("?" for _ in COLUMNS)
    sql = f"INSERT INTO users ({', '.join(COLUMNS)}) VALUES ({marks})"
    started = time.perf_counter()
    db.execute("BEGIN")
    db.executemany(sql, rows)
    db.execute("COMMIT")
    seconds = time.perf_counter() - started
    db.execute("DELETE FROM users")
    db.close()
    return seconds


async def naive(url: str, count: int, batch: int = 1000) -> float:
    """What a hand-written seed script does: Faker per field, bulk_create per batch."""
    from faker import Faker
    from tortoise import Tortoise

    from toolkit.models import User

    tortoise_url = url.replace("postgresql://", "asyncpg://")
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


def line(label: str, rows: int, seconds: float) -> float:
    rate = rows / seconds
    print(f"  {label:<44} {rows:>10,} rows {seconds:8.2f}s {rate:>12,.0f} rows/s")
    return rate


def bench_postgres(rows: int, naive_rows: int, rss: int | None) -> None:
    name = f"tk_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(pg_admin(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            project = make_project(Path(tmp) / "proj")
            toolkit(project, "migrate", url=url)
            print(f"PostgreSQL ({rows:,} rows, table users)")
            premade = premade_rows(rows)
            ref = line("reference: copy_records_to_table, pre-made", rows, asyncio.run(pg_reference(url, premade)))
            del premade
            seconds, peak = toolkit(project, "seed", "--count", str(rows), "--seed", "1", "--truncate", url=url)
            ours = line("toolkit seed (process start included)", rows, seconds)
            slow = line("naive: Faker per field + bulk_create", naive_rows, asyncio.run(naive(url, naive_rows)))
            print(f"  toolkit / reference = {ours / ref:.2f}   toolkit / naive = {ours / slow:.1f}x   peak RSS {peak} MB")
            if rss:
                seconds, peak = toolkit(project, "seed", "--count", str(rss), "--seed", "2", "--truncate", url=url)
                line(f"toolkit seed --count {rss:,}", rss, seconds)
                print(f"  peak RSS at {rss:,} rows: {peak} MB")
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def bench_sqlite(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp) / "proj")
        toolkit(project, "migrate")
        print(f"SQLite ({rows:,} rows, table users)")
        premade = premade_rows(rows)
        ref = line("reference: executemany, one transaction", rows, sqlite_reference(project / "dev.sqlite3", premade))
        del premade
        seconds, peak = toolkit(project, "seed", "--count", str(rows), "--seed", "1", "--truncate")
        ours = line("toolkit seed (process start included)", rows, seconds)
        print(f"  toolkit / reference = {ours / ref:.2f}   peak RSS {peak} MB")


MYSQL_ADMIN = os.environ.get("TOOLKIT_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/mysql")


def _mysql(database: str | None = None):  # type: ignore[no-untyped-def]
    from urllib.parse import urlsplit

    import pymysql

    u = urlsplit(MYSQL_ADMIN)
    return pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username or "root",
                           password=u.password or "", database=database, autocommit=True)


def mysql_reference(database: str, rows: list[tuple]) -> float:
    """Pre-made rows through the driver's multi-row executemany, in one transaction."""
    conn = _mysql(database)
    try:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM users")
            sql = f"INSERT INTO users ({', '.join(COLUMNS)}) VALUES ({', '.join('%s' for _ in COLUMNS)})"
            started = time.perf_counter()
            conn.begin()
            for at in range(0, len(rows), 10_000):
                cur.executemany(sql, rows[at : at + 10_000])
            conn.commit()
            seconds = time.perf_counter() - started
            cur.execute("DELETE FROM users")
        return seconds
    finally:
        conn.close()


def bench_mysql(rows: int) -> None:
    name = f"tk_bench_{uuid.uuid4().hex[:8]}"
    admin = _mysql()
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    url = MYSQL_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            project = make_project(Path(tmp) / "proj")
            toolkit(project, "migrate", url=url)
            print(f"MySQL/MariaDB ({rows:,} rows, table users)")
            premade = premade_rows(rows)
            ref = line("reference: executemany, one transaction", rows, mysql_reference(name, premade))
            del premade
            seconds, peak = toolkit(project, "seed", "--count", str(rows), "--seed", "1", "--truncate", url=url)
            ours = line("toolkit seed (process start included)", rows, seconds)
            print(f"  toolkit / reference = {ours / ref:.2f}   peak RSS {peak} MB")
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=20_000)
    parser.add_argument("--backend", choices=["postgres", "sqlite", "mysql", "both", "all"], default="both",
                        help="both: PostgreSQL and SQLite; all: MySQL too")
    parser.add_argument("--rss", type=int, metavar="ROWS", help="also measure peak RSS of a seed this big (PostgreSQL)")
    args = parser.parse_args()
    if args.backend in ("postgres", "both", "all"):
        bench_postgres(args.rows, args.naive_rows, args.rss)
    if args.backend in ("sqlite", "both", "all"):
        bench_sqlite(args.rows)
    if args.backend in ("mysql", "all"):
        bench_mysql(args.rows)


if __name__ == "__main__":
    main()
