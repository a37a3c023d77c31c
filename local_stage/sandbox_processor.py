"""The sandbox card processor's hosted page (/dev/processor/pay/{session_id}): Pay, Fail,
Cancel. Each posts a signed Stripe-format callback to the store, exactly as the real
processor would, then sends the customer back to the store's return page."""
from __future__ import annotations

import json
import os
import time
import urllib.request
from html import escape

from chalice import Response

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sandbox Card Processor</title>
<link rel="stylesheet" href="/site.css"></head>
<body><header><strong>Sandbox Card Processor</strong> (not the Calling Card Store)</header>
<h1>Pay {amount} {currency}</h1><p>{description}</p>
<p>This stands in for the processor's hosted page, where a customer types their card number.
No card is asked for here.</p>
<form method="post"><button name="action" value="pay">Pay</button>
<button name="action" value="fail">Fail</button>
<button name="action" value="cancel">Cancel</button></form></body></html>"""

EVENTS = {
    "pay": ("checkout.session.completed", "paid"),
    "fail": ("checkout.session.async_payment_failed", "unpaid"),
    "cancel": ("checkout.session.expired", "unpaid"),
}


def _processor():
    from shared.ports import process_ports
    from shared.processor.sandbox import SandboxProcessor

    processor = process_ports().processor
    return processor if isinstance(processor, SandboxProcessor) else None


def _session(session_id: str) -> dict | None:
    processor = _processor()
    return processor.session(session_id) if processor else None


def signed_callback(session: dict, action: str, secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    """The callback body and its Stripe-Signature header for a sandbox session."""
    import stripe

    kind, payment_status = EVENTS[action]
    event = {
        "id": "evt_" + os.urandom(12).hex(),
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": {
            "id": session["session_id"], "object": "checkout.session", "amount_total": session["amount_total"],
            "currency": session["currency"], "payment_status": payment_status,
            "client_reference_id": session["order_id"], "metadata": {"order_id": session["order_id"]},
        }},
    }
    payload = json.dumps(event)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def register(app) -> None:
    @app.route("/dev/processor/pay/{session_id}", methods=["GET"])
    def sandbox_pay_page(session_id):
        session = _session(session_id)
        if session is None:
            return Response(body="<p>No such checkout session.</p>", status_code=404,
                            headers={"Content-Type": "text/html; charset=utf-8"})
        from shared.catalog import format_cents

        return Response(
            body=PAGE.format(amount=format_cents(session["amount_total"]), currency=session["currency"].upper(),
                             description=escape(session["description"])),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )

    @app.route("/dev/processor/pay/{session_id}", methods=["POST"],
               content_types=["application/x-www-form-urlencoded", "multipart/form-data"])
    def sandbox_pay(session_id):
        from urllib.parse import parse_qs

        from shared.settings import get_settings

        session = _session(session_id)
        action = parse_qs((app.current_request.raw_body or b"").decode()).get("action", [""])[0]
        if session is None or action not in EVENTS:
            return Response(body="<p>No such session or action.</p>", status_code=400,
                            headers={"Content-Type": "text/html; charset=utf-8"})
        if action == "pay" and not _processor().complete(session_id):  # expired: a retry replaced it
            return Response(body="<p>This checkout session has expired: go back to the store to pay again.</p>",
                            status_code=409, headers={"Content-Type": "text/html; charset=utf-8"})
        settings = get_settings()
        payload, signature = signed_callback(session, action, settings.webhook_secret())
        request = urllib.request.Request(f"{settings.base_url}/processor/webhook", data=payload, method="POST",
                                         headers={"Content-Type": "application/json", "Stripe-Signature": signature})
        with urllib.request.urlopen(request, timeout=30):
            pass
        return Response(body="", status_code=303, headers={"Location": session["success_url"]})
