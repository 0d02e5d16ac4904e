"""Tests marked for pytest-asyncio's strict mode, in function and module event loops."""

import pytest
from tk_downstream_shop.models import Customer
from tortoise.transactions import in_transaction


@pytest.mark.asyncio
async def test_marked_test_uses_the_orm(toolkit_db):
    await Customer.create(email="bob@example.com", name="Bob")
    assert (await Customer.get(email="bob@example.com")).name == "Bob"


@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop_uses_the_orm(toolkit_db):
    assert await Customer.filter(email="bob@example.com").count() == 1


@pytest.mark.asyncio(loop_scope="module")
async def test_transactions_roll_back(toolkit_db):
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await Customer.create(email="gone@example.com", name="Gone")
            raise RuntimeError("roll back")
    assert not await Customer.filter(email="gone@example.com").exists()


@pytest.mark.asyncio
async def test_marked_test_can_seed(toolkit_seed):
    report = await toolkit_seed("Customer", 120, seed=7, batch_size=50)
    assert [t.rows for t in report.tables] == [120]


@pytest.mark.asyncio
async def test_a_failed_seed_leaves_the_orm_working(toolkit_seed):
    with pytest.raises(Exception, match="unknown model 'Nobody'"):
        await toolkit_seed("Nobody", 10)
    assert await Customer.filter(email="bob@example.com").exists()
