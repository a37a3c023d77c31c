"""Paying again, and a payment the store did not need (P10, P17, P19).

An order the customer did not pay (the payment failed, they came back from the processor's
page, or its session ran out) can be tried again: the old session is expired at the
processor first, so one order never has two sessions that can be paid, and the new one is
made under the processor's idempotency key with the attempt's number. A second payment can
still happen (an asynchronous payment that succeeds after its session was replaced, or two
sessions racing): it is recorded once, refunded through the processor, and raised to
operators (a metric the alarm watches, and `ops_payment_exceptions`).
"""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from functions.checkout import CheckoutStarted, create_hosted_checkout, leaving_notice
from functions.orders import owned_order
from shared import metrics
from shared.errors import Conflict
from shared.ports import Ports
from shared.processor import SESSION_LIFETIME_SECONDS, CheckoutRequest
from shared.store.accounts import Account
from shared.store.commerce import RETRY_RACED, RETRYABLE, SECOND_PAYMENT_SEEN, CheckoutSession, Order, PaymentException
from shared.store.table import ConditionFailed, Transaction

logger = Logger(child=True)


def retry_payment(account: Account, order_id: str, ports: Ports) -> CheckoutStarted:
    """A new processor session for the customer's unpaid order, with the same notice (P17)
    and the same minimal fields (P19) as the first."""
    order = owned_order(account, order_id, ports)
    if order.status not in RETRYABLE:
        raise Conflict("This order is not waiting for payment: see its page for what happened.", code="not_payable")
    if order.session_id and not ports.processor.expire_checkout(order.session_id):
        # The old session was paid or is paying: a new one could charge twice.
        raise Conflict("A payment for this order is under way: wait for its email, or check the order page.",
                       code="payment_under_way")
    attempt = order.attempt + 1
    checkout = create_hosted_checkout(
        ports.processor, CheckoutRequest(order.order_id, order.amount_cents, order.currency, order.description,
                                         account.email),
        f"{order.order_id}:attempt:{attempt}",
    )
    session = CheckoutSession(session_id=checkout.session_id, order_id=order.order_id, account_id=account.account_id,
                              amount_cents=order.amount_cents, currency=order.currency, lines=order.lines)
    tx = Transaction()
    ports.commerce.add_retry(tx, order, session, attempt, int(ports.clock.now()) + SESSION_LIFETIME_SECONDS)
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        now = ports.commerce.order(order.order_id)
        # A double press raced this one to the same attempt: the processor's idempotency gave
        # both the same session, so both answer it.
        if not (failed.old.get(RETRY_RACED) == attempt and now and now.session_id == checkout.session_id):
            raise Conflict("This order changed meanwhile: open its page again.", code="try_again") from None
    return CheckoutStarted(order_id=order.order_id, redirect_url=checkout.url,
                           notice=leaving_notice(ports.processor.name))


def is_second_payment(order: Order | None, session_id: str) -> bool:
    """The order was paid (or waits for stock after paying) through another session."""
    return bool(order and order.paid_session_id and order.paid_session_id != session_id
                and order.status in ("paid", "paid_awaiting_stock"))


def settle_second_payment(order: Order, session: CheckoutSession, ports: Ports) -> str:
    """Record the unneeded payment once, refund it, and raise it. Returns the outcome."""
    exception = PaymentException(session_id=session.session_id, order_id=order.order_id,
                                 amount_cents=session.amount_cents, currency=session.currency, at=ports.clock.iso(),
                                 outcome="refund_pending")
    tx = Transaction()
    ports.commerce.add_payment_exception(tx, exception)
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if SECOND_PAYMENT_SEEN in failed.tags:
            return "second_payment_already_recorded"
        raise
    metrics.count("SecondPayments")  # alarmed: an operator looks at every one
    try:
        refund_id = ports.processor.refund(session.session_id, session.amount_cents, f"refund:{session.session_id}")
    except Exception as error:  # noqa: BLE001 - the processor's errors: left for an operator, never lost
        logger.error("second payment not refunded", extra={"order_id": order.order_id, "error": type(error).__name__})
        ports.commerce.set_exception_outcome(session.session_id, "refund_failed", None)
        return "second_payment_refund_failed"
    ports.commerce.set_exception_outcome(session.session_id, "refunded", refund_id)
    logger.warning("second payment refunded", extra={"order_id": order.order_id})
    return "second_payment_refunded"


def payment_exceptions(_input: Any, ports: Ports) -> dict[str, Any]:
    """ops_payment_exceptions: every unneeded payment, newest last, with its refund's state."""
    found = [{"order_id": e.order_id, "session_id": e.session_id, "amount_cents": e.amount_cents,
              "currency": e.currency, "at": e.at, "outcome": e.outcome, "refund_id": e.refund_id}
             for e in ports.commerce.payment_exceptions()]
    return {"exceptions": found}
