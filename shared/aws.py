"""boto3 clients, created on first use and reused (one thread-safe session per process).

Timeouts: a connect that takes 2 s or a read that takes 10 s is a dead connection here,
not a slow answer; botocore's defaults (60 s each, retried) would outlast a mail lease.
Every client retries in botocore's standard mode (3 attempts, with backoff) except SES:
SendEmail has no idempotency key and standard mode retries read timeouts, so a retried
send could deliver one mail twice. The SES client makes one attempt and the outbox backs
off on its own (functions/mail_outbox.py). Worst cases, which the outbox's lease outlasts:
one SES send 2 + 10 = 12 s; one DynamoDB call 3 × (2 + 10) = 36 s plus backoff.
"""
from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.Lock()

CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 10
SINGLE_ATTEMPT = {"sesv2"}

# Error codes that say "not now" rather than "never": throttling and outages.
TRANSIENT_CODES = {
    "TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException",
    "ThrottledException", "RequestLimitExceeded", "ProvisionedThroughputExceededException",
    "TransactionConflictException", "ServiceUnavailable", "ServiceUnavailableException", "InternalFailure",
    "InternalServerError", "InternalError", "RequestTimeout", "RequestTimeoutException", "SendingPausedException",
}


@functools.cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


def client(service: str) -> Any:
    return _client(service)


@functools.cache
def _client(service: str) -> Any:
    from botocore.config import Config

    retries: Any = {"mode": "standard", **({"total_max_attempts": 1} if service in SINGLE_ATTEMPT else {})}
    config = Config(retries=retries, connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS)
    with _lock:  # creating clients from one session is not thread-safe
        return _session().client(service, config=config)


def is_transient(error: BaseException) -> bool:
    """Throttling, a 5xx or a dead connection: worth trying again later."""
    if isinstance(error, (ConnectionError, TimeoutError)):
        return True
    from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, HTTPClientError

    if isinstance(error, (BotoConnectionError, HTTPClientError)):
        return True
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in TRANSIENT_CODES or status >= 500
    return False


def reset() -> None:
    """Forget every client (tests that move the endpoint call this)."""
    _client.cache_clear()
    _session.cache_clear()
