"""Random identifiers and secrets."""
from __future__ import annotations

import hashlib
import hmac
import secrets


def new_id() -> str:
    """A random 128-bit id, URL-safe; carries no meaning and no personal data."""
    return secrets.token_urlsafe(16)


def new_secret_token() -> str:
    """A 256-bit bearer token for links; only its hash is stored."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(address: str) -> str:
    return address.strip().lower()


def address_hash(address: str, key: bytes) -> str:
    """Keyed hash of the address as typed (lower-cased): what accounts, suppressions and a
    person's own records are found by. Keys, logs and metrics can show it; it reveals nothing."""
    return hmac.new(key, normalize_email(address).encode(), hashlib.sha256).hexdigest()


# Providers that deliver every dotted spelling of a local part to one mailbox, under either name.
_DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def canonical_mailbox(address: str) -> str:
    """One spelling per mailbox: lower-case; a `+tag` dropped where a non-empty local part
    remains (on every domain: most providers deliver sub-addresses to the same mailbox);
    for Gmail, dots dropped and googlemail.com read as gmail.com."""
    local, _, domain = normalize_email(address).rpartition("@")
    base, plus, _tag = local.partition("+")
    if plus and base:
        local = base
    if domain in _DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), _DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"


def mailbox_key(address: str, key: bytes) -> str:
    """Keyed hash of the canonical mailbox: what decides "the same person" where spellings
    must not multiply a right (one invitation ever, forget-me, one contest entry, the cap on
    unproven mail). It only ever blocks or limits: it never grants a session, a link or an
    account, which go by the exact `address_hash`."""
    return hmac.new(key, b"mailbox\n" + canonical_mailbox(address).encode(), hashlib.sha256).hexdigest()
