"""The one table of mail kinds and who may receive them. The sender obeys it at send time.

| kind          | goes to                                   | never to                                          |
|---------------|-------------------------------------------|---------------------------------------------------|
| transactional | the address it was asked for              | hard-bounced addresses; deactivated accounts      |
| service       | every active account, whatever its topics | any suppressed address; inactive accounts         |
| promotional   | active accounts with that topic on        | anyone else; any suppressed address               |
| invitation    | a friend address, once ever               | existing accounts; suppressed or forgotten ones   |
| contest_confirmation | the address that entered a contest (a referred one too: it asked, P07) | suppressed or forgotten addresses; a deactivated account's |
| contest       | the entrant's contact address             | any suppressed address; a deactivated account's   |

A complaint stops all mail except transactional mail the person asks for; a hard bounce
(or repeated soft bounces) stops everything.

Whatever the kind, no mail goes to an address that belongs to a deactivated account (P28),
whoever the job is for and however its address was found (`address_refusal`): the sender
asks it of the address each composed mail is about to go to.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.models import MailKind, SuppressionReason

BOUNCED = {SuppressionReason.hard_bounce.value, SuppressionReason.repeated_soft_bounce.value}


@dataclass(frozen=True)
class Recipient:
    """What the sender knows about an address at the moment of sending."""

    account_status: str | None  # None: the address has no account
    suppression: str | None
    topic_on: bool = False
    forgotten_friend: bool = False


def refusal(kind: str, recipient: Recipient) -> str | None:
    """Why this mail must not go to this recipient now, or None when it may."""
    suppressed = recipient.suppression
    if kind == MailKind.transactional:
        if suppressed in BOUNCED:
            return f"suppressed:{suppressed}"
        if recipient.account_status == "deactivated":
            return "account_deactivated"
        return None
    if suppressed:
        return f"suppressed:{suppressed}"
    if kind == MailKind.service:
        return None if recipient.account_status == "active" else "account_not_active"
    if kind == MailKind.promotional:
        if recipient.account_status != "active":
            return "account_not_active"
        return None if recipient.topic_on else "topic_off"
    if kind == MailKind.invitation:
        if recipient.account_status is not None:
            return "has_account"
        return "forgotten_friend" if recipient.forgotten_friend else None
    if kind == MailKind.contest_confirmation:
        if recipient.account_status == "deactivated":
            return "account_deactivated"
        return "forgotten_friend" if recipient.forgotten_friend else None
    if kind == MailKind.contest:
        return "account_deactivated" if recipient.account_status == "deactivated" else None
    return "unknown_kind"


def address_refusal(owner_status: str | None) -> str | None:
    """Why no mail of any kind may go to an address now, given the status of the account
    that holds it (None: no account does), or None when it may."""
    return "account_deactivated" if owner_status == "deactivated" else None
