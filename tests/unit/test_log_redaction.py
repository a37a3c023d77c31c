"""P27: the redaction filter on the handler strips addresses and link tokens from every
logger's lines, child and third-party loggers included."""
from __future__ import annotations

import io
import json
import logging

import pytest

from shared.logs import RedactionFilter, install_redaction, redact


def capture():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s %(traceback_redacted)s", defaults={"traceback_redacted": ""}))
    install_redaction(handler)
    return stream, handler


def test_p27_filter_on_the_handler_catches_child_and_third_party_loggers():
    stream, handler = capture()
    parent = logging.getLogger("redaction-parent")
    parent.addHandler(handler)
    parent.setLevel(logging.INFO)
    try:
        logging.getLogger("redaction-parent.child").info("sent to %s", "Someone.Private@Example.org")
        logging.getLogger("redaction-parent.thirdparty").warning("GET /unsubscribe/eyJhIjoi.abc?token=secret123 200")
    finally:
        parent.removeHandler(handler)
    text = stream.getvalue()
    assert "Private@Example" not in text and "eyJhIjoi" not in text and "secret123" not in text
    assert "<email>" in text and "/unsubscribe/<token>" in text


def test_p27_exception_text_is_redacted_too():
    stream, handler = capture()
    logger = logging.getLogger("redaction-exc")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("bad address jane@example.org")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert "jane@example.org" not in stream.getvalue()
    assert "ValueError" in stream.getvalue()


def test_login_and_forget_paths_and_extras_are_redacted():
    assert redact("POST /login/AbC-123_x HTTP/1.1") == "POST /login/<token> HTTP/1.1"
    assert redact("/friends/forget/zzz") == "/friends/forget/<token>"
    record = logging.makeLogRecord({"msg": "ok", "args": None, "who": "x@example.com"})
    RedactionFilter().filter(record)
    assert record.who == "<email>"


@pytest.mark.parametrize("address", ["zoë@example.org", "ZOË.Müller@bücher.example", "user@xn--bcher-kva.example",
                                     "o'brien+tag@example.co.uk"])
def test_p27_internationalised_and_unusual_addresses_are_redacted_too(address):
    for line in (f"sent to {address}", f'{{"to": "{address}"}}', f"<{address}>", f"to={address};",
                 json.dumps({"to": address})):
        assert address not in redact(line) and "<email>" in redact(line)
