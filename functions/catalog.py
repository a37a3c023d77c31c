"""The products on sale, with stock derived from the PIN inventory, and the rate table."""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, RootModel

from shared.catalog import (
    Destination,
    access_numbers,
    destination_of,
    destinations,
    products,
    rates_currency,
    toll_free_number,
)
from shared.errors import InvalidInput, NotFound
from shared.ports import Ports

_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")


class Rates(BaseModel):
    landline_per_minute: str = Field(description="Price of a minute to a landline, in the product's currency")
    mobile_per_minute: str = Field(description="Price of a minute to a mobile phone, in the product's currency")


class Minutes(BaseModel):
    landline: int = Field(description="Minutes the card gives to landlines: value / rate, rounded down")
    mobile: int = Field(description="Minutes the card gives to mobiles: value / rate, rounded down")


class Fees(BaseModel):
    connection: str = Field(description="Charged per connected call, in the product's currency; \"0.00\" is none")
    maintenance: str = Field(description="Charged per week of use, in the product's currency; \"0.00\" is none")


class AccessNumberView(BaseModel):
    from_country: str = Field(description="ISO 3166-1 alpha-2 code of the country the buyer calls from")
    city: str | None = Field(default=None, description="The city a local number serves; absent for toll-free")
    number: str = Field(description="The number to dial first")
    toll_free: bool = Field(description="Whether calling this number is free")


class ProductView(BaseModel):
    sku: str
    name: str
    destination: str = Field(description="The country the card calls")
    denomination: str = Field(description="The card's value")
    price: str
    currency: str
    in_stock: bool
    rates: Rates
    minutes: Minutes
    fees: Fees
    expiry_days: int = Field(description="Days after first use until the card's remaining minutes expire")
    access_numbers: list[AccessNumberView] = Field(description="The numbers to dial first, by where one calls from")
    dialing_example: str = Field(description="A worked example: access number, PIN, then the number abroad")


class Products(RootModel[list[ProductView]]):
    model_config = ConfigDict(defer_build=True)


class RateRow(BaseModel):
    destination: str = Field(description="ISO 3166-1 alpha-2 code of the country called")
    country_name: str
    landline_per_minute: str = Field(description="Price of a minute to a landline")
    mobile_per_minute: str = Field(description="Price of a minute to a mobile phone")
    currency: str


class RateTable(RootModel[list[RateRow]]):
    model_config = ConfigDict(defer_build=True)


def list_products(ports: Ports) -> list[ProductView]:
    numbers = [AccessNumberView(**vars(n)) for n in access_numbers()]
    dial = toll_free_number().number
    views = []
    for p in products().values():
        place = destination_of(p)
        if place is None:  # a product must name a destination with rates: a release defect
            raise RuntimeError(f"product {p.sku} names a destination without rates")
        views.append(ProductView(
            sku=p.sku, name=p.name, destination=p.destination, denomination=p.denomination, price=p.price,
            currency=p.currency, in_stock=ports.commerce.has_stock(p.sku),
            rates=Rates(landline_per_minute=place.landline_per_minute, mobile_per_minute=place.mobile_per_minute),
            minutes=Minutes(landline=place.minutes(p.price_cents, place.landline_per_minute),
                            mobile=place.minutes(p.price_cents, place.mobile_per_minute)),
            fees=Fees(connection=place.connection_fee, maintenance=place.maintenance_fee),
            expiry_days=place.expiry_days, access_numbers=numbers, dialing_example=place.dialing_example(dial)))
    return views


def _row(place: Destination) -> RateRow:
    return RateRow(destination=place.code, country_name=place.country_name,
                   landline_per_minute=place.landline_per_minute, mobile_per_minute=place.mobile_per_minute,
                   currency=rates_currency())


def rate_table(destination: str | None) -> list[RateRow]:
    """Every destination's rates, or one's by its country code (API clients)."""
    if destination is None:
        return [_row(d) for d in destinations().values()]
    if not _COUNTRY_CODE.match(destination):
        raise InvalidInput("destination: a two-letter country code, such as MX", code="invalid_destination")
    place = destinations().get(destination.upper())
    if place is None:
        raise NotFound(f"No rates to {destination.upper()}: we sell no cards for it.", code="unknown_destination")
    return [_row(place)]


def search_rates(query: str) -> list[RateRow]:
    """The rates page's search: a country code or any part of a country's name."""
    words = query.strip().casefold()
    if not words:
        return [_row(d) for d in destinations().values()]
    return [_row(d) for d in destinations().values()
            if d.code.casefold() == words or words in d.country_name.casefold()]
