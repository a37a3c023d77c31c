"""Signed unsubscribe tokens: tamper-evident, never expiring, rotatable."""
from __future__ import annotations

import pytest

from shared import tokens
from shared.errors import InvalidToken

PAYLOAD = {"a": "account-id", "t": ["newsletter"]}


def test_a_token_round_trips():
    token = tokens.sign(["k1"], tokens.UNSUBSCRIBE, PAYLOAD)
    assert tokens.verify(["k1"], tokens.UNSUBSCRIBE, token) == PAYLOAD


def test_rotation_keeps_old_links_working_and_dropping_the_key_retires_them():
    old = tokens.sign(["k1"], tokens.UNSUBSCRIBE, PAYLOAD)
    assert tokens.verify(["k1", "k2"], tokens.UNSUBSCRIBE, old) == PAYLOAD
    new = tokens.sign(["k1", "k2"], tokens.UNSUBSCRIBE, PAYLOAD)
    assert tokens.verify(["k2"], tokens.UNSUBSCRIBE, new) == PAYLOAD
    with pytest.raises(InvalidToken):
        tokens.verify(["k2"], tokens.UNSUBSCRIBE, old)


@pytest.mark.parametrize("mangle", [lambda t: t[:-1], lambda t: t[: len(t) // 2], lambda t: t.replace(".", ".x"), lambda t: "", lambda t: "%%%"])
def test_tampered_and_truncated_tokens_are_refused(mangle):
    token = tokens.sign(["k1"], tokens.UNSUBSCRIBE, PAYLOAD)
    with pytest.raises(InvalidToken):
        tokens.verify(["k1"], tokens.UNSUBSCRIBE, mangle(token))


def test_a_token_for_another_purpose_is_refused():
    token = tokens.sign(["k1"], "another-purpose", PAYLOAD)
    with pytest.raises(InvalidToken):
        tokens.verify(["k1"], tokens.UNSUBSCRIBE, token)
