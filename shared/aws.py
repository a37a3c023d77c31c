"""boto3 clients and resources, created on first use and reused (per thread-safe session)."""
from __future__ import annotations

import functools
import threading

_lock = threading.Lock()


@functools.cache
def _session():
    import boto3

    return boto3.session.Session()


def client(service: str):
    return _client(service)


@functools.cache
def _client(service: str):
    from botocore.config import Config

    with _lock:  # creating clients from one session is not thread-safe
        return _session().client(service, config=Config(retries={"mode": "standard"}))


def reset() -> None:
    """Forget every client (tests that move the endpoint call this)."""
    _client.cache_clear()
    _session.cache_clear()
