"""Signed link tokens (itsdangerous), with key rotation.

Keys come oldest first; the newest signs and every listed key verifies, so adding a key
and later dropping the oldest rotates without breaking links already sent. Unsubscribe
tokens never expire (a mail can be read years later) and carry only an account id and
topic names.
"""
from __future__ import annotations

from shared.errors import InvalidToken

UNSUBSCRIBE = "unsubscribe-v1"


def _serializer(keys: list[str], purpose: str):
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(keys, salt=purpose)


def sign(keys: list[str], purpose: str, payload: dict) -> str:
    return _serializer(keys, purpose).dumps(payload)


def verify(keys: list[str], purpose: str, token: str) -> dict:
    from itsdangerous import BadData

    try:
        payload = _serializer(keys, purpose).loads(token)
    except BadData:
        raise InvalidToken("This link is not valid. Please use the link from the email exactly as sent.") from None
    if not isinstance(payload, dict):
        raise InvalidToken("This link is not valid.")
    return payload
