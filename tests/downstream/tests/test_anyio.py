"""The same fixtures under anyio's pytest plugin (asyncio backend: the drivers are asyncio's)."""

import pytest
from tk_downstream_shop.models import Customer

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_anyio_test_uses_the_orm(toolkit_db):
    await Customer.create(email="cyd@example.com", name="Cyd")
    assert await Customer.filter(name="Cyd").count() == 1


async def test_anyio_test_can_seed(toolkit_seed):
    report = await toolkit_seed("Customer", 80, seed=9)
    assert report.rows == 80
    assert await Customer.filter(name="Cyd").exists()
