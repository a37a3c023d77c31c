"""Outgoing mail as raw MIME through SES v2 (raw, because moto lacks templates and
SendBulkEmail, and because raw MIME lets us set List-Unsubscribe ourselves)."""
from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


@dataclass
class OutgoingMail:
    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = "transactional"


def build_mime(mail: OutgoingMail, sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].rstrip(">"))
    for name, value in mail.headers.items():
        message[name] = value
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message.as_bytes()


class SesMailer:
    def __init__(self, sender: str, configuration_set: str, sesv2=None) -> None:
        self.sender = sender
        self.configuration_set = configuration_set
        self._sesv2 = sesv2

    def send(self, mail: OutgoingMail) -> str:
        if self._sesv2 is None:
            from shared import aws

            self._sesv2 = aws.client("sesv2")
        response = self._sesv2.send_email(
            FromEmailAddress=self.sender,
            Destination={"ToAddresses": [mail.to]},
            Content={"Raw": {"Data": build_mime(mail, self.sender)}},
            ConfigurationSetName=self.configuration_set,
            EmailTags=[{"Name": "kind", "Value": mail.kind}],
        )
        return response["MessageId"]
