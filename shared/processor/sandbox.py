"""The local stage's card processor. It keeps its sessions in the store's table (as the
real processor would keep them on its side) and its hosted page lives under
/dev/processor/pay/{session_id}, registered by the local runner."""
from __future__ import annotations

import hashlib
import time
from typing import Any, Callable

from shared.processor import SESSION_LIFETIME_SECONDS, CheckoutRequest, HostedCheckout, StripeFormatCallbacks
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
            "status": "open", "expires_at": int(time.time()) + SESSION_LIFETIME_SECONDS,
        }, only_new=True)
        return HostedCheckout(session_id=session_id, url=f"{self._base_url}/dev/processor/pay/{session_id}")

    def expire_checkout(self, session_id: str) -> bool:
        return self._sessions.expire(session_id)

    def refund(self, session_id: str, amount_cents: int, idempotency_key: str) -> str:
        refund_id = "re_test_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        self._sessions.record_refund(session_id, refund_id, amount_cents)
        return refund_id

    def complete(self, session_id: str) -> bool:
        """Its hosted page's Pay: False when the session expired (a retry replaced it)."""
        return self._sessions.complete(session_id)

    def session(self, session_id: str) -> dict[str, Any] | None:
        """The processor's own record of a checkout session (its hosted page reads it)."""
        return self._sessions.get(session_id)
