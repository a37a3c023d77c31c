"""Every mail the local stage sent, read from the emulator's SES (same process)."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from local_stage.emulator import REGION


def sent_mail() -> list[dict]:
    """Newest first: [{to, subject, headers, text, html, sent_at}]."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    messages = list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)
    return [_parse(m) for m in reversed(messages) if hasattr(m, "raw_data")]


def _parse(message) -> dict:
    raw = message.raw_data.encode() if isinstance(message.raw_data, str) else message.raw_data
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    return {
        "to": sorted(set(message.destinations or [str(parsed["To"])])),
        "subject": str(parsed["Subject"]),
        "headers": {name: str(value) for name, value in parsed.items()},
        "text": text.get_content() if text else "",
        "html": html.get_content() if html else "",
        "sent_at": parsedate_to_datetime(parsed["Date"]).isoformat(),
    }
