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


def email_hash(address: str, key: bytes) -> str:
    """Keyed hash of an address: keys, logs and metrics can show it; it reveals nothing."""
    return hmac.new(key, normalize_email(address).encode(), hashlib.sha256).hexdigest()
