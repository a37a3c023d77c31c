"""Exactly-once fulfilment (P10): one transaction marks the order paid, allocates its PINs
with conditional writes and writes the PIN mail job. However often and in whatever order
the callbacks, the return page and a PIN import ask, an order gets its PINs and its mail
once. A paid order with no PIN in stock waits, flagged, and the next import fulfils it."""
from __future__ import annotations

import random
import time
from typing import Any

from aws_lambda_powertools import Logger

from shared import metrics
from shared.errors import Conflict, NotFound
from shared.ids import new_id
from shared.models import MailKind
from shared.ports import Ports
from shared.store.commerce import NOT_WAITING, ORDER_ALREADY_PAID, PIN_TAKEN
from shared.store.mail import MailJob
from shared.store.table import ConditionFailed, Transaction, TransactionConflict

logger = Logger(child=True)
ALLOCATION_ATTEMPTS = 5


def fulfil(order_id: str, account_id: str, lines: list[dict[str, Any]], ports: Ports,
           session_id: str | None = None) -> str:
    """Returns "fulfilled", "already_paid" or "awaiting_stock". A write that keeps meeting
    concurrent ones is a Conflict (409): the processor retries a callback later, and a
    conflict is no reason to park a paid order as out of stock. `session_id`: the processor
    session that paid, recorded with the payment (a second session's payment is told apart)."""
    conflicts = 0
    for attempt in range(ALLOCATION_ATTEMPTS):
        pins = []
        for line in lines:
            # The stock index lags and racing orders take PINs too: after a lost race, look
            # further and pick at random among more candidates.
            candidates = ports.commerce.stock_candidates(line["sku"], line["quantity"] * (1 + attempt * 2))
            if len(candidates) < line["quantity"]:
                return _await_stock(order_id, lines, ports, session_id)
            chosen = candidates[: line["quantity"]] if attempt == 0 else random.sample(candidates, line["quantity"])
            pins += [(line["sku"], pin_id) for pin_id in chosen]
        job = MailJob(job_id=new_id(), kind=MailKind.transactional.value, template="pin",
                      created_at=ports.clock.iso(), account_id=account_id, context={"order_id": order_id})
        tx = Transaction()
        ports.commerce.add_payment(tx, order_id, pins, ports.clock.iso(), session_id)
        ports.outbox.add_job(tx, job)
        try:
            ports.table.commit(tx)
        except TransactionConflict:
            conflicts += 1
            time.sleep(random.uniform(0, 0.05 * 2 ** attempt))
            continue
        except ConditionFailed as failed:
            if ORDER_ALREADY_PAID in failed.tags:
                if failed.old[ORDER_ALREADY_PAID] is None:
                    raise NotFound("No such order.") from None
                return "already_paid"
            if PIN_TAKEN in failed.tags:
                continue  # another order got one of these PINs first: try others
            raise
        logger.info("order fulfilled", extra={"order_id": order_id, "pins": len(pins)})
        return "fulfilled"
    if conflicts == ALLOCATION_ATTEMPTS:
        raise Conflict("The order is being updated by another request; try again shortly.", code="try_again")
    return _await_stock(order_id, lines, ports, session_id)


def _await_stock(order_id: str, lines: list[dict[str, Any]], ports: Ports, session_id: str | None) -> str:
    skus = sorted({line["sku"] for line in lines})
    tx = Transaction()
    ports.commerce.add_awaiting_stock(tx, order_id, skus, ports.clock.iso(), session_id)
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:  # no such order, paid meanwhile, or already waiting
        status = failed.old.get(NOT_WAITING)
        if status is None:
            raise NotFound("No such order.") from None
        return "already_paid" if status == "paid" else "awaiting_stock"
    # An operator must import PINs: this line is what the "awaiting stock" alarm counts.
    logger.error("paid order awaiting stock", extra={"order_id": order_id, "skus": skus})
    metrics.count("OrdersAwaitingStock")
    return "awaiting_stock"


def fulfil_orders_waiting_for_stock(ports: Ports) -> int:
    """The schedule's retry: every SKU that has stock now serves the orders waiting for it,
    whether the stock came from an import or from PINs freed another way."""
    from shared.catalog import products

    return sum(fulfil_waiting_orders(sku, ports) for sku in products() if ports.commerce.has_stock(sku))


def fulfil_waiting_orders(sku: str, ports: Ports) -> int:
    """After an import: fulfil the orders that were paid while the SKU was out of stock."""
    fulfilled = 0
    for order_id in ports.commerce.orders_awaiting_stock(sku):
        order = ports.commerce.order(order_id)
        if order and order.status == "paid_awaiting_stock":
            fulfilled += fulfil(order_id, order.account_id, order.lines, ports) == "fulfilled"
    return fulfilled
