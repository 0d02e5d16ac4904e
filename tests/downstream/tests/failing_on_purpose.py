"""Fails on purpose: the outer test checks that the database is still dropped.

Not named test_*.py, so only an explicit path runs it.
"""

from tk_downstream_shop.models import Customer


async def test_that_fails(toolkit_db):
    await Customer.create(email="fail@example.com", name="Fail")
    assert await Customer.all().count() == -1, "failing on purpose"
