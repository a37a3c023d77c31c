"""Figure 3: AWS calls on the synchronous path of a request, and Scan operations anywhere.

Calls are counted with a botocore `before-call` hook on the app's boto3 session
(shared.aws._session()), registered before any of its clients exist, so every client
the app creates inherits it. `before-call` fires once per API operation, not per HTTP
attempt; retries are counted separately with `before-send`.

Scans are counted twice: by the same hook over the whole run of this process, and on the
emulator's side (moto's DynamoDB backend), which also sees the cold-start children.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlparse


@dataclass
class CallLog:
    calls: list[str] = field(default_factory=list)  # "service.Operation", in order
    sends: int = 0  # HTTP attempts (calls + retries)
    scans_total: int = 0  # every Scan this process made through the app's session, never reset
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_call(self, model=None, **_kwargs) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        with self._lock:
            self.calls.append(name)
            if model.name == "Scan":
                self.scans_total += 1

    def on_send(self, **_kwargs) -> None:
        with self._lock:
            self.sends += 1

    def reset(self) -> None:
        with self._lock:
            self.calls, self.sends = [], 0

    def snapshot(self) -> tuple[list[str], int]:
        with self._lock:
            return list(self.calls), self.sends


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


def _measure(log: CallLog, label: str, request, expected_status: int) -> Measured:
    log.reset()
    response = request()
    calls, sends = log.snapshot()
    if response.status_code != expected_status:
        raise RuntimeError(f"{label}: status {response.status_code}, expected {expected_status}: {response.body[:500]!r}")
    return Measured(label, response.status_code, calls, sends)


def unsubscribe_path_for(address: str) -> str:
    """Send the pending mail, then take the /unsubscribe/ link from the welcome's text."""
    from functions.mail_outbox import sweep
    from local_stage.outbox import sent_mail
    from shared.ports import default_ports

    sweep(default_ports())
    for mail in sent_mail():
        if address.lower() not in (t.lower() for t in mail["to"]):
            continue
        for word in mail["text"].split():
            url = urlparse(word.strip("<>"))
            if url.scheme and url.path.startswith("/unsubscribe/"):
                return url.path
    raise RuntimeError(f"no /unsubscribe/ link in any mail to {address}")


def measure(log: CallLog) -> list[Measured]:
    import json
    import uuid

    from chalice.test import Client

    import app
    from bench.environment import ROOT

    def signup(address: str):
        body = json.dumps({"email": address, "name": "Bench Caller", "promotions": True})
        return client.http.post("/signup", headers={"Content-Type": "application/json"}, body=body)

    first, second = (f"bench.calls.{uuid.uuid4().hex[:10]}@example.org" for _ in range(2))
    results = []
    with Client(app.app, stage_name="local", project_dir=str(ROOT)) as client:
        # The process's first request creates the clients; reported to show it costs no extra call.
        results.append(_measure(log, "signup (new, first request)", lambda: signup(first), 202))
        results.append(_measure(log, "signup (new)", lambda: signup(second), 202))
        results.append(_measure(log, "signup (existing address)", lambda: signup(second), 202))
        path = unsubscribe_path_for(second)
        one_click = lambda: client.http.post(  # noqa: E731
            path, headers={"Content-Type": "application/x-www-form-urlencoded"}, body="List-Unsubscribe=One-Click"
        )
        results.append(_measure(log, "one-click unsubscribe", one_click, 200))
        results.append(_measure(log, "one-click unsubscribe (again)", one_click, 200))
    return results
