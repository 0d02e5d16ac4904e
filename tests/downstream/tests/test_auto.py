"""Plain `async def` tests, as pytest-asyncio's auto mode runs them."""

import pytest
from tk_downstream_shop.models import Customer, Order


async def test_the_migrated_schema_takes_rows(toolkit_db):
    ann = await Customer.create(email="ann@example.com", name="Ann")
    await Order.create(customer=ann, total_cents=1250)
    assert await Order.filter(customer__email="ann@example.com").count() == 1


async def test_rows_stay_for_the_whole_session(toolkit_db):
    assert await Customer.filter(email="ann@example.com").exists()


async def test_seeding_fills_the_table(toolkit_seed):
    before = await Customer.all().count()
    report = await toolkit_seed("Customer", 300, seed=1)
    assert report.rows == 300
    assert await Customer.all().count() == before + 300
    # The ORM still works after the seeder ran in the same test.
    assert len({c.email for c in await Customer.all()}) == before + 300


async def test_orders_can_be_seeded_against_seeded_customers(toolkit_seed):
    await toolkit_seed("Order", 50, seed=2)
    assert await Order.filter(customer_id__gt=0).count() >= 50


def test_a_sync_test_sees_the_database(toolkit_db):
    assert toolkit_db.settings.app == "shop"
    assert toolkit_db.dialect in ("sqlite", "postgres", "mysql")


@pytest.fixture
async def customers_checked_after(toolkit_db):
    yield
    # Runs after the plugin closed the test's connections: it opens a new one.
    assert await Customer.all().count() > 0


async def test_an_async_fixture_may_query_in_its_teardown(customers_checked_after):
    assert await Customer.all().exists()
