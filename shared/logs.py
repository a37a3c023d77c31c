"""Logging that cannot leak personal data or link tokens (P27).

The redaction filter sits on the handlers, not on a logger: records from child and
third-party loggers reach the handler without passing a parent logger's filters.
"""
from __future__ import annotations

import logging
import re

SERVICE = "calling-card-store"

# Any characters but whitespace, quotes and angle brackets around an @, with a dotted
# domain: ASCII and internationalised addresses alike (a log line must show neither).
_EMAIL = re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+\.[^\s@<>\"'(),;:]+")
# Path segments that are bearer tokens: /login/<t>, /unsubscribe/<t>, /friends/forget/<t>, ...
_TOKEN_PATH = re.compile(r"(/(?:login|unsubscribe|forget|confirm-email|pay)/)[^/?#\s\"']+")
# Query strings and cookies can carry secrets too.
_SECRET_PARAM = re.compile(r"((?:token|session|sig|signature|key)=)[^&;\s\"']+", re.IGNORECASE)


def redact(text: str) -> str:
    text = _EMAIL.sub("<email>", text)
    text = _TOKEN_PATH.sub(r"\1<token>", text)
    return _SECRET_PARAM.sub(r"\1<redacted>", text)


class RedactionFilter(logging.Filter):
    """Rewrites each record's message and string extras with personal data removed."""

    _STANDARD = set(vars(logging.makeLogRecord({})))

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) or record.args:
            try:
                message = record.getMessage()
            except Exception:  # a malformed format string must not drop the record
                message = str(record.msg)
            record.msg, record.args = redact(message), None
        elif isinstance(record.msg, dict):
            record.msg = {k: redact(v) if isinstance(v, str) else v for k, v in record.msg.items()}
        for name, value in list(vars(record).items()):
            if name not in self._STANDARD and isinstance(value, str):
                setattr(record, name, redact(value))
        if record.exc_info and record.exc_info[1] is not None:
            # Exception texts can quote input (pydantic does); keep the type, drop the text.
            error = record.exc_info[1]
            record.traceback_redacted = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info, record.exc_text = None, None
            record.msg = f"{record.msg} [{type(error).__name__}]"
        return True


_FILTER = RedactionFilter()


def install_redaction(*handlers: logging.Handler) -> None:
    """Put the filter on the given handlers and on every handler of the root logger."""
    for handler in [*handlers, *logging.getLogger().handlers]:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)

