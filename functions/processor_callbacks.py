"""Card-processor callbacks: verified, then converged on one outcome per checkout session.

| event                                       | effect                                              |
|---------------------------------------------|-----------------------------------------------------|
| checkout.session.completed, paid            | fulfil                                              |
| checkout.session.completed, not yet paid    | none: an asynchronous payment is still under way    |
| checkout.session.async_payment_succeeded    | fulfil                                              |
| checkout.session.async_payment_failed       | pending → failed                                    |
| checkout.session.expired                    | pending → expired                                   |

Paid is final: money received is always delivered, so a success after a failure or an
expiry still fulfils, and nothing moves a paid order back. A success of another session of
an order that is paid already (one replaced by "Try paying again", or two racing) is a
second payment: recorded once, refunded and raised (functions/payments.py). A failure or
expiry of a session the order no longer uses changes nothing. An amount or currency that
differs from the order is not fulfilled but flagged for an operator.

Unknown sessions are answered 200 ("ignored") and logged: the processor retries non-2xx
answers for days, and a session we never created will not become ours by waiting.
"""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from functions.fulfilment import fulfil
from shared import metrics
from shared.ports import Ports
from shared.processor import BadCallback
from shared.store.commerce import CheckoutSession

logger = Logger(child=True)

HANDLED = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}


def _paid(session: CheckoutSession, ports: Ports) -> str:
    """Fulfil the order with this session's payment, unless another session paid it first
    (fulfilment answers that the order is paid already, whichever way the race went)."""
    from functions.payments import is_second_payment, settle_second_payment

    outcome = fulfil(session.order_id, session.account_id, session.lines, ports, session_id=session.session_id)
    if outcome != "fulfilled":  # paid through another session?
        current = ports.commerce.order(session.order_id)
        if current is not None and is_second_payment(current, session.session_id):
            return settle_second_payment(current, session, ports)
    return outcome


def handle_callback(payload: bytes, signature_header: str | None, ports: Ports) -> dict[str, Any]:
    """Raises BadCallback (a 400) for a bad signature or body; otherwise says what happened."""
    try:
        event = ports.processor.verify_callback(payload, signature_header, now=ports.clock.now())
    except BadCallback:
        metrics.count("WebhookVerificationFailures")  # alarmed: forged traffic or a wrong secret
        raise
    kind = event["type"]
    if kind not in HANDLED:
        return {"status": "ignored", "reason": "event_type"}
    session = event["data"]["object"]
    session_id = str(session.get("id", ""))
    order = ports.commerce.checkout_session(session_id) if 0 < len(session_id) <= 255 else None
    if order is None:
        logger.warning("callback for an unknown checkout session", extra={"event_type": kind})
        return {"status": "ignored", "reason": "unknown_session"}
    order_id = order.order_id
    if session.get("amount_total") != order.amount_cents or str(session.get("currency", "")).upper() != order.currency:
        ports.commerce.set_order_status(order_id, "flagged", ("pending", "failed", "expired"), note="amount_mismatch")
        logger.error("callback amount or currency differs from the order", extra={"order_id": order_id})
        return {"status": "flagged", "order_id": order_id}
    if kind == "checkout.session.async_payment_succeeded" or (
        kind == "checkout.session.completed" and session.get("payment_status") == "paid"
    ):
        return {"status": _paid(order, ports), "order_id": order_id}
    if kind == "checkout.session.async_payment_failed":
        ports.commerce.set_order_status(order_id, "failed", ("pending",), session_id=session_id)
    elif kind == "checkout.session.expired":
        ports.commerce.set_order_status(order_id, "expired", ("pending",), session_id=session_id)
    return {"status": "recorded", "order_id": order_id}
