"""toolkit_seed inside a transaction the suite opens itself (a fixture around
`in_transaction()`, as teams write before they find toolkit_transaction), and inside the
plugin's: the same kind of result as outside, rows gone afterwards, later tests unharmed.

Outside tests/ (the suite test_pytest_plugin.py counts); run in file order.
"""

import pytest
from tk_downstream_shop.models import Customer
from tortoise.transactions import in_transaction

from toolkit.seed.report import SeedReport


class Rollback(Exception):
    pass


@pytest.fixture
async def own_transaction(toolkit_db):
    try:
        async with in_transaction() as conn:
            yield conn
            raise Rollback
    except Rollback:
        pass


async def test_seed_in_our_own_transaction_returns_a_report(own_transaction, toolkit_seed):
    report = await toolkit_seed("Customer", 5, seed=1)
    assert isinstance(report, SeedReport)
    assert report.rows == 5 and [t.rows for t in report.tables] == [5]
    assert await Customer.all().count() == 5


async def test_overrides_in_our_own_transaction_return_objects(own_transaction, toolkit_seed):
    assert await Customer.all().count() == 0  # the last test's rows were rolled back
    made = await toolkit_seed("Customer", 3, name="Own")
    assert [c.name for c in made] == ["Own"] * 3 and all(c.pk for c in made)
    with pytest.raises(pytest.UsageError, match=r"truncate can't be used .* inside a transaction"):
        await toolkit_seed("Customer", 3, truncate=True)


async def test_seed_in_the_plugins_transaction_returns_the_same_report(toolkit_seed, toolkit_transaction):
    report = await toolkit_seed("Customer", 4, seed=2)
    assert isinstance(report, SeedReport) and report.rows == 4


async def test_later_tests_seed_by_the_seeder_as_usual(toolkit_seed):
    assert await Customer.all().count() == 0
    report = await toolkit_seed("Customer", 20, seed=3)
    assert isinstance(report, SeedReport) and report.rows == 20
    assert await Customer.all().count() == 20


# Last: pytest-asyncio runs this (async) fixture in its loop and anyio the test in its own,
# so the test can't see the fixture's transaction and its seeding would commit: refused.
# (Such a fixture leaks its connection whatever the test does; nothing runs after it here.)
@pytest.mark.anyio
async def test_a_transaction_from_another_loop_is_refused_in_one_line(own_transaction, toolkit_seed):
    with pytest.raises(pytest.UsageError, match="opened in another event loop"):
        await toolkit_seed("Customer", 2, seed=4)  # refused before the seeder starts


@pytest.fixture
def anyio_backend():
    return "asyncio"
