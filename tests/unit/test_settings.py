"""Settings fail at first use, naming what is missing; never a silent empty default."""
from __future__ import annotations

import pytest

from shared import settings


def test_a_missing_setting_is_named(monkeypatch):
    monkeypatch.delenv("TABLE_NAME", raising=False)
    settings.get_settings.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="table_name"):
            settings.get_settings()
    finally:
        settings.get_settings.cache_clear()


def test_a_missing_secret_is_named(monkeypatch):
    monkeypatch.delenv("TOKEN_SIGNING_KEYS", raising=False)
    configured = settings.Settings()
    with pytest.raises(RuntimeError, match="TOKEN_SIGNING_KEYS"):
        configured.signing_keys()
