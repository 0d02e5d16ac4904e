"""The bundled application: the `users` table that `toolkit seed` fills by default."""

from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=255, unique=True)
    username = fields.CharField(max_length=64, unique=True)
    first_name = fields.CharField(max_length=64)
    last_name = fields.CharField(max_length=64)
    phone = fields.CharField(max_length=32, null=True)
    birth_date = fields.DateField(null=True)
    city = fields.CharField(max_length=128, null=True)
    country_code = fields.CharField(max_length=2, null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"

    def __str__(self) -> str:
        return self.username
