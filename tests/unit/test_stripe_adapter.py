"""The Stripe Checkout adapter, with Stripe's HTTP layer stubbed (no network): what it sends
is only what P19 allows, and the idempotency key goes along."""
from __future__ import annotations

import json
from urllib.parse import parse_qs

from stripe import HTTPClient

from shared.processor import CheckoutRequest
from shared.processor.stripe_checkout import StripeCheckout


class StubHTTP(HTTPClient):
    name = "stub"

    def __init__(self) -> None:
        super().__init__()
        self.requests = []

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append((method, url, dict(headers or {}), post_data))
        return json.dumps({"id": "cs_test_stub", "object": "checkout.session", "url": "https://checkout.stripe.com/c/pay/cs_test_stub"}), 200, {}

    def close(self):
        pass


def test_p19_the_stripe_request_carries_only_billing_fields():
    http = StubHTTP()
    adapter = StripeCheckout(lambda: "sk_test_unit", "https://store.example", lambda: "whsec_unit", http_client=http)
    hosted = adapter.create_checkout(
        CheckoutRequest("ord_1", 2500, "USD", "1 x Mexico 25 calling card", "buyer@example.org"), "acct:key")
    assert (hosted.session_id, hosted.url) == ("cs_test_stub", "https://checkout.stripe.com/c/pay/cs_test_stub")
    [(method, url, headers, body)] = http.requests
    assert method == "post" and url.endswith("/v1/checkout/sessions")
    assert headers["Idempotency-Key"] == "acct:key"
    sent = parse_qs(body if isinstance(body, str) else body.decode())
    personal = {k: v for k, v in sent.items() if "email" in k or "name" in k or "address" in k or "phone" in k}
    assert personal == {"customer_email": ["buyer@example.org"],
                        "line_items[0][price_data][product_data][name]": ["1 x Mexico 25 calling card"]}
    assert sent["line_items[0][price_data][unit_amount]"] == ["2500"] and sent["line_items[0][price_data][currency]"] == ["usd"]
    assert sent["metadata[order_id]"] == ["ord_1"]


class ScriptedHTTP(StubHTTP):
    """Answers each request with the next of the given Stripe objects."""

    def __init__(self, answers: list[dict]) -> None:
        super().__init__()
        self.answers = answers

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        self.requests.append((method, url, dict(headers or {}), post_data))
        return json.dumps(self.answers.pop(0)), 200, {}


def _adapter(http):
    return StripeCheckout(lambda: "sk_test_unit", "https://store.example", lambda: "whsec_unit", http_client=http)


def test_an_open_session_is_expired_and_a_complete_one_is_left_paid():
    opened = ScriptedHTTP([{"id": "cs_1", "object": "checkout.session", "status": "open"},
                           {"id": "cs_1", "object": "checkout.session", "status": "expired"}])
    assert _adapter(opened).expire_checkout("cs_1") is True
    assert [(m, u.rsplit("/v1/", 1)[1]) for m, u, _, _ in opened.requests] == [
        ("get", "checkout/sessions/cs_1"), ("post", "checkout/sessions/cs_1/expire")]
    paid = ScriptedHTTP([{"id": "cs_2", "object": "checkout.session", "status": "complete"}])
    assert _adapter(paid).expire_checkout("cs_2") is False and len(paid.requests) == 1


def test_a_refund_names_the_sessions_payment_the_amount_and_the_idempotency_key():
    http = ScriptedHTTP([{"id": "cs_3", "object": "checkout.session", "payment_intent": "pi_3"},
                         {"id": "re_3", "object": "refund"}])
    assert _adapter(http).refund("cs_3", 1000, "refund:cs_3") == "re_3"
    method, url, headers, body = http.requests[1]
    assert method == "post" and url.endswith("/v1/refunds") and headers["Idempotency-Key"] == "refund:cs_3"
    assert parse_qs(body if isinstance(body, str) else body.decode()) == {"payment_intent": ["pi_3"], "amount": ["1000"]}
    assert "expires_at" in parse_qs(_created_body())  # each session can be paid for a limited time


def _created_body() -> str:
    http = StubHTTP()
    _adapter(http).create_checkout(CheckoutRequest("ord_1", 2500, "USD", "1 x Mexico 25 calling card", "b@example.org"), "k")
    body = http.requests[0][3]
    return body if isinstance(body, str) else body.decode()
