"""Orders as their owner sees them (P10): a paid order shows its PINs to its owner only."""
from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from functions.mail_compose import AccountMail, MailDefect, MailParts, SendTimeFacts
from shared.catalog import destination_of, format_cents, product, toll_free_number
from shared.errors import NotFound
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.commerce import Order
from shared.order_codes import order_code
from shared.store.mail import MailJob


_ORDER_ID = re.compile(r"^ord_[0-9a-f]{24}$")  # functions.checkout mints them


class Card(BaseModel):
    sku: str
    name: str
    pin: str
    dialing_instructions: str

    @property
    def pin_grouped(self) -> str:
        return group_digits(self.pin)

    @property
    def dialing_example(self) -> str | None:
        known = product(self.sku)
        place = destination_of(known) if known else None
        return place.dialing_example(toll_free_number().number) if place else None


def group_digits(pin: str) -> str:
    """A PIN as people read it aloud: groups of four from the left (1234 5678 9012)."""
    return " ".join(pin[i:i + 4] for i in range(0, len(pin), 4))


def tel_href(number: str) -> str:
    """A North American access number (1-800-555-0100) as a tel: link."""
    return "tel:+" + "".join(c for c in number if c.isdigit())


def calling_cards(count: int) -> str:
    """"your calling card" or "your 3 calling cards": the words agree with the number."""
    return "your calling card" if count == 1 else f"your {count} calling cards"


def these_pins(count: int) -> str:
    return "this PIN" if count == 1 else "these PINs"


def pin_mail_subject(count: int) -> str:
    """The PIN mail's subject, in number with its cards."""
    if count == 1:
        return "Your calling card: PIN and dialing instructions"
    return f"Your {count} calling cards: PINs and dialing instructions"


class ReceiptLine(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: str
    line_total: str


class Receipt(BaseModel):
    """What was bought and paid, as the order page and the PIN mail show it. The store keeps
    no card details (the processor's events carry none): only that a card paid, and where."""

    code: str
    date: str
    lines: list[ReceiptLine]
    subtotal: str
    taxes: str
    total: str
    currency: str
    paid_by: str | None


TAX_NOTE = "Prices include all taxes."
PAID = ("paid", "paid_awaiting_stock")


def code_of(order: Order) -> str:
    return order.code or order_code(order.order_id)  # orders from before codes: the first derivation


def receipt(order: Order, processor_name: str) -> Receipt:
    lines = [ReceiptLine(sku=line["sku"], name=_product_name(line["sku"]), quantity=int(line["quantity"]),
                         unit_price=format_cents(int(line["unit_price_cents"])),
                         line_total=format_cents(int(line["quantity"]) * int(line["unit_price_cents"])))
             for line in order.lines]
    subtotal = sum(int(line["quantity"]) * int(line["unit_price_cents"]) for line in order.lines)
    return Receipt(code=code_of(order), date=order.created_at[:10], lines=lines, subtotal=format_cents(subtotal),
                   taxes=TAX_NOTE, total=format_cents(order.amount_cents), currency=order.currency,
                   paid_by=f"Paid by card via {processor_name}" if order.status in PAID else None)


class OrderView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    order_id: str
    code: str
    status: str
    description: str
    amount: str
    currency: str
    created_at: str
    cards: list[Card] | None = None


class OrderList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    orders: list[OrderView]


STATUS_WORDS = {  # each status in its own words: a customer can tell an unpaid order from a paid one
    "pending": "Waiting for payment",
    "paid": "Paid: your card is in your email",
    "paid_awaiting_stock": "Paid: your card follows by email shortly",
    "failed": "Not paid: the payment failed",
    "expired": "Not paid: the payment page expired",
    "flagged": "Under review: we will contact you",
}
PAYABLE = ("pending", "failed", "expired")  # the statuses an order offers "Try paying again" in


def status_of(order: Order, now: float) -> str:
    """The order's status as its customer sees it: a pending order whose processor session ran
    out is expired, whether or not the processor's notice of it has come yet."""
    if order.status == "pending" and order.session_expires_at is not None and now >= order.session_expires_at:
        return "expired"
    return order.status


def _view(order: Order, now: float, cards: list[Card] | None = None) -> OrderView:
    return OrderView(order_id=order.order_id, code=code_of(order), status=status_of(order, now),
                     description=order.description, amount=format_cents(order.amount_cents), currency=order.currency,
                     created_at=order.created_at, cards=cards)


def list_orders(account: Account, ports: Ports) -> OrderList:
    now = ports.clock.now()
    return OrderList(orders=[_view(o, now) for o in newest_first(ports.commerce.orders_of(account.account_id))])


def newest_first(orders: list[Order]) -> list[Order]:
    return sorted(orders, key=lambda o: (o.created_at, o.order_id), reverse=True)


def order_url(base_url: str, order_id: str) -> str:
    return f"{base_url}/my-account/orders/{order_id}"


def owned_order(account: Account, order_id: str, ports: Ports) -> Order:
    if not _ORDER_ID.match(order_id or ""):
        raise NotFound("No such order.")
    order = ports.commerce.order(order_id)
    if order is None or order.account_id != account.account_id:  # another's order: as if it did not exist
        raise NotFound("No such order.")
    return order


def order_detail(account: Account, order_id: str, ports: Ports) -> OrderView:
    order = owned_order(account, order_id, ports)
    return _view(order, ports.clock.now(), cards_of(order, ports) if order.status == "paid" else None)


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
    return MailParts(context={
        "cards": [{**card.model_dump(), "pin_grouped": card.pin_grouped, "dialing_example": card.dialing_example}
                  for card in cards],
        "receipt": receipt(order, ports.processor.name).model_dump(),
        "your_cards": calling_cards(len(cards)), "these_pins": these_pins(len(cards)),
        "subject": pin_mail_subject(len(cards)), "order_url": order_url(ports.settings.base_url, order.order_id)})


MAIL = {"pin": AccountMail(_pin_parts)}
