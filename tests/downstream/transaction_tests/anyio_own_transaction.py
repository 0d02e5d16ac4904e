"""The same under anyio alone (`-p no:asyncio`): anyio runs the fixture and the test in
one loop and hands the fixture's context to the test, so toolkit_seed joins the
transaction. Not collected by name (test_*.py): run on its own."""

import pytest
from tk_downstream_shop.models import Customer
from tortoise.transactions import in_transaction

from toolkit.seed.report import SeedReport

pytestmark = pytest.mark.anyio


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


async def test_seed_in_our_own_transaction(own_transaction, toolkit_seed):
    report = await toolkit_seed("Customer", 2, seed=4)
    assert isinstance(report, SeedReport) and report.rows == 2
    assert await Customer.all().count() == 2


async def test_rolled_back_and_the_seeder_works_after(toolkit_seed):
    assert await Customer.all().count() == 0
    assert (await toolkit_seed("Customer", 3, seed=4)).rows == 3
    assert await Customer.all().count() == 3


@pytest.fixture
def anyio_backend():
    return "asyncio"
