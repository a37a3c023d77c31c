"""One settings model, built on first use and cached.

Locally and in tests every value comes from the environment (the stage's variables in
.chalice/config.json). Deployed stages read the secrets from SSM Parameter Store through
Powertools Parameters. A missing setting fails at first use, naming the setting.
"""
from __future__ import annotations

import functools
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Names of the secrets under SSM_PARAMETER_PATH (SecureString parameters).
SECRET_PARAMETERS = {
    "token-signing-keys": "token_signing_keys",
    "email-hash-key": "email_hash_key",
    "processor-webhook-secret": "processor_webhook_secret",
    "processor-api-key": "processor_api_key_secret",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    stage: str
    table_name: str
    configuration_set: str
    mail_dead_letter_queue: str
    base_url: str
    sender_address: str
    postal_address: str
    secrets_source: Literal["environment", "ssm"] = "ssm"
    # How long a function may use a secret it read before asking SSM again (rotation delay).
    secrets_max_age: int = Field(default=300, ge=0, le=3600)
    ssm_parameter_path: str | None = None
    # Comma-separated, oldest first: the last key signs, every key verifies (rotation).
    token_signing_keys: SecretStr | None = None
    email_hash_key: SecretStr | None = None
    # Transient bounces to one address within the window before it is suppressed.
    soft_bounce_limit: int = Field(default=3, ge=1)
    # Mails per second one sender invocation sends. Set it from the account's SES quota
    # (moto has no GetAccount, so nothing reads the quota at run time): the stage's global
    # rate is this times the senders' reserved concurrency in .chalice/config.json (the
    # stream sender's plus the sweeper's), and must stay under SES's maximum send rate.
    mail_send_rate: float = Field(default=10.0, gt=0)
    pin_key_alias: str
    pin_mac_key_alias: str
    processor: Literal["sandbox", "stripe"] = "stripe"
    processor_webhook_secret: SecretStr | None = None
    processor_api_key_secret: SecretStr | None = None
    # P24: trust the CloudFront-Viewer-Country header only where a CloudFront distribution
    # in front of the API sets it; the regional endpoint passes a client's own header through.
    trust_viewer_country_header: bool = False

    @field_validator("base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def signing_keys(self) -> list[str]:
        keys = [k.strip() for k in _secret(self, "token_signing_keys").split(",") if k.strip()]
        if not keys:
            raise RuntimeError("setting TOKEN_SIGNING_KEYS holds no key")
        return keys

    def hash_key(self) -> bytes:
        return _secret(self, "email_hash_key").encode()

    def webhook_secret(self) -> str:
        return _secret(self, "processor_webhook_secret")

    def processor_api_key(self) -> str:
        return _secret(self, "processor_api_key_secret")


def _secret(settings: Settings, name: str) -> str:
    """A secret as it is now. From SSM, each read goes through Powertools' cache, which asks
    SSM again once `secrets_max_age` has passed: a secret rotated after a deploy reaches warm
    functions within that time, with no redeploy."""
    if settings.secrets_source == "ssm":
        value = _secrets_from_ssm(settings).get(name)
    else:
        value = getattr(settings, name)
    if value is None:
        raise RuntimeError(f"setting {name.upper()} is missing")
    return value.get_secret_value()


@functools.cache
def get_settings() -> Settings:
    try:
        settings = Settings()
    except Exception as error:  # pydantic's message names each missing or bad setting
        raise RuntimeError(f"invalid stage settings: {error}") from None
    if settings.secrets_source == "ssm":
        _secrets_from_ssm(settings)  # fail at first use, naming what is missing
    return settings


def _secrets_from_ssm(settings: Settings) -> dict[str, SecretStr]:
    from aws_lambda_powertools.utilities import parameters

    if not settings.ssm_parameter_path:
        raise RuntimeError("setting SSM_PARAMETER_PATH is missing")
    found = parameters.get_parameters(settings.ssm_parameter_path, decrypt=True, max_age=settings.secrets_max_age)
    missing = [name for name in SECRET_PARAMETERS if name not in found and name != "processor-api-key"]
    if missing:
        raise RuntimeError(f"SSM parameters missing under {settings.ssm_parameter_path}: {missing}")
    return {field: SecretStr(found[name]) for name, field in SECRET_PARAMETERS.items() if name in found}
