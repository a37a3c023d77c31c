"""The products on sale. Definitions change with a release; stock comes from the PIN
inventory in the table, never from a number kept by hand."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    destination: str
    denomination: str
    price_cents: int
    currency: str

    @property
    def price(self) -> str:
        return format_cents(self.price_cents)


def format_cents(cents: int) -> str:
    """Minor units as the decimal string the API shows: 1050 -> "10.50"."""
    return f"{cents // 100}.{cents % 100:02d}"


@functools.cache
def products() -> dict[str, Product]:
    entries = json.loads((Path(__file__).parent / "catalog.json").read_text())
    return {entry["sku"]: Product(**entry) for entry in entries}


def product(sku: str) -> Product | None:
    return products().get(sku)
