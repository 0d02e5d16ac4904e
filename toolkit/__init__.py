"""toolkit: database migrations (Aerich) and fast realistic seeding (Faker) for Tortoise ORM."""

__version__ = "0.1.0"
