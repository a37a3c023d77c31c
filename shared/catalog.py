"""The products on sale and what each card gives. Definitions change with a release; stock
comes from the PIN inventory in the table, never from a number kept by hand.

Rates are per minute in the catalog's currency; a card's minutes are its value divided by
the rate, rounded down. Fees are stated even when zero."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

_HERE = Path(__file__).parent


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


@dataclass(frozen=True)
class AccessNumber:
    from_country: str
    city: str | None
    number: str
    toll_free: bool


@dataclass(frozen=True)
class Destination:
    code: str  # ISO 3166-1 alpha-2
    country_name: str  # as the catalog's products name their destination
    landline_per_minute: str
    mobile_per_minute: str
    connection_fee: str
    maintenance_fee: str
    expiry_days: int  # after first use
    example_number: str  # country code and a number, grouped as people write them

    def minutes(self, value_cents: int, per_minute: str) -> int:
        return int((Decimal(value_cents) / 100 / Decimal(per_minute)).to_integral_value(rounding=ROUND_DOWN))

    def dialing_example(self, access_number: str) -> str:
        return f"dial {access_number}, enter the PIN, then 011 {self.example_number} #"


def format_cents(cents: int) -> str:
    """Minor units as the decimal string the API shows: 1050 -> "10.50"."""
    return f"{cents // 100}.{cents % 100:02d}"


@functools.cache
def products() -> dict[str, Product]:
    entries = json.loads((_HERE / "catalog.json").read_text())
    return {entry["sku"]: Product(**entry) for entry in entries}


def product(sku: str) -> Product | None:
    return products().get(sku)


@functools.cache
def _destination_data() -> dict:
    return json.loads((_HERE / "destinations.json").read_text())


@functools.cache
def destinations() -> dict[str, Destination]:
    """Every destination with rates, by its country code, in the catalog's order."""
    return {entry["code"]: Destination(**entry) for entry in _destination_data()["destinations"]}


def rates_currency() -> str:
    return str(_destination_data()["currency"])


@functools.cache
def access_numbers() -> tuple[AccessNumber, ...]:
    """Where a card is dialled from: the same numbers serve every card."""
    return tuple(AccessNumber(**entry) for entry in _destination_data()["access_numbers"])


def toll_free_number() -> AccessNumber:
    return next(n for n in access_numbers() if n.toll_free)


def destination_of(item: Product) -> Destination | None:
    return next((d for d in destinations().values() if d.country_name == item.destination), None)
