"""One-time links that confirm an address and sign in (the `/login/{token}` links).

The token exists only in the mail: it is minted when the mail is sent and only its hash
is stored, with its expiry. Using it deletes it (single use).
"""
from __future__ import annotations

from shared.ids import new_secret_token, token_hash
from shared.store.entities import LoginToken

LIFETIMES = {"confirm": 7 * 24 * 3600, "signin": 15 * 60}


def mint(account_id: str, purpose: str, ports) -> str:
    """A fresh link for the account; returns its URL."""
    token = new_secret_token()
    expires_at = int(ports.clock.now()) + LIFETIMES[purpose]
    ports.store.put_login_token(LoginToken(token_hash(token), account_id, purpose, expires_at))
    return f"{ports.settings.base_url}/login/{token}"


def check(token: str, ports) -> LoginToken:
    """Is the link usable? Reads only: mail scanners prefetch links, so a GET must not use it."""
    return ports.store.peek_login_token(token_hash(token), ports.clock.now())


def use(token: str, ports):
    """Use the link: it is gone afterwards, and the address is confirmed."""
    login = ports.store.consume_login_token(token_hash(token), ports.clock.now())
    return ports.store.activate_account(login.account_id)
