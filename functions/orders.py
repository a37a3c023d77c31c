"""Orders as their owner sees them (P10): a paid order shows its PINs to its owner only."""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from functions.mail_compose import AccountMail, MailDefect, MailParts, SendTimeFacts
from shared.catalog import format_cents, product
from shared.errors import NotFound
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.commerce import Order
from shared.store.mail import MailJob


_ORDER_ID = re.compile(r"^ord_[0-9a-f]{24}$")  # functions.checkout mints them


class Card(BaseModel):
    sku: str
    name: str
    pin: str
    dialing_instructions: str


class OrderView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    order_id: str
    status: str
    description: str
    amount: str
    currency: str
    created_at: str
    cards: list[Card] | None = None


class OrderList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    orders: list[OrderView]


STATUS_WORDS = {
    "pending": "Waiting for payment",
    "paid": "Paid: your card is in your email",
    "paid_awaiting_stock": "Paid: your card follows by email shortly",
    "failed": "Payment failed",
    "expired": "Payment not completed",
    "flagged": "Under review: we will contact you",
}


def _view(order: Order, cards: list[Card] | None = None) -> OrderView:
    return OrderView(order_id=order.order_id, status=order.status, description=order.description,
                     amount=format_cents(order.amount_cents), currency=order.currency,
                     created_at=order.created_at, cards=cards)


def list_orders(account: Account, ports: Ports) -> OrderList:
    return OrderList(orders=[_view(o) for o in ports.commerce.orders_of(account.account_id)])


def owned_order(account: Account, order_id: str, ports: Ports) -> Order:
    if not _ORDER_ID.match(order_id or ""):
        raise NotFound("No such order.")
    order = ports.commerce.order(order_id)
    if order is None or order.account_id != account.account_id:  # another's order: as if it did not exist
        raise NotFound("No such order.")
    return order


def order_detail(account: Account, order_id: str, ports: Ports) -> OrderView:
    order = owned_order(account, order_id, ports)
    return _view(order, cards_of(order, ports) if order.status == "paid" else None)


def cards_of(order: Order, ports: Ports) -> list[Card]:
    """The order's PINs, decrypted for its owner's page or mail only."""
    if order.pins:
        keys = [(sku, pin_id) for sku, pin_id in order.pins]
    else:  # orders paid before their PIN keys were stored: every SKU with every PIN id
        keys = [(sku, pin_id) for sku in {line["sku"] for line in order.lines} for pin_id in order.pin_ids]
    stored = ports.commerce.pins(keys)
    stored = [p for p in stored if p.order_id == order.order_id]
    return [
        Card(sku=p.sku, name=_product_name(p.sku), pin=ports.pin_vault.decrypt(p.encrypted_pin, p.sku, p.pin_id),
             dialing_instructions=p.dialing_instructions)
        for p in sorted(stored, key=lambda p: order.pin_ids.index(p.pin_id))
    ]


def _product_name(sku: str) -> str:
    known = product(sku)
    return known.name if known else sku


def _pin_parts(job: MailJob, account: Account, facts: SendTimeFacts, ports: Ports) -> MailParts:
    """P10: the paid order's PINs and dialing instructions, decrypted for this mail only."""
    order = ports.commerce.order(job.context["order_id"])
    if order is None:
        raise MailDefect("the PIN mail's order is gone")
    cards = cards_of(order, ports)
    if len(cards) != sum(int(line["quantity"]) for line in order.lines):
        raise MailDefect("the PIN mail would carry fewer PINs than the order has")
    return MailParts(context={"cards": [card.model_dump() for card in cards],
                              "order_url": f"{ports.settings.base_url}/checkout/return?order_id={order.order_id}"})


MAIL = {"pin": AccountMail(_pin_parts)}
