"""toolkit_seed's field overrides (objects back), its one-line refusal inside the isolation
fixture, and the isolation fixture under anyio's plugin."""

import pytest
from tk_downstream_shop.models import Customer


async def test_overrides_outside(toolkit_seed):
    made = await toolkit_seed("Customer", 3, name="Out")
    assert [c.name for c in made] == ["Out"] * 3 and all(c.pk for c in made)
    report = await toolkit_seed("Customer", 10, seed=4)
    assert report.rows == 10

async def test_refused(toolkit_seed, toolkit_transaction):
    with pytest.raises(pytest.UsageError, match="truncate"):
        await toolkit_seed("Customer", 3, truncate=True)

@pytest.mark.anyio
async def test_anyio_iso(toolkit_factory, toolkit_transaction):
    await toolkit_factory("Customer").create(email="anyio@example.com")

@pytest.mark.anyio
async def test_anyio_iso_gone(toolkit_db):
    assert not await Customer.filter(email="anyio@example.com").exists()

@pytest.fixture
def anyio_backend():
    return "asyncio"
