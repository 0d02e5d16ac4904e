"""A small shop: every Tortoise field kind and every relation kind the seeder handles."""

from enum import Enum, IntEnum

from tortoise import fields
from tortoise.models import Model


class ProductStatus(str, Enum):  # noqa: UP042  (as Tortoise projects write them)
    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class OrderStatus(str, Enum):  # noqa: UP042
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class Priority(IntEnum):
    LOW = 1
    NORMAL = 2
    HIGH = 3


class Customer(Model):
    """UUID primary key; a nullable self-reference."""

    id = fields.UUIDField(primary_key=True)
    email = fields.CharField(max_length=120, unique=True)
    first_name = fields.CharField(max_length=40)
    last_name = fields.CharField(max_length=40)
    phone = fields.CharField(max_length=32, null=True)
    street = fields.CharField(max_length=120)
    city = fields.CharField(max_length=60)
    postcode = fields.CharField(max_length=12)
    country_code = fields.CharField(max_length=2)
    latitude = fields.FloatField()
    longitude = fields.DecimalField(max_digits=9, decimal_places=6)
    website = fields.CharField(max_length=200, null=True)
    ip_address = fields.CharField(max_length=45)
    company = fields.CharField(max_length=100, null=True)
    bio = fields.TextField(null=True)
    is_vip = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    referred_by = fields.ForeignKeyField(
        "models.Customer", related_name="referrals", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "shop_customers"


class Profile(Model):
    """One-to-one with Customer; binary, JSON, time and interval columns."""

    customer = fields.OneToOneField("models.Customer", related_name="profile")
    username = fields.CharField(max_length=32, unique=True)
    avatar = fields.BinaryField(null=True)
    preferences = fields.JSONField()
    wakes_at = fields.TimeField()
    session_length = fields.TimeDeltaField()
    birth_date = fields.DateField(null=True)

    class Meta:
        table = "shop_profiles"


class Category(Model):
    """A tree: a nullable self-reference."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    slug = fields.CharField(max_length=80, unique=True)
    parent = fields.ForeignKeyField(
        "models.Category", related_name="children", null=True, on_delete=fields.CASCADE
    )

    class Meta:
        table = "shop_categories"


class Tag(Model):
    """A character primary key."""

    code = fields.CharField(primary_key=True, max_length=12)
    title = fields.CharField(max_length=40)

    class Meta:
        table = "shop_tags"


class Product(Model):
    """Decimal, enums, JSON; an implicit many-to-many."""

    id = fields.BigIntField(primary_key=True)
    sku = fields.CharField(max_length=20, unique=True)
    title = fields.CharField(max_length=120)
    description = fields.TextField()
    price = fields.DecimalField(max_digits=10, decimal_places=2)
    weight = fields.FloatField(null=True)
    stock = fields.SmallIntField(default=0)
    status = fields.CharEnumField(ProductStatus, default=ProductStatus.ACTIVE)
    priority = fields.IntEnumField(Priority)
    attributes = fields.JSONField(null=True)
    category = fields.ForeignKeyField("models.Category", related_name="products")
    created_by = fields.ForeignKeyField("models.Customer", related_name="listed_products")
    tags: fields.ManyToManyRelation[Tag] = fields.ManyToManyField(
        "models.Tag", related_name="products"
    )

    class Meta:
        table = "shop_products"


class Order(Model):
    """A named through table for its products."""

    id = fields.IntField(primary_key=True)
    number = fields.BigIntField(unique=True)
    customer = fields.ForeignKeyField("models.Customer", related_name="orders")
    placed_at = fields.DatetimeField()
    total = fields.DecimalField(max_digits=12, decimal_places=2)
    currency = fields.CharField(max_length=3)
    status = fields.CharEnumField(OrderStatus)
    note = fields.CharField(max_length=200, null=True)
    products: fields.ManyToManyRelation[Product] = fields.ManyToManyField(
        "models.Product",
        through="shop_order_lines",
        backward_key="order_id",
        forward_key="product_id",
        related_name="orders",
    )

    class Meta:
        table = "shop_orders"


class Review(Model):
    """A link model: two foreign keys, unique as a pair."""

    customer = fields.ForeignKeyField("models.Customer", related_name="reviews")
    product = fields.ForeignKeyField("models.Product", related_name="reviews")
    rating = fields.SmallIntField()
    title = fields.CharField(max_length=80)
    body = fields.TextField()

    class Meta:
        table = "shop_reviews"
        unique_together = (("customer", "product"),)


class Coupon(Model):
    """A BigInt key the database doesn't generate; unique_together on plain columns."""

    id = fields.BigIntField(primary_key=True, generated=False)
    campaign = fields.CharField(max_length=24)
    code = fields.CharField(max_length=16)
    discount = fields.DecimalField(max_digits=5, decimal_places=2)
    valid_for = fields.TimeDeltaField()
    priority = fields.IntEnumField(Priority, default=Priority.NORMAL)

    class Meta:
        table = "shop_coupons"
        unique_together = (("campaign", "code"),)
