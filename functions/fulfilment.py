"""Exactly-once fulfilment (P10): one transaction marks the order paid, allocates its PINs
with conditional writes and writes the PIN mail job. However often and in whatever order
the callbacks, the return page and a PIN import ask, an order gets its PINs and its mail
once. A paid order with no PIN in stock waits, flagged, and the next import fulfils it."""
from __future__ import annotations

import random

from aws_lambda_powertools import Logger

from shared import metrics
from shared.ids import new_id
from shared.models import MailKind
from shared.store.entities import MailJob

logger = Logger(child=True)
ALLOCATION_ATTEMPTS = 5


def fulfil(order_id: str, account_id: str, lines: list[dict], ports) -> str:
    """Returns "fulfilled", "already_paid" or "awaiting_stock"."""
    store = ports.store
    for attempt in range(ALLOCATION_ATTEMPTS):
        pins = []
        for line in lines:
            # The stock index lags and racing orders take PINs too: after a lost race, look
            # further and pick at random among more candidates.
            candidates = store.stock_candidates(line["sku"], line["quantity"] * (1 + attempt * 2))
            if len(candidates) < line["quantity"]:
                return _await_stock(order_id, lines, ports)
            chosen = candidates[: line["quantity"]] if attempt == 0 else random.sample(candidates, line["quantity"])
            pins += [(line["sku"], pin_id) for pin_id in chosen]
        job = MailJob(job_id=new_id(), kind=MailKind.transactional.value, template="pin",
                      created_at=ports.clock.iso(), account_id=account_id, context={"order_id": order_id})
        outcome = store.fulfil(order_id, pins, job, ports.clock.iso())
        if outcome != "pin_taken":
            if outcome == "fulfilled":
                logger.info("order fulfilled", extra={"order_id": order_id, "pins": len(pins)})
            return outcome
    return _await_stock(order_id, lines, ports)


def _await_stock(order_id: str, lines: list[dict], ports) -> str:
    skus = sorted({line["sku"] for line in lines})
    if ports.store.mark_awaiting_stock(order_id, skus, ports.clock.iso()):
        # An operator must import PINs: this line is what the "awaiting stock" alarm counts.
        logger.error("paid order awaiting stock", extra={"order_id": order_id, "skus": skus})
        metrics.count("OrdersAwaitingStock")
    return "awaiting_stock"


def fulfil_waiting_orders(sku: str, ports) -> int:
    """After an import: fulfil the orders that were paid while the SKU was out of stock."""
    fulfilled = 0
    for order_id in ports.store.orders_awaiting_stock(sku):
        order = ports.store.get_order(order_id)
        if order and order.status == "paid_awaiting_stock":
            fulfilled += fulfil(order_id, order.account_id, order.lines, ports) == "fulfilled"
    return fulfilled
