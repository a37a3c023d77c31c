"""The local stage's card processor. It keeps its sessions in the store's table (as the
real processor would keep them on its side) and its hosted page lives under
/dev/processor/pay/{session_id}, registered by the local runner."""
from __future__ import annotations

import hashlib
from typing import Any, Callable

from shared.processor import CheckoutRequest, HostedCheckout, StripeFormatCallbacks
from shared.store.sandbox import SandboxSessionRepository

NAME = "Sandbox Card Processor"


class SandboxProcessor(StripeFormatCallbacks):
    name = NAME

    def __init__(self, base_url: str, sessions: SandboxSessionRepository, webhook_secret: Callable[[], str]) -> None:
        super().__init__(webhook_secret)
        self._base_url = base_url
        self._sessions = sessions

    def create_checkout(self, request: CheckoutRequest, idempotency_key: str) -> HostedCheckout:
        # Like the real processor's idempotency: the same key gives the same session.
        session_id = "cs_test_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        self._sessions.put({
            "session_id": session_id, "order_id": request.order_id, "amount_total": request.amount_cents,
            "currency": request.currency.lower(), "description": request.description,
            "customer_email": request.customer_email,
            "success_url": f"{self._base_url}/checkout/return?order_id={request.order_id}",
        })
        return HostedCheckout(session_id=session_id, url=f"{self._base_url}/dev/processor/pay/{session_id}")

    def session(self, session_id: str) -> dict[str, Any] | None:
        """The processor's own record of a checkout session (its hosted page reads it)."""
        return self._sessions.get(session_id)
