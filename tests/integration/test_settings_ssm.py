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
