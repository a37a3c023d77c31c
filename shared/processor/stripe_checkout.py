"""Stripe Checkout: the customer pays on Stripe's hosted page."""
from __future__ import annotations

import time
from typing import Any, Callable

from shared.processor import SESSION_LIFETIME_SECONDS, CheckoutRequest, HostedCheckout, StripeFormatCallbacks

NAME = "Stripe"


class StripeCheckout(StripeFormatCallbacks):
    name = NAME

    def __init__(self, api_key: Callable[[], str], base_url: str, webhook_secret: Callable[[], str],
                 http_client: Any = None) -> None:
        super().__init__(webhook_secret)
        self._api_key = api_key
        self._base_url = base_url
        self._http_client = http_client
        self._client: Any = None
        self._client_key: str | None = None

    def _stripe(self) -> Any:
        """The client, built on first use (stripe is a large import: only a checkout pays for
        it) and again when the API key was rotated."""
        key = self._api_key()
        if self._client is None or key != self._client_key:
            import stripe

            self._client = stripe.StripeClient(key, http_client=self._http_client, max_network_retries=2)
            self._client_key = key
        return self._client

    def create_checkout(self, request: CheckoutRequest, idempotency_key: str) -> HostedCheckout:
        """Only the order id, amount, currency, description and email leave us (P19)."""
        return_url = f"{self._base_url}/checkout/return?order_id={request.order_id}"
        session = self._stripe().v1.checkout.sessions.create(
            {
                "mode": "payment",
                "client_reference_id": request.order_id,
                "metadata": {"order_id": request.order_id},
                "customer_email": request.customer_email,
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": request.currency.lower(),
                            "unit_amount": request.amount_cents,
                            "product_data": {"name": request.description},
                        },
                    }
                ],
                "success_url": return_url,
                "cancel_url": return_url,
                "expires_at": int(time.time()) + SESSION_LIFETIME_SECONDS,
            },
            {"idempotency_key": idempotency_key},
        )
        return HostedCheckout(session_id=session.id, url=session.url)

    def expire_checkout(self, session_id: str) -> bool:
        """Stripe expires only an open session; a complete one was paid (or is paying)."""
        sessions = self._stripe().v1.checkout.sessions
        status = sessions.retrieve(session_id).status
        if status == "open":
            status = sessions.expire(session_id).status
        return status == "expired"

    def refund(self, session_id: str, amount_cents: int, idempotency_key: str) -> str:
        payment_intent = self._stripe().v1.checkout.sessions.retrieve(session_id).payment_intent
        refund = self._stripe().v1.refunds.create({"payment_intent": payment_intent, "amount": amount_cents},
                                                  {"idempotency_key": idempotency_key})
        return str(refund.id)
