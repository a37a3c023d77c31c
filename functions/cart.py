"""The cart (P20): keyed by an opaque random id from a browser-session cookie; it holds
SKUs and quantities only, never anything about the person."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from shared.catalog import format_cents, product
from shared.errors import InvalidInput
from shared.ids import new_secret_token
from shared.ports import Ports

CART_LIFETIME_SECONDS = 24 * 3600
MAX_QUANTITY = 10


class CartItemBody(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    sku: str = Field(min_length=1, max_length=40)
    quantity: StrictInt = Field(ge=1, le=MAX_QUANTITY)


class CartLine(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: str
    currency: str


class CartView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[CartLine]
    total: str
    currency: str | None
    capped: list[str] = []  # cards this change would have put past MAX_QUANTITY (stopped there)


def view(items: dict[str, int], capped: list[str] | None = None) -> CartView:
    lines, total = [], 0
    for sku, quantity in sorted(items.items()):
        known = product(sku)
        if known is None:
            continue
        lines.append(CartLine(sku=sku, name=known.name, quantity=quantity, unit_price=known.price,
                              currency=known.currency))
        total += known.price_cents * quantity
    currency = lines[0].currency if lines else None
    return CartView(items=lines, total=format_cents(total), currency=currency, capped=capped or [])


def valid_cart_id(cart_id: str | None) -> str | None:
    """A cart id is one we minted (43 URL-safe characters); anything else means no cart."""
    return cart_id if cart_id and len(cart_id) == 43 and cart_id.replace("-", "").replace("_", "").isalnum() else None


def read(cart_id: str | None, ports: Ports) -> dict[str, int]:
    known = valid_cart_id(cart_id)
    return ports.commerce.cart(known, ports.clock.now()) if known else {}


def add_item(cart_id: str | None, body: CartItemBody, ports: Ports) -> tuple[str, CartView]:
    """Add to the cart (making one when there is none); returns the cart id and contents.
    A card's quantity stops at MAX_QUANTITY (the view says so: `capped`)."""
    if product(body.sku) is None:
        raise InvalidInput(f"sku: no product {body.sku!r}", code="unknown_sku")
    known = valid_cart_id(cart_id) or new_secret_token()
    items = read(known, ports)
    wanted = items.get(body.sku, 0) + body.quantity
    items[body.sku] = min(wanted, MAX_QUANTITY)
    ports.commerce.put_cart(known, items, int(ports.clock.now()) + CART_LIFETIME_SECONDS)
    return known, view(items, capped=[body.sku] if wanted > MAX_QUANTITY else [])


def set_quantity(cart_id: str | None, sku: str, quantity: int, ports: Ports) -> CartView:
    """The cart page's quantity box: 0 removes the card; more than MAX_QUANTITY is refused."""
    if not 0 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"quantity: from 0 to {MAX_QUANTITY}", code="validation_error")
    known = valid_cart_id(cart_id)
    items = read(known, ports)
    if not known or sku not in items:
        return view(items)
    if quantity:
        items[sku] = quantity
    else:
        del items[sku]
    ports.commerce.put_cart(known, items, int(ports.clock.now()) + CART_LIFETIME_SECONDS)
    return view(items)


def remove_item(cart_id: str | None, sku: str, ports: Ports) -> CartView:
    known = valid_cart_id(cart_id)
    items = read(known, ports)
    if known and items.pop(sku, None) is not None:
        ports.commerce.put_cart(known, items, int(ports.clock.now()) + CART_LIFETIME_SECONDS)
    return view(items)


def empty(cart_id: str | None, ports: Ports) -> None:
    known = valid_cart_id(cart_id)
    if known:
        ports.commerce.put_cart(known, {}, int(ports.clock.now()) + CART_LIFETIME_SECONDS)
