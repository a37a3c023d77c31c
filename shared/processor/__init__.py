"""The card processor port: create a hosted checkout, verify and parse its callbacks.

Two adapters speak the same Stripe wire format: `stripe_checkout` (deployed stages) and
`sandbox` (the local stage), so verification and fulfilment run the same code everywhere.
Card numbers never reach this system (P17).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from shared.errors import InvalidInput

TOLERANCE_SECONDS = 300
# How long a hosted checkout can be paid: an order left pending reads "Not paid" after it.
# Stripe accepts 30 minutes to 24 hours; an hour lets a customer find their card.
SESSION_LIFETIME_SECONDS = 3600


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything the processor receives (P19): nothing else about the customer."""

    order_id: str
    amount_cents: int
    currency: str
    description: str
    customer_email: str


@dataclass(frozen=True)
class HostedCheckout:
    session_id: str
    url: str


class BadCallback(InvalidInput):
    """A callback whose signature, age or body is wrong: answered 400, changes nothing."""

    code = "bad_callback"


def verify_callback(payload: bytes, signature_header: str | None, secret: str,
                    now: float | None = None) -> dict[str, Any]:
    """Verify a Stripe-format signature (300 s tolerance, and no future timestamps) and parse."""
    import stripe

    if not signature_header:
        raise BadCallback("Callback refused: the Stripe-Signature header is missing.")
    try:
        event = stripe.Webhook.construct_event(payload, signature_header, secret, tolerance=TOLERANCE_SECONDS)
        timestamp = int(dict(_pair(part) for part in signature_header.split(","))["t"])
    except (stripe.SignatureVerificationError, ValueError, KeyError):
        raise BadCallback("Callback refused: signature, timestamp or body is not valid.") from None
    if timestamp > (now or time.time()) + TOLERANCE_SECONDS:
        raise BadCallback("Callback refused: timestamp is in the future.")
    event = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    if not isinstance(event.get("type"), str) or not isinstance(event.get("data", {}).get("object"), dict):
        raise BadCallback("Callback refused: not an event.")
    return event


def _pair(part: str) -> tuple[str, str]:
    name, _, value = part.partition("=")
    return name, value


class StripeFormatCallbacks:
    """Both adapters verify callbacks the same way, with the stage's webhook secret (read
    at each call, so a rotated secret applies as soon as settings see it)."""

    def __init__(self, webhook_secret: Callable[[], str]) -> None:
        self._webhook_secret = webhook_secret

    def verify_callback(self, payload: bytes, signature_header: str | None, now: float) -> dict[str, Any]:
        return verify_callback(payload, signature_header, self._webhook_secret(), now=now)
