"""What a mail job becomes at send time, in the parts every mail shares.

The feature that owns a mail (signup's welcome, an order's PINs, a referral's invitation …)
re-checks its recipient and composes it through a `MailHandler`; `functions.mail_handlers`
gathers them by template and the edges hand that table to the sender. This module imports
no feature: it holds what the handlers share, the send-time facts read for many jobs at once,
the kinds table's check for mail to an account, and the rendering of a mail.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from shared.ids import address_hash
from shared.mail import kinds
from shared.models import MailKind
from shared.ports import Ports

# Features on the API's cold path (signup, sign-in) define their handlers here: what only
# sending needs is imported when a mail is built.
if TYPE_CHECKING:
    from shared.mail.ses import OutgoingMail
    from shared.store.accounts import Account, Preferences
    from shared.store.campaigns import Campaign
    from shared.store.mail import MailJob


class MailDefect(Exception):
    """The mail cannot be built (its order or campaign is gone): the job's own fault."""


@dataclass
class SendTimeFacts:
    """What the re-check reads, for many jobs at once: accounts with their preferences,
    the suppressed addresses among theirs, and the campaigns the jobs name."""

    accounts: dict[str, tuple[Account | None, Preferences | None]] = field(default_factory=dict)
    suppressed: dict[str, str] = field(default_factory=dict)
    campaigns: dict[str, Campaign | None] = field(default_factory=dict)
    read_at: float = float("-inf")  # when the accounts and suppressions were read (campaigns do not change)

    def gather(self, jobs: list[MailJob], ports: Ports) -> SendTimeFacts:
        """Read what these jobs need and this invocation does not hold yet, in batches: two
        BatchGetItem calls for up to 33 jobs, and each campaign once per invocation."""
        ids = {j.account_id for j in jobs if j.account_id} - set(self.accounts)
        self.accounts.update(ports.accounts.many_with_preferences(sorted(ids)))
        hashes = {self.address_hash(j, ports) for j in jobs} - {None}
        self.suppressed.update(ports.outbox.suppressions(sorted(h for h in hashes if h), ports.clock.now()))
        for campaign_id in {j.campaign_id for j in jobs if j.campaign_id} - set(self.campaigns):
            self.campaigns[campaign_id] = ports.campaigns.get(campaign_id)
        return self

    def account(self, job: MailJob) -> tuple[Account | None, Preferences | None]:
        return self.accounts.get(job.account_id or "", (None, None))

    def owner_status(self, address: str, ports: Ports) -> str | None:
        """The status of the account that holds this address now (None: no account does).
        Mail to an account's own address is answered from the facts already read; any other
        address (a job's `to_address`, a contest entry's, a friend's) is looked up by its
        keyed hash."""
        hashed = address_hash(address, ports.settings.hash_key())
        for account, _ in self.accounts.values():
            if account is not None and account.email_hash == hashed:
                return account.status
        account_id = ports.accounts.account_id_for(hashed)
        account = ports.accounts.get(account_id) if account_id else None
        return account.status if account else None

    def address_hash(self, job: MailJob, ports: Ports) -> str | None:
        if job.to_address:
            return address_hash(job.to_address, ports.settings.hash_key())
        account = self.account(job)[0]
        return account.email_hash if account else None


class MailHandler(Protocol):
    """How one feature's mail is re-checked and built at send time."""

    def refusal(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> str | None:
        """Why this job must not be sent now (its recipient's state changed), or None."""

    def compose(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> OutgoingMail:
        """The mail, for a job that may be sent; tokens in its links are minted here."""


MailHandlers = Mapping[str, MailHandler]  # by the job's template


def handlers_by_template(*tables: Mapping[str, MailHandler]) -> dict[str, MailHandler]:
    """The features' tables as one; a template claimed twice is a mistake, caught at import."""
    merged: dict[str, MailHandler] = {}
    for table in tables:
        twice = set(merged) & set(table)
        if twice:
            raise ValueError(f"mail templates with two handlers: {sorted(twice)}")
        merged.update(table)
    return merged


def handler_for(job: MailJob, handlers: MailHandlers) -> MailHandler:
    handler = handlers.get(job.template)
    if handler is None:
        raise MailDefect(f"no handler for the mail template {job.template!r}")
    return handler


@dataclass
class MailParts:
    """What a feature adds to mail to an account: its template (when decided at send
    time), values for the template, and headers."""

    template: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def add(self, other: MailParts) -> MailParts:
        return MailParts(other.template or self.template, {**self.context, **other.context},
                         {**self.headers, **other.headers})


def no_parts(job: MailJob, account: Account, facts: SendTimeFacts, ports: Ports) -> MailParts:
    return MailParts()


@dataclass(frozen=True)
class AccountMail:
    """A `MailHandler` for mail to an account: the kinds table re-checks the account as it
    is now (P05, P28: never to a friend, P07), and `parts` adds the owner's values."""

    parts: Callable[[MailJob, Account, SendTimeFacts, Ports], MailParts] = no_parts

    def refusal(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> str | None:
        account, preferences = facts.account(job)
        if account is None:  # mail to an account goes to an account: never to a friend (P07)
            return "no_recipient"
        topic_on = bool(job.kind == MailKind.promotional and preferences and job.topic
                        and preferences.topics.get(job.topic))
        suppressed = facts.suppressed.get(facts.address_hash(job, ports) or "")
        return kinds.refusal(job.kind, kinds.Recipient(account.status, suppressed, topic_on))

    def compose(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> OutgoingMail:
        account = facts.account(job)[0]
        if account is None:  # refusal() answered "no_recipient"
            raise MailDefect("mail to an account that is gone")
        parts = self.parts(job, account, facts, ports)
        # Mail to an address not yet proven carries no text a customer typed: otherwise signup
        # would send anyone's words to anyone, from our domain. The name appears once the
        # address is confirmed.
        unconfirmed = account.status != "active" or bool(job.context.get("to_unconfirmed"))
        context = {**job.context, "name": "" if unconfirmed else account.name,
                   "preferences_url": f"{ports.settings.base_url}/my-account/email-preferences", **parts.context}
        return rendered(parts.template or job.template, context, job.to_address or account.email, job.kind, ports,
                        parts.headers)


def rendered(template: str, context: dict[str, Any], to: str, kind: str, ports: Ports,
             headers: dict[str, str] | None = None) -> OutgoingMail:
    """The mail of a template, with the store's postal address and its contact page in its
    footer: no mail names a Reply-To (shared.mail.ses), so the footer says where to write."""
    from shared.mail.render import render
    from shared.mail.ses import OutgoingMail

    footer = {"postal_address": ports.settings.postal_address, "contact_url": f"{ports.settings.base_url}/contact"}
    subject, text, html = render(template, {**context, **footer})
    return OutgoingMail(to=to, subject=subject, text=text, html=html, headers=headers or {}, kind=kind)


def one_click(url: str) -> dict[str, str]:
    """RFC 8058: providers show an unsubscribe button and POST the one-click body to the URL."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
