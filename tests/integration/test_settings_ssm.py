"""Deployed stages read their secrets from SSM Parameter Store through Powertools."""
from __future__ import annotations

import boto3
import pytest

from shared import settings


def test_secrets_come_from_ssm_when_the_stage_says_so(aws, monkeypatch):
    ssm = boto3.client("ssm")
    path = "/calling-card-store/ssmtest/"
    ssm.put_parameter(Name=path + "token-signing-keys", Value="old-key,new-key", Type="SecureString")
    ssm.put_parameter(Name=path + "email-hash-key", Value="hash-key", Type="SecureString")
    ssm.put_parameter(Name=path + "processor-webhook-secret", Value="whsec_x", Type="SecureString")
    monkeypatch.setenv("SECRETS_SOURCE", "ssm")
    monkeypatch.setenv("SSM_PARAMETER_PATH", path)
    monkeypatch.delenv("TOKEN_SIGNING_KEYS")
    monkeypatch.delenv("EMAIL_HASH_KEY")
    settings.get_settings.cache_clear()
    try:
        loaded = settings.get_settings()
        assert loaded.signing_keys() == ["old-key", "new-key"]
        assert loaded.hash_key() == b"hash-key"
        assert loaded.webhook_secret() == "whsec_x"
    finally:
        settings.get_settings.cache_clear()


def test_a_missing_ssm_secret_is_named(aws, monkeypatch):
    monkeypatch.setenv("SECRETS_SOURCE", "ssm")
    monkeypatch.setenv("SSM_PARAMETER_PATH", "/calling-card-store/nothing-here/")
    settings.get_settings.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="token-signing-keys"):
            settings.get_settings()
    finally:
        settings.get_settings.cache_clear()


def test_a_warm_process_picks_up_a_secret_rotated_in_ssm_within_the_max_age(aws, monkeypatch):
    """docs/operations.md promises rotation without a redeploy: a function that already read the
    signing keys sees the new list once the cache's max age has passed, not before."""
    import time

    ssm = boto3.client("ssm")
    path = "/calling-card-store/rotation/"
    for name, value in (("token-signing-keys", "key-1"), ("email-hash-key", "hash-key"),
                        ("processor-webhook-secret", "whsec_1")):
        ssm.put_parameter(Name=path + name, Value=value, Type="SecureString")
    monkeypatch.setenv("SECRETS_SOURCE", "ssm")
    monkeypatch.setenv("SSM_PARAMETER_PATH", path)
    monkeypatch.setenv("SECRETS_MAX_AGE", "1")
    settings.get_settings.cache_clear()
    try:
        warm = settings.get_settings()
        assert warm.signing_keys() == ["key-1"] and warm.webhook_secret() == "whsec_1"
        ssm.put_parameter(Name=path + "token-signing-keys", Value="key-1,key-2", Type="SecureString", Overwrite=True)
        ssm.put_parameter(Name=path + "processor-webhook-secret", Value="whsec_2", Type="SecureString", Overwrite=True)
        assert warm.signing_keys() == ["key-1"]  # within the max age: the cached value, no SSM call
        time.sleep(1.1)
        assert warm.signing_keys() == ["key-1", "key-2"] and warm.webhook_secret() == "whsec_2"
    finally:
        settings.get_settings.cache_clear()
