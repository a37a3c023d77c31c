"""Entering a contest as a person does it on the fake ports: the confirmation mail is sent by
the real sender, and its link's page is filled in (P14, P15)."""
from __future__ import annotations

import re

from functions import mail_outbox
from functions.mail_handlers import MAIL_HANDLERS
from functions.surveys import confirm_entry
from shared.mail.render import SUBJECTS

DETAILS = {"name": "Ann Entrant", "shipping_address": "1 Main Street, Springfield", "zip": "97201"}
LINK = re.compile(r"https?://\S+/surveys/([A-Za-z0-9_-]+)/confirm-email/([A-Za-z0-9_-]+)")


def confirmation_mails(mailer, address: str) -> list:
    return [m for m in mailer.to(address) if m.subject == SUBJECTS["contest_confirmation"]]


def link_of(mail) -> tuple[str, str]:
    """(survey id, token) of a confirmation mail's link."""
    found = LINK.search(mail.text)
    assert found, "no confirmation link in the mail"
    return found.group(1), found.group(2)


def confirm_by_mail(ports, mailer, address: str, details: dict | None = None) -> str:
    """Send what is queued, open the newest confirmation mail's link and confirm; the entry id."""
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    mails = confirmation_mails(mailer, address)
    assert mails, f"no confirmation mail reached {address}"
    survey_id, token = link_of(mails[-1])
    return confirm_entry(survey_id, token, dict(DETAILS if details is None else details), ports)
