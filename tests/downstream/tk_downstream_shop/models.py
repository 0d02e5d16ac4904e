"""Customers and their orders. The module name is unique so it can't shadow another project."""

from tortoise import fields
from tortoise.models import Model


class Customer(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=255, unique=True)
    name = fields.CharField(max_length=100)
    joined_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "customers"


class Order(Model):
    id = fields.IntField(primary_key=True)
    customer: fields.ForeignKeyRelation[Customer] = fields.ForeignKeyField(
        "shop.Customer", related_name="orders"
    )
    total_cents = fields.IntField()

    class Meta:
        table = "orders"
