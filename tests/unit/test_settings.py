"""Settings fail at first use, naming what is missing or malformed; never a silent empty default."""
from __future__ import annotations

import pytest

from shared import settings

REQUIRED = {"STAGE": "t", "TABLE_NAME": "table", "CONFIGURATION_SET": "cs", "MAIL_DEAD_LETTER_QUEUE": "dlq",
            "BASE_URL": "https://store.example/", "SENDER_ADDRESS": "store@example.com",
            "POSTAL_ADDRESS": "1 Street", "PIN_KEY_ALIAS": "alias/pin", "PIN_MAC_KEY_ALIAS": "alias/mac"}


def test_a_missing_setting_is_named(monkeypatch):
    monkeypatch.delenv("TABLE_NAME", raising=False)
    settings.get_settings.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="table_name: missing"):
            settings.get_settings()
    finally:
        settings.get_settings.cache_clear()


def test_a_missing_secret_is_named(monkeypatch):
    monkeypatch.delenv("TOKEN_SIGNING_KEYS", raising=False)
    configured = settings.Settings.from_environment()
    with pytest.raises(RuntimeError, match="TOKEN_SIGNING_KEYS"):
        configured.signing_keys()


def test_values_are_typed_and_defaults_apply():
    read = settings.Settings.from_environment({
        **REQUIRED, "SECRETS_MAX_AGE": " 60 ", "MAIL_SEND_RATE": "2.5", "TRUST_VIEWER_COUNTRY_HEADER": "True",
        "SECRETS_SOURCE": "environment", "TOKEN_SIGNING_KEYS": "old,new"})
    assert read.base_url == "https://store.example"  # no trailing slash, so links join cleanly
    assert (read.secrets_max_age, read.mail_send_rate, read.trust_viewer_country_header) == (60, 2.5, True)
    assert (read.soft_bounce_limit, read.processor, read.ssm_parameter_path) == (3, "stripe", None)
    assert read.signing_keys() == ["old", "new"]
    assert settings.Settings.from_environment(REQUIRED).secrets_source == "ssm"


def test_every_malformed_setting_is_named_in_one_error():
    with pytest.raises(ValueError) as raised:
        settings.Settings.from_environment({
            **REQUIRED, "SECRETS_SOURCE": "vault", "SECRETS_MAX_AGE": "3601", "SOFT_BOUNCE_LIMIT": "three",
            "MAIL_SEND_RATE": "0", "TRUST_VIEWER_COUNTRY_HEADER": "maybe", "PROCESSOR": "paypal"})
    message = str(raised.value)
    for name in ("secrets_source", "secrets_max_age", "soft_bounce_limit", "mail_send_rate",
                 "trust_viewer_country_header", "processor"):
        assert f"{name}:" in message


def test_a_secret_never_shows_in_a_repr():
    read = settings.Settings.from_environment({**REQUIRED, "EMAIL_HASH_KEY": "hash-key-value",
                                              "TOKEN_SIGNING_KEYS": "signing-key-value"})
    assert "hash-key-value" not in repr(read) and "signing-key-value" not in repr(read)
    assert read.email_hash_key is not None and read.email_hash_key.get_secret_value() == "hash-key-value"
