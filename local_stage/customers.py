"""Customers made through the store's own routes and mail, as a browser makes them, on the
local emulator: the benchmark's and the packaging step's setup (the tests have fixtures of
their own). `client` is chalice.test's client over the app."""
from __future__ import annotations

import json
from urllib.parse import urlparse


def mail_link_path(address: str, prefix: str) -> str:
    """Send the pending mail, then take the first `prefix` link (e.g. /unsubscribe/) from the
    newest mail to the address that has one."""
    from functions.mail_outbox import sweep
    from functions.mail_handlers import MAIL_HANDLERS
    from local_stage.outbox import sent_mail
    from shared.ports import process_ports

    for _ in range(3):  # a mail the stream has not handed over yet goes with the next sweep
        sweep(process_ports(), MAIL_HANDLERS)
        for mail in sent_mail():
            if address.lower() not in (t.lower() for t in mail["to"]):
                continue
            for word in mail["text"].split():
                url = urlparse(word.strip("<>"))
                if url.scheme and url.path.startswith(prefix):
                    return url.path
    raise RuntimeError(f"no {prefix} link in any mail to {address}")


def use_sign_in_link(client, address: str) -> str:
    """Press the newest mail's /login/ link on our own page, as a browser posts it; the
    session cookie it sets, as NAME=VALUE."""
    from shared.ports import process_ports

    used = client.http.post(mail_link_path(address, "/login/"), body="", headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": process_ports().settings.base_url})
    cookie = (used.headers.get("Set-Cookie") or "").split(";", 1)[0]
    if used.status_code != 303 or not cookie.startswith("__Host-session="):
        raise RuntimeError(f"sign-in link: status {used.status_code}, cookie {cookie[:20]!r}")
    return cookie


def signed_in_customer(client, address: str, name: str) -> str:
    """A new customer signed up and signed in through the welcome mail's link: the session cookie."""
    body = json.dumps({"email": address, "name": name, "promotions": False})
    signed_up = client.http.post("/signup", headers={"Content-Type": "application/json"}, body=body)
    if signed_up.status_code != 202:
        raise RuntimeError(f"signup: status {signed_up.status_code}: {signed_up.body[:500]!r}")
    return use_sign_in_link(client, address)
