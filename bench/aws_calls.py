"""Figure 3: AWS calls on the synchronous path of a request, and Scan operations anywhere.

Calls are counted with a botocore `before-call` hook on the app's boto3 session
(shared.aws._session()), registered before any of its clients exist, so every client
the app creates inherits it. `before-call` fires once per API operation, not per HTTP
attempt; retries are counted separately with `before-send`.

Scans are counted twice: by the same hook over the whole run of this process, and on the
emulator's side (moto's DynamoDB backend), which also sees the cold-start children.

The local stage's card processor (shared.processor.sandbox) keeps its checkout session in
the store's table with one PutItem through the same session: that call is the processor's
work, not the store's (in AWS it is an HTTPS call to Stripe), so the hook recognizes it by
its item's key (pk "SANDBOX#...", read from the serialized request it gets as `params`) and
keeps it apart. Signed-in routes read the session and the account (chalicelib.http.
signed_in_account) before the view: the bench wraps that function while it measures, to
say how many of a request's calls are that check.
"""
from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass, field

SANDBOX_PREFIX = "SANDBOX#"  # shared.store.sandbox: the sandbox processor's own records


@dataclass
class CallLog:
    calls: list[str] = field(default_factory=list)  # "service.Operation", in order (the store's)
    processor_calls: list[str] = field(default_factory=list)  # the sandbox processor's own records
    sends: int = 0  # HTTP attempts (calls + processor calls + retries)
    scans_total: int = 0  # every Scan this process made through the app's session, never reset
    session_check: list[int] = field(default_factory=list)  # calls made inside signed_in_account, per use
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_call(self, model=None, params=None, **_kwargs) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        processor = model.name == "PutItem" and _is_sandbox_record(params)
        with self._lock:
            (self.processor_calls if processor else self.calls).append(name)
            if model.name == "Scan":
                self.scans_total += 1

    def on_send(self, **_kwargs) -> None:
        with self._lock:
            self.sends += 1

    def reset(self) -> None:
        with self._lock:
            self.calls, self.processor_calls, self.sends, self.session_check = [], [], 0, []

    def snapshot(self) -> tuple[list[str], int]:
        with self._lock:
            return list(self.calls), self.sends

    def count(self) -> int:
        with self._lock:
            return len(self.calls)


def _is_sandbox_record(params) -> bool:
    """A PutItem of the sandbox processor's session: its item's pk starts with SANDBOX#.
    `params` is botocore's serialized request; DynamoDB's body is JSON."""
    try:
        body = params["body"]
        item = json.loads(body.decode() if isinstance(body, bytes) else body)["Item"]
        return item["pk"]["S"].startswith(SANDBOX_PREFIX)
    except (KeyError, TypeError, ValueError, AttributeError):
        return False


@contextlib.contextmanager
def session_check_counted(log: CallLog):
    """While inside, each use of chalicelib.http.signed_in_account (the session and account
    reads of a signed-in route, looked up by name at each request) adds its number of
    store calls to log.session_check. Changes no behaviour; restored on exit."""
    from chalicelib import http

    original = http.signed_in_account

    def counted(request, ports):
        before = log.count()
        try:
            return original(request, ports)
        finally:
            with log._lock:
                log.session_check.append(len(log.calls) - before)

    http.signed_in_account = counted
    try:
        yield
    finally:
        http.signed_in_account = original


class ServerScanCounter:
    """Counts Scan operations the emulator answers, from any process (wraps moto's backend)."""

    def __init__(self) -> None:
        from moto.dynamodb.models import DynamoDBBackend

        self.count = 0
        original = DynamoDBBackend.scan
        counter = self

        def scan(backend, *args, **kwargs):
            counter.count += 1
            return original(backend, *args, **kwargs)

        DynamoDBBackend.scan = scan


def install_call_log() -> CallLog:
    """Hook the app's session; must run after the emulator moved the endpoint and before the
    app creates a client."""
    from shared import aws

    aws.reset()  # forget any client made before the endpoint pointed at the emulator
    log = CallLog()
    events = aws._session().events
    events.register("before-call", log.on_call)
    events.register("before-send", log.on_send)
    return log


@dataclass
class Measured:
    label: str
    status: int
    calls: list[str]
    sends: int
    processor_calls: list[str] = field(default_factory=list)  # the sandbox processor's, not the store's
    session_check: int | None = None  # of `calls`, those of the signed-in check (signed-in routes only)
    body: bytes = b""

    @property
    def retries(self) -> int:
        return self.sends - len(self.calls) - len(self.processor_calls)


def _measure(log: CallLog, label: str, request, expected_status: int, check=None) -> Measured:
    """`check(response)` returns an error text, or None when the answer is the expected one."""
    log.reset()
    response = request()
    with log._lock:
        calls, sends = list(log.calls), log.sends
        processor_calls, checks = list(log.processor_calls), list(log.session_check)
    if response.status_code != expected_status:
        raise RuntimeError(f"{label}: status {response.status_code}, expected {expected_status}: {response.body[:500]!r}")
    wrong = check(response) if check else None
    if wrong:
        raise RuntimeError(f"{label}: {wrong}: {response.body[:500]!r}")
    return Measured(label, response.status_code, calls, sends, processor_calls,
                    sum(checks) if checks else None, response.body)


def unsubscribe_path_for(address: str) -> str:
    """Send the pending mail, then take the /unsubscribe/ link from the welcome's text."""
    from local_stage.customers import mail_link_path

    return mail_link_path(address, "/unsubscribe/")


def import_stock(sku: str, count: int) -> None:
    """Setup, not measured: PINs for the checkout to sell (the operators' import)."""
    import secrets

    from functions import ops
    from shared.ports import process_ports

    pins = [{"pin": f"{secrets.randbelow(10**12):012d}", "dialing_instructions": "Dial 1-800-555-0100"}
            for _ in range(count)]
    result = ops.run("ops_import_pins", {"sku": sku, "pins": pins}, process_ports())
    if result.get("imported") != count:
        raise RuntimeError(f"PIN import for {sku}: {result!r}")


def signup(client, address: str):
    """POST /signup through chalice.test's client."""
    import json

    body = json.dumps({"email": address, "name": "Bench Caller", "promotions": True})
    return client.http.post("/signup", headers={"Content-Type": "application/json"}, body=body)


def signed_in_customer(client) -> tuple[str, str]:
    """Setup, not measured: a new customer signed in through the welcome mail's /login/ link,
    pressed on our own page as a browser posts it: (address, session cookie as NAME=VALUE)."""
    import uuid

    from local_stage.customers import signed_in_customer as sign_in

    customer = f"bench.customer.{uuid.uuid4().hex[:10]}@example.org"
    return customer, sign_in(client, customer, "Bench Caller")


def paying_callback(order_id: str) -> tuple[bytes, str]:
    """The sandbox processor's signed "pay" callback for the order's checkout session:
    (body, Stripe-Signature header), signed now with the stage's webhook secret."""
    from local_stage.sandbox_processor import signed_callback
    from shared.ports import process_ports

    order = process_ports().commerce.order(order_id)
    session = {"session_id": order.session_id, "amount_total": order.amount_cents,
               "currency": order.currency.lower(), "order_id": order.order_id}
    return signed_callback(session, "pay", process_ports().settings.webhook_secret())


def measure(log: CallLog) -> list[Measured]:
    import uuid

    from chalice.test import Client

    import app
    from bench.environment import ROOT

    first, second = (f"bench.calls.{uuid.uuid4().hex[:10]}@example.org" for _ in range(2))
    results = []
    with Client(app.app, stage_name="local", project_dir=str(ROOT)) as client:
        # The process's first request creates the clients; reported to show it costs no extra call.
        results.append(_measure(log, "signup (new, first request)", lambda: signup(client, first), 202))
        results.append(_measure(log, "signup (new)", lambda: signup(client, second), 202))
        results.append(_measure(log, "signup (existing address)", lambda: signup(client, second), 202))
        path = unsubscribe_path_for(second)
        one_click = lambda: client.http.post(  # noqa: E731
            path, headers={"Content-Type": "application/x-www-form-urlencoded"}, body="List-Unsubscribe=One-Click"
        )
        results.append(_measure(log, "one-click unsubscribe", one_click, 200))
        results.append(_measure(log, "one-click unsubscribe (again)", one_click, 200))
        results += _commerce(log, client)
    return results


CHECKOUT_BODY = {"sku": "MX-10", "quantity": 1}


def checkout(client, cookie: str, key: str):
    """POST /checkout of CHECKOUT_BODY, signed in with the cookie, with this Idempotency-Key."""
    import json

    return client.http.post("/checkout", body=json.dumps(CHECKOUT_BODY),
                            headers={"Cookie": cookie, "Content-Type": "application/json", "Idempotency-Key": key})


def _commerce(log: CallLog, client) -> list[Measured]:
    """A signed-in customer checks out (fresh Idempotency-Key, then the same key and body
    again); the sandbox processor's signed "pay" callback is delivered, then delivered again
    (the same bytes and signature, as a processor's retry would be)."""
    import json
    import uuid

    # -- setup, not measured: stock, and a customer signed in through the welcome mail's link
    import_stock(CHECKOUT_BODY["sku"], 3)
    _customer, cookie = signed_in_customer(client)

    key = f"bench-{uuid.uuid4().hex}"
    results = []
    with session_check_counted(log):
        first = _measure(log, "checkout", lambda: checkout(client, cookie, key), 201)
        started = json.loads(first.body)
        results.append(first)
        results.append(_measure(log, "checkout (replay, same key and body)", lambda: checkout(client, cookie, key),
                                201, lambda r: None if json.loads(r.body) == started else "not the first answer"))

    payload, signature = paying_callback(started["order_id"])
    callback = lambda: client.http.post(  # noqa: E731
        "/processor/webhook", body=payload, headers={"Content-Type": "application/json", "Stripe-Signature": signature})

    def answered(status):
        return lambda r: None if json.loads(r.body).get("status") == status else f"expected status {status!r}"

    results.append(_measure(log, "paying callback", callback, 200, answered("fulfilled")))
    results.append(_measure(log, "paying callback (duplicate)", callback, 200, answered("already_paid")))
    return results
