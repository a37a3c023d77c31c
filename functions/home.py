"""P24: the home page by the viewer's country. A country the store sells cards for gets its
own greeting and its cards first; every other viewer, and one whose country is unknown,
gets the default home page with the cards in catalogue order. The country is all this
module is given: never the address it came from."""
from __future__ import annotations

from dataclasses import dataclass

from shared.catalog import Product, products


@dataclass(frozen=True)
class CountryGreeting:
    destination: str  # as the catalogue names it
    greeting: str  # in the country's words
    lang: str  # BCP 47 tag of the greeting's language
    welcome: str  # the same welcome in English


# ISO 3166-1 alpha-2 code -> the greeting of a country whose cards the store sells.
GREETINGS: dict[str, CountryGreeting] = {
    "MX": CountryGreeting("Mexico", "¡Hola, México!", "es-MX", "Welcome, Mexico: your calling cards come first."),
    "IN": CountryGreeting("India", "नमस्ते भारत!", "hi", "Welcome, India: your calling cards come first."),
    "PH": CountryGreeting("Philippines", "Mabuhay, Pilipinas!", "fil",
                          "Welcome, Philippines: your calling cards come first."),
}


@dataclass(frozen=True)
class HomeCard:
    product: Product
    for_viewer: bool  # a card for the viewer's country


@dataclass(frozen=True)
class Home:
    country: str | None  # the country whose home this is; None for the default home page
    greeting: CountryGreeting | None
    cards: list[HomeCard]


def home_for(country: str | None) -> Home:
    """The home page's content for a viewer in `country` (an ISO code, or None)."""
    greeting = GREETINGS.get(country) if country else None
    catalogue = list(products().values())
    if greeting is None:
        return Home(None, None, [HomeCard(p, False) for p in catalogue])
    theirs = [HomeCard(p, True) for p in catalogue if p.destination == greeting.destination]
    others = [HomeCard(p, False) for p in catalogue if p.destination != greeting.destination]
    return Home(country, greeting, theirs + others)
