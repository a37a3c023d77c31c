"""One settings object, read from the environment on first use and cached.

Locally and in tests every value comes from the environment (the stage's variables in
.chalice/config.json). Deployed stages read the secrets from SSM Parameter Store through
Powertools Parameters. A missing or malformed setting fails at first use, naming each one.

A frozen dataclass and a reader per field, rather than pydantic-settings: every cold
start reads these, and pydantic-settings (with dotenv, asyncio, argparse and the model
build it brings) cost a new container's first request more than the rest of the settings
path together. What it gave the stage, typed values and named errors, is these few lines.
"""
from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Mapping
from typing import Any, Literal

# Names of the secrets under SSM_PARAMETER_PATH (SecureString parameters).
SECRET_PARAMETERS = {
    "token-signing-keys": "token_signing_keys",
    "email-hash-key": "email_hash_key",
    "processor-webhook-secret": "processor_webhook_secret",
    "processor-api-key": "processor_api_key_secret",
}


class Secret:
    """A secret value that never shows in a repr, a log line or a traceback's locals."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# -- readers: text from the environment to a typed value, or ValueError saying what is wrong


def _text(raw: str) -> str:
    return raw


def _base_url(raw: str) -> str:
    return raw.rstrip("/")


def _secret(raw: str) -> Secret:
    return Secret(raw)


def _one_of(*choices: str) -> Callable[[str], str]:
    def read(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"must be one of {', '.join(repr(c) for c in choices)}, not {raw!r}")
        return raw
    return read


def _whole(low: int, high: int | None = None) -> Callable[[str], int]:
    def read(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError(f"must be a whole number, not {raw!r}") from None
        if value < low or (high is not None and value > high):
            raise ValueError(f"must be at least {low}" + (f" and at most {high}" if high is not None else ""))
        return value
    return read


def _positive_number(raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError(f"must be a number, not {raw!r}") from None
    if not value > 0:
        raise ValueError("must be greater than 0")
    return value


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _flag(raw: str) -> bool:
    word = raw.strip().lower()
    if word in _TRUE | _FALSE:
        return word in _TRUE
    raise ValueError(f"must be true or false, not {raw!r}")


def _setting(read: Callable[[str], Any], default: Any = dataclasses.MISSING) -> Any:
    return dataclasses.field(default=default, metadata={"read": read})


@dataclasses.dataclass(frozen=True)
class Settings:
    stage: str = _setting(_text)
    table_name: str = _setting(_text)
    configuration_set: str = _setting(_text)
    mail_dead_letter_queue: str = _setting(_text)
    base_url: str = _setting(_base_url)
    sender_address: str = _setting(_text)
    postal_address: str = _setting(_text)
    pin_key_alias: str = _setting(_text)
    pin_mac_key_alias: str = _setting(_text)
    secrets_source: Literal["environment", "ssm"] = _setting(_one_of("environment", "ssm"), "ssm")
    # How long a function may use a secret it read before asking SSM again (rotation delay).
    secrets_max_age: int = _setting(_whole(0, 3600), 300)
    ssm_parameter_path: str | None = _setting(_text, None)
    # Comma-separated, oldest first: the last key signs, every key verifies (rotation).
    token_signing_keys: Secret | None = _setting(_secret, None)
    email_hash_key: Secret | None = _setting(_secret, None)
    # Transient bounces to one address within the window before it is suppressed.
    soft_bounce_limit: int = _setting(_whole(1), 3)
    # Mails per second one sender invocation sends. Set it from the account's SES quota
    # (moto has no GetAccount, so nothing reads the quota at run time): the stage's global
    # rate is this times the senders' reserved concurrency in .chalice/config.json (the
    # stream sender's plus the sweeper's), and must stay under SES's maximum send rate.
    mail_send_rate: float = _setting(_positive_number, 10.0)
    processor: Literal["sandbox", "stripe"] = _setting(_one_of("sandbox", "stripe"), "stripe")
    processor_webhook_secret: Secret | None = _setting(_secret, None)
    processor_api_key_secret: Secret | None = _setting(_secret, None)
    # P24: trust the CloudFront-Viewer-Country header only where a CloudFront distribution
    # in front of the API sets it; the regional endpoint passes a client's own header through.
    trust_viewer_country_header: bool = _setting(_flag, False)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Each field from the variable of its name in capitals (TABLE_NAME for table_name).
        Every missing or malformed one is named in one error, not only the first."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for field in dataclasses.fields(cls):
            raw = environ.get(field.name.upper())
            if raw is None:
                if field.default is dataclasses.MISSING:
                    problems.append(f"{field.name}: missing (set {field.name.upper()})")
                continue
            try:
                values[field.name] = field.metadata["read"](raw)
            except ValueError as error:
                problems.append(f"{field.name}: {error}")
        if problems:
            raise ValueError("; ".join(problems))
        return cls(**values)

    def signing_keys(self) -> list[str]:
        keys = [k.strip() for k in _secret_value(self, "token_signing_keys").split(",") if k.strip()]
        if not keys:
            raise RuntimeError("setting TOKEN_SIGNING_KEYS holds no key")
        return keys

    def hash_key(self) -> bytes:
        return _secret_value(self, "email_hash_key").encode()

    def webhook_secret(self) -> str:
        return _secret_value(self, "processor_webhook_secret")

    def processor_api_key(self) -> str:
        return _secret_value(self, "processor_api_key_secret")


def _secret_value(settings: Settings, name: str) -> str:
    """A secret as it is now. From SSM, each read goes through Powertools' cache, which asks
    SSM again once `secrets_max_age` has passed: a secret rotated after a deploy reaches warm
    functions within that time, with no redeploy."""
    value: Secret | None
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
        settings = Settings.from_environment()
    except ValueError as error:
        raise RuntimeError(f"invalid stage settings: {error}") from None
    if settings.secrets_source == "ssm":
        _secrets_from_ssm(settings)  # fail at first use, naming what is missing
    return settings


def _secrets_from_ssm(settings: Settings) -> dict[str, Secret]:
    from aws_lambda_powertools.utilities import parameters

    if not settings.ssm_parameter_path:
        raise RuntimeError("setting SSM_PARAMETER_PATH is missing")
    found = parameters.get_parameters(settings.ssm_parameter_path, decrypt=True, max_age=settings.secrets_max_age)
    missing = [name for name in SECRET_PARAMETERS if name not in found and name != "processor-api-key"]
    if missing:
        raise RuntimeError(f"SSM parameters missing under {settings.ssm_parameter_path}: {missing}")
    return {field: Secret(found[name]) for name, field in SECRET_PARAMETERS.items() if name in found}
