"""Outgoing mail as raw MIME through SES v2 (raw, because moto lacks templates and
SendBulkEmail, and because raw MIME lets us set List-Unsubscribe ourselves)."""
from __future__ import annotations

from dataclasses import dataclass, field
from email import charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formatdate, make_msgid
from typing import Any

# Bodies as quoted-printable UTF-8: readable in the raw message, safe for any text.
_UTF8 = charset.Charset("utf-8")
_UTF8.body_encoding = charset.QP
_UNFOLDED = compat32.clone(max_line_length=None)

# No mail of any kind names a Reply-To, and replies to the From address are not read. A
# reply to an invitation or a contest mail would put a friend's or an entrant's words in a
# mailbox outside the store's retention (P08, P15); a reply to the rest would be a request
# that no one acts on. Every mail's footer says so and links the contact page instead.
REFUSED_HEADERS = frozenset({"reply-to"})


@dataclass
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "transactional"

    def __post_init__(self) -> None:
        refuse_reply_headers(self.headers)


def refuse_reply_headers(headers: dict[str, str]) -> None:
    named = {name.strip().lower() for name in headers} & REFUSED_HEADERS
    if named:
        raise ValueError(f"a mail must not carry {sorted(named)}: replies are not read")


def build_mime(mail: OutgoingMail, sender: str) -> bytes:
    """The raw message: text and HTML alternatives, never a Reply-To. Built with the email
    package's classic MIME classes, a third of the CPU of EmailMessage's header registry; a
    header value with a line break is refused here, so no header can carry another."""
    refuse_reply_headers(mail.headers)  # checked again: the headers may have changed since
    headers = {"From": sender, "To": mail.to, "Subject": mail.subject, **mail.headers}
    if any("\r" in value or "\n" in value for value in headers.values()):
        raise ValueError("a mail header holds a line break")
    message = MIMEMultipart("alternative")
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject if mail.subject.isascii() else Header(mail.subject, "utf-8").encode()
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    for name, value in mail.headers.items():
        message[name] = value
    message.attach(MIMEText(mail.text, "plain", _UTF8))  # type: ignore[arg-type]
    message.attach(MIMEText(mail.html, "html", _UTF8))  # type: ignore[arg-type]
    # No folding: a folded List-Unsubscribe URL reads back with a leading space in some
    # parsers; our header values stay far below SMTP's 998-character line limit.
    return message.as_bytes(policy=_UNFOLDED)


class SendDeferred(Exception):
    """SES did not take the mail now (throttled, paused, an outage, a timeout): try later.
    Never the mail's own fault, so it uses up none of the job's attempts."""


class SesMailer:
    def __init__(self, sender: str, configuration_set: str, sesv2: Any = None) -> None:
        self.sender = sender
        self.configuration_set = configuration_set
        self._sesv2 = sesv2

    def send(self, mail: OutgoingMail) -> str:
        if self._sesv2 is None:
            from shared import aws

            self._sesv2 = aws.client("sesv2")
        raw = build_mime(mail, self.sender)
        try:
            response = self._sesv2.send_email(
                FromEmailAddress=self.sender,
                Destination={"ToAddresses": [mail.to]},
                Content={"Raw": {"Data": raw}},
                ConfigurationSetName=self.configuration_set,
                EmailTags=[{"Name": "kind", "Value": mail.kind}],
            )
        except Exception as error:
            from shared.aws import is_transient

            if is_transient(error):
                raise SendDeferred(type(error).__name__) from error
            raise
        return str(response["MessageId"])
