"""P24: the viewer's country, from the trusted edge header or else the address, chooses the
home page's greeting and which cards come first; anything else gets the default home page."""
from __future__ import annotations

import pytest

from functions.home import GREETINGS, home_for
from shared.catalog import products
from shared.geo import country_code, country_of_address, viewer_country

# Addresses in blocks the registries assign to each country (iptocc's data, pinned).
MEXICO, INDIA, PHILIPPINES, USA = "189.203.0.1", "49.44.0.1", "112.198.0.1", "8.8.8.8"
GARBAGE_HEADERS = ["", " ", "mx", "Mx", "MEX", "M", "M1", "XX", "ZZ", "EU", "MX,US", "MX US", "<b>MX</b>", "MX\x00",
                   "ＭＸ", "É1", "MX" * 500, "\u200bMX"]


def test_p24_the_address_gives_the_country():
    assert [country_of_address(a) for a in (MEXICO, INDIA, PHILIPPINES, USA)] == ["MX", "IN", "PH", "US"]
    assert country_of_address("2001:4860:4860::8888") == "US"


@pytest.mark.parametrize("address", [None, "", "127.0.0.1", "::1", "10.1.2.3", "192.168.0.9", "not an address",
                                     "999.1.1.1", "1.2.3.4.5", "1" * 5000, "189.203.0.1\n"])
def test_p24_an_address_without_a_country_gives_none(address):
    assert country_of_address(address) is None


def test_p24_a_country_code_is_two_capital_letters_that_name_a_country():
    assert country_code("MX") == "MX"
    assert [country_code(h) for h in GARBAGE_HEADERS] == [None] * len(GARBAGE_HEADERS)


def test_p24_the_header_is_ignored_unless_the_stage_trusts_it():
    """A regional endpoint passes a client's own header through: without the setting it
    cannot outvote the address, nor make a country of a loopback."""
    assert viewer_country(INDIA, "MX", trust_header=False) == "IN"
    assert viewer_country("127.0.0.1", "MX", trust_header=False) is None
    assert viewer_country(INDIA, "MX", trust_header=True) == "MX"


@pytest.mark.parametrize("header", GARBAGE_HEADERS + [None])
def test_p24_a_garbage_header_where_trusted_falls_back_to_the_address(header):
    assert viewer_country(INDIA, header, trust_header=True) == "IN"
    assert viewer_country("127.0.0.1", header, trust_header=True) is None


@pytest.mark.parametrize("country", sorted(GREETINGS))
def test_p24_a_country_with_cards_gets_its_greeting_and_its_cards_first(country):
    home = home_for(country)
    greeting = GREETINGS[country]
    assert home.country == country and home.greeting == greeting
    theirs = [c for c in home.cards if c.product.destination == greeting.destination]
    assert theirs and home.cards[:len(theirs)] == theirs and all(c.for_viewer for c in theirs)
    assert not any(c.for_viewer for c in home.cards[len(theirs):])
    assert sorted(c.product.sku for c in home.cards) == sorted(products())


@pytest.mark.parametrize("country", [None, "US", "DE", "unknown"])
def test_p24_any_other_viewer_gets_the_default_home_page(country):
    home = home_for(country)
    assert home.country is None and home.greeting is None
    assert [c.product.sku for c in home.cards] == list(products()) and not any(c.for_viewer for c in home.cards)


def test_p24_every_greeting_names_a_destination_on_sale_and_speaks_its_own_words():
    destinations = {p.destination for p in products().values()}
    for code, greeting in GREETINGS.items():
        assert greeting.destination in destinations, code
        assert greeting.greeting and greeting.welcome and greeting.lang
