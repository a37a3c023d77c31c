"""Checkout (P17, P19): a pending order at a fixed price, and a redirect to the card
processor's hosted page, with a notice that names the processor.

Idempotent on the client's Idempotency-Key: the same key and body give the same order;
the same key with another body is refused. The order id is derived from the account and
the key, so concurrent retries agree on it and the processor's own idempotency (keyed the
same way) hands them one checkout session.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re

from typing import Any

from pydantic import BaseModel, ConfigDict

from functions.cart import CartItemBody
from shared.catalog import Product, product
from shared.errors import Conflict, InvalidInput, Unavailable
from shared.ports import CardProcessor, Ports
from shared.processor import SESSION_LIFETIME_SECONDS, CheckoutRequest, HostedCheckout
from shared.store.accounts import Account
from shared.order_codes import ATTEMPTS as CODE_ATTEMPTS
from shared.order_codes import order_code
from shared.store.commerce import KEY_USED, ORDER_CODE_TAKEN, CheckoutSession, Order
from shared.store.table import ConditionFailed, Transaction

IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600
_KEY_SHAPE = re.compile(r"^[\x21-\x7e]{8,200}$")


class CheckoutBody(CartItemBody):
    """One card and its quantity, bought directly rather than from the cart."""


class Notice(BaseModel):
    processor: str
    text: str


class CheckoutStarted(BaseModel):
    model_config = ConfigDict(defer_build=True)

    order_id: str
    redirect_url: str
    notice: Notice


class ProcessorUnavailable(Unavailable):
    code = "processor_unavailable"


def leaving_notice(processor_name: str) -> Notice:
    return Notice(
        processor=processor_name,
        text=(f"You are leaving the Calling Card Store for {processor_name}, an outside payment service. "
              f"Enter your card details on its page: they go to {processor_name}, never to us."),
    )


def start_checkout(account: Account, body: CheckoutBody | None, cart_items: dict[str, int],
                   idempotency_key: str | None, ports: Ports) -> CheckoutStarted:
    if not idempotency_key or not _KEY_SHAPE.match(idempotency_key):
        raise InvalidInput("The Idempotency-Key header is required: 8 to 200 visible characters.",
                           code="missing_idempotency_key")
    # The key's first answer is read before the cart: a retry whose answer was lost gets it
    # again, even when the cart changed since (the body of a cart checkout is "the cart").
    request_hash = hashlib.sha256(json.dumps(body.model_dump() if body else {"cart": True}, sort_keys=True).encode()).hexdigest()
    key_hash = hashlib.sha256(idempotency_key.encode()).hexdigest()
    earlier = ports.commerce.checkout_answer(account.account_id, key_hash, int(ports.clock.now()))
    if earlier is not None:
        return _earlier_answer(earlier, request_hash)
    lines = _lines({body.sku: body.quantity} if body else cart_items)
    order_id = _order_id(account.account_id, key_hash, ports)
    amount = sum(line["quantity"] * line["unit_price_cents"] for line in lines)
    currency = _known(lines[0]["sku"]).currency
    description = ", ".join(f"{line['quantity']} x {_known(line['sku']).name} calling card" for line in lines)

    checkout = create_hosted_checkout(
        ports.processor, CheckoutRequest(order_id, amount, currency, description, account.email),
        f"{account.account_id}:{key_hash}",
    )
    answer = CheckoutStarted(order_id=order_id, redirect_url=checkout.url, notice=leaving_notice(ports.processor.name))
    session = CheckoutSession(session_id=checkout.session_id, order_id=order_id, account_id=account.account_id,
                              amount_cents=amount, currency=currency, lines=lines)
    now = int(ports.clock.now())
    for attempt in range(CODE_ATTEMPTS):
        order = Order(order_id=order_id, account_id=account.account_id, lines=lines, amount_cents=amount,
                      currency=currency, description=description, status="pending", created_at=ports.clock.iso(),
                      session_id=checkout.session_id, code=order_code(order_id, attempt),
                      session_expires_at=now + SESSION_LIFETIME_SECONDS)
        tx = Transaction()
        ports.commerce.add_checkout(tx, order, session, key_hash, request_hash, answer.model_dump(), now,
                                    now + IDEMPOTENCY_WINDOW_SECONDS)
        try:
            ports.table.commit(tx)
            return answer
        except ConditionFailed as failed:  # a concurrent request with the same key got there first
            if failed.tags == {ORDER_CODE_TAKEN}:  # another order's short code: the next one
                continue
            record = failed.old.get(KEY_USED)
            if record is None:  # the key's record expired, but its order stands: never overwritten
                raise Conflict("This Idempotency-Key was used for an earlier order; use a new key for a new order.",
                               code="idempotency_key_reused") from None
            return _earlier_answer((record["body_hash"], record["answer"]), request_hash)
    raise Conflict("No free order code was found; please try again.", code="try_again")


def _earlier_answer(earlier: tuple[str, dict[str, Any]], request_hash: str) -> CheckoutStarted:
    body_hash, answer = earlier
    if body_hash != request_hash:
        raise Conflict("This Idempotency-Key was used with another body.", code="idempotency_key_reused")
    return CheckoutStarted.model_validate(answer)


def _known(sku: str) -> Product:
    known = product(sku)
    if known is None:
        raise InvalidInput(f"sku: no product {sku!r}", code="unknown_sku")
    return known


def _lines(items: dict[str, int]) -> list[dict[str, Any]]:
    if not items:
        raise InvalidInput("Nothing to check out: name a sku and quantity, or fill the cart.", code="empty_cart")
    lines: list[dict[str, Any]] = [{"sku": sku, "quantity": quantity, "unit_price_cents": _known(sku).price_cents}
                                   for sku, quantity in sorted(items.items())]
    if len({_known(line["sku"]).currency for line in lines}) > 1:
        raise InvalidInput("One order pays in one currency.", code="mixed_currencies")
    return lines


def _order_id(account_id: str, key_hash: str, ports: Ports) -> str:
    digest = hmac.new(ports.settings.hash_key(), f"order:{account_id}:{key_hash}".encode(), hashlib.sha256)
    return "ord_" + digest.hexdigest()[:24]


def create_hosted_checkout(processor: CardProcessor, request: CheckoutRequest, key: str) -> HostedCheckout:
    try:
        return processor.create_checkout(request, key)
    except Exception as error:  # the processor's own errors, translated here and nowhere else
        if type(error).__name__ == "IdempotencyError":
            raise Conflict("This Idempotency-Key was used with another body.", code="idempotency_key_reused") from None
        raise ProcessorUnavailable("The payment service did not answer. Please try again in a minute.") from error
