"""HTTP and mail helpers over the moto-backed stage (the emulator fixtures are in tests/conftest.py)."""
from __future__ import annotations

import json
import time
from urllib.parse import urlparse

import pytest

from local_stage import emulator


@pytest.fixture
def ports(aws):
    from shared.ports import process_ports

    return process_ports()


@pytest.fixture
def client(aws):
    from chalice.test import Client

    import app

    with Client(app.app, stage_name="local", project_dir=str(emulator.ROOT)) as test_client:
        yield test_client


class Http:
    """Small helpers over chalice.test.Client for JSON and form posts."""

    def __init__(self, client) -> None:
        self.client = client

    def post_json(self, path: str, body, headers: dict | None = None):
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.client.http.post(path, headers={"Content-Type": "application/json", **(headers or {})}, body=raw)

    def post_form(self, path: str, body: str, content_type: str = "application/x-www-form-urlencoded",
                  headers: dict | None = None):
        """A form posted from one of our pages, as a browser does it: with our Origin."""
        from shared.settings import get_settings

        sent = {"Content-Type": content_type, "Origin": get_settings().base_url, **(headers or {})}
        return self.client.http.post(path, headers=sent, body=body)

    def get(self, path: str, headers: dict | None = None):
        return self.client.http.get(path, headers=headers or {})

    @staticmethod
    def json(response) -> dict:
        return json.loads(response.body)


@pytest.fixture
def http(client) -> Http:
    return Http(client)


def deliver(ports) -> dict:
    """Run the sweeper until no job is left unsent (what the stream and schedule do in AWS)."""
    from functions.mail_outbox import sweep
    from functions.mail_handlers import MAIL_HANDLERS

    outcomes: dict = {}
    for _ in range(20):
        round_ = sweep(ports, MAIL_HANDLERS)
        if not set(round_) - {"not_claimed"}:  # nothing left that this sweep could take
            break
        for key, count in round_.items():
            outcomes[key] = outcomes.get(key, 0) + count
    failed = {k: v for k, v in outcomes.items() if k in ("retry_after_lease", "failed", "record_failed")}
    assert not failed, f"mail jobs failed: {failed}"
    return outcomes


def mail_to(address: str) -> list[dict]:
    from local_stage.outbox import sent_mail

    return [m for m in sent_mail() if address.lower() in (t.lower() for t in m["to"])]


def wait_for_mail(address: str, count: int = 1, timeout: float = 10.0) -> list[dict]:
    """Poll with a time limit (never a fixed sleep) until `count` mails reached the address."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = mail_to(address)
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} mail(s), got {len(mail_to(address))}")


def link_path(text: str, prefix: str) -> str:
    """The path of the first link in a mail text that starts with `prefix` (e.g. /unsubscribe/)."""
    for word in text.split():
        if "://" in word and urlparse(word).path.startswith(prefix):
            return urlparse(word.strip("<>")).path
    raise AssertionError(f"no {prefix} link in the mail")
