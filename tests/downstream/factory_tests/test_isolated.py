"""toolkit_factory inside toolkit_transaction: each test's rows are rolled back.

Outside tests/ (the suite test_pytest_plugin.py counts), run by tests/test_factories.py,
in order, and with pytest-xdist `-n 2` (each worker builds its own database).
"""

import pytest
from tk_downstream_shop.models import Customer, Order
from tortoise.transactions import in_transaction


async def test_a_row_made_in_one_test(toolkit_factory, toolkit_transaction):
    ann = await toolkit_factory("Customer", seed=1).create(email="iso@example.com")
    orders = await toolkit_factory("Order").for_(ann).create_batch(3, total_cents=lambda i: i * 100)
    assert [o.total_cents for o in orders] == [0, 100, 200]
    assert all(o.pk for o in orders)
    assert await Order.filter(customer=ann).count() == 3


async def test_is_gone_in_the_next(toolkit_factory, toolkit_transaction):
    assert not await Customer.filter(email="iso@example.com").exists()
    assert await Order.all().count() == 0


async def test_seed_and_savepoints_work_inside(toolkit_seed, toolkit_transaction):
    made = await toolkit_seed("Customer", 5, name="Seeded")
    assert [c.name for c in made] == ["Seeded"] * 5
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await Customer.create(email="inner@example.com", name="Inner")
            raise RuntimeError("roll back the savepoint only")
    assert await Customer.filter(name="Seeded").count() == 5
    assert not await Customer.filter(email="inner@example.com").exists()


async def test_and_those_are_gone_too(toolkit_isolated):
    assert not await Customer.filter(name="Seeded").exists()
