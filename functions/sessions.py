"""Signed-in browsers. A session token is 256 random bits in a cookie; the table keeps
only its hash, with an expiry that every read checks."""
from __future__ import annotations

from shared.errors import NotSignedIn
from shared.ids import new_secret_token, token_hash
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.sign_in import Session

# The cookie dies with the browser (P21); this bounds a browser that is never closed.
SESSION_LIFETIME_SECONDS = 12 * 3600


def start(account_id: str, ports: Ports, replacing: str | None = None) -> str:
    """A new session for the account; the one the browser had before is ended (rotation)."""
    if replacing:
        ports.sign_in.delete_session(token_hash(replacing))
    token = new_secret_token()
    now = ports.clock.now()
    ports.sign_in.put_session(
        Session(token_hash(token), account_id, ports.clock.iso(), int(now) + SESSION_LIFETIME_SECONDS)
    )
    return token


def account_for(token: str | None, ports: Ports) -> Account:
    """The active account behind a session token, or NotSignedIn."""
    if not token:
        raise NotSignedIn("Please sign in first.")
    session = ports.sign_in.session(token_hash(token), ports.clock.now())
    account = ports.accounts.get(session.account_id) if session else None
    if account is None or account.status != "active":
        raise NotSignedIn("Please sign in first.")
    return account


def end(token: str | None, ports: Ports) -> None:
    if token:
        ports.sign_in.delete_session(token_hash(token))
