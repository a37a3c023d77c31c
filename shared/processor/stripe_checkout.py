"""Stripe Checkout: the customer pays on Stripe's hosted page."""
from __future__ import annotations

from shared.processor import CheckoutRequest, HostedCheckout

NAME = "Stripe"


class StripeCheckout:
    name = NAME

    def __init__(self, api_key: str, base_url: str, http_client=None) -> None:
        import stripe

        self._client = stripe.StripeClient(api_key, http_client=http_client, max_network_retries=2)
        self._base_url = base_url

    def create_checkout(self, request: CheckoutRequest, idempotency_key: str) -> HostedCheckout:
        """Only the order id, amount, currency, description and email leave us (P19)."""
        return_url = f"{self._base_url}/checkout/return?order_id={request.order_id}"
        session = self._client.v1.checkout.sessions.create(
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
            },
            {"idempotency_key": idempotency_key},
        )
        return HostedCheckout(session_id=session.id, url=session.url)
