"""The products on sale, with stock derived from the PIN inventory."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.catalog import products
from shared.ports import Ports


class ProductView(BaseModel):
    sku: str
    name: str
    destination: str
    denomination: str
    price: str
    currency: str
    in_stock: bool


class ProductList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    products: list[ProductView]


def list_products(ports: Ports) -> list[ProductView]:
    return [
        ProductView(sku=p.sku, name=p.name, destination=p.destination, denomination=p.denomination,
                    price=p.price, currency=p.currency, in_stock=ports.commerce.has_stock(p.sku))
        for p in products().values()
    ]
