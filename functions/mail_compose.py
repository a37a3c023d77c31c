"""What a mail job becomes at send time: who may still receive it (the kinds table,
re-checked against the account, its preferences and the address's suppression as they are
now), and the mail itself (template, links minted now, RFC 8058 headers)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from functions import contests, one_time_links, referrals, unsubscribe
from shared.ids import email_hash
from shared.mail.kinds import Recipient, refusal
from shared.mail.ses import OutgoingMail
from shared.models import MailKind
from shared.ports import Ports
from shared.store.accounts import Account, Preferences
from shared.store.campaigns import Campaign
from shared.store.mail import MailJob

UNSUBSCRIBE_REASONS = {
    "welcome": "You get this because you signed up. The link below stops all newsletters and offers.",
    MailKind.promotional.value: "You get this because you switched on {topic} mail in your Email Preferences.",
}


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

    def address_hash(self, job: MailJob, ports: Ports) -> str | None:
        if job.to_address:
            return email_hash(job.to_address, ports.settings.hash_key())
        account = self.account(job)[0]
        return account.email_hash if account else None


def refusal_now(job: MailJob, facts: SendTimeFacts, ports: Ports) -> str | None:
    """Why this job must not be sent now (its recipient's state changed), or None."""
    if job.kind == MailKind.invitation:
        return _invitation_refusal(job, ports)
    if job.kind == MailKind.contest:
        return _contest_refusal(job, ports)
    account, preferences = facts.account(job)
    if account is None:  # every other kind goes to an account: never to a friend (P07)
        return "no_recipient"
    topic_on = bool(job.kind == MailKind.promotional and preferences and job.topic
                    and preferences.topics.get(job.topic))
    address_hash = facts.address_hash(job, ports)
    return refusal(job.kind, Recipient(account.status, facts.suppressed.get(address_hash or ""), topic_on))


def _invitation_refusal(job: MailJob, ports: Ports) -> str | None:
    """The kinds table for a friend's address, from hash-only facts: has it become a
    customer's, been suppressed, or asked to be forgotten? Then: is the invitation still
    there to send (not forgotten, joined or expired)?"""
    friend_hash = job.context.get("friend_hash")
    if not isinstance(friend_hash, str):
        raise MailDefect("an invitation job names no friend")
    has_account = ports.accounts.account_id_for(friend_hash) is not None
    recipient = Recipient("exists" if has_account else None, ports.outbox.suppression(friend_hash, ports.clock.now()),
                          forgotten_friend=ports.outbox.is_forgotten(friend_hash))
    why_not = refusal(job.kind, recipient)
    if why_not is None and referrals.invitation_mail(job, ports) is None:
        return "friend_data_gone"
    return why_not


def _invitation(job: MailJob, ports: Ports) -> OutgoingMail:
    invitation = referrals.invitation_mail(job, ports)
    if invitation is None:  # gone since the re-check: the job's own fault, not SES's
        raise MailDefect("the invitation's friend data is gone")
    from shared.mail.render import render

    subject, text, html = render(job.template, {**invitation.context, "postal_address": ports.settings.postal_address})
    return OutgoingMail(to=invitation.to, subject=subject, text=text, html=html, headers=invitation.headers,
                        kind=job.kind)


def _template_and_link(job: MailJob, account: Account) -> tuple[str, str | None]:
    """The job's template and the purpose of the link it carries. A signup again is decided
    only now, by the account's status: a pending account gets its confirm link again, an
    active one a sign-in link (a deactivated one was refused before this)."""
    if job.template != one_time_links.SIGNUP_AGAIN:
        return job.template, job.context.get("login_link")
    decided = one_time_links.SIGNUP_AGAIN_MAILS.get(account.status)
    if decided is None:
        raise MailDefect("a signup-again job for an account in no state to receive it")
    return decided


def _contest_refusal(job: MailJob, ports: Ports) -> str | None:
    """A winner's mail goes to the entry's contact address while it is held, unless the
    address is suppressed. Only a job that names an entry is a winner's mail."""
    if not {"survey_id", "entry_id"} <= set(job.context):
        return "no_recipient"
    address_hash = contests.winner_address_hash(job, ports)
    if address_hash is None:
        return "entry_gone"
    return refusal(job.kind, Recipient(None, ports.outbox.suppression(address_hash, ports.clock.now())))


def _contest_winner(job: MailJob, ports: Ports) -> OutgoingMail:
    found = contests.winner_mail(job, ports)
    if found is None:
        raise MailDefect("the winner's contact data is gone")
    address, context = found
    from shared.mail.render import render

    subject, text, html = render(job.template, {**context, "postal_address": ports.settings.postal_address})
    return OutgoingMail(to=address, subject=subject, text=text, html=html, kind=job.kind)


def compose(job: MailJob, facts: SendTimeFacts, ports: Ports) -> OutgoingMail:
    """The mail for a job that may be sent; tokens in its links are minted here."""
    if job.kind == MailKind.invitation:
        return _invitation(job, ports)
    if job.kind == MailKind.contest:
        return _contest_winner(job, ports)
    account = facts.account(job)[0]
    assert account is not None  # refusal_now answered "no_recipient" otherwise
    settings = ports.settings
    template, login_link = _template_and_link(job, account)
    # Mail to an address not yet proven carries no text a customer typed: otherwise signup
    # would send anyone's words to anyone, from our domain. The name appears once the
    # address is confirmed.
    unconfirmed = account.status != "active" or bool(job.context.get("to_unconfirmed"))
    context: dict[str, Any] = {
        **job.context,
        "name": "" if unconfirmed else account.name,
        "postal_address": settings.postal_address,
        "preferences_url": f"{settings.base_url}/my-account/email-preferences",
    }
    if job.campaign_id and "body_text" not in job.context:  # jobs queued before campaign items carry their text
        campaign = facts.campaigns.get(job.campaign_id)
        if campaign is None:
            raise MailDefect("the job's campaign is gone")
        context.update(subject=campaign.subject, body_text=campaign.text, body_html=campaign.html)
    headers: dict[str, str] = {}
    topics = job.context.get("unsubscribe_topics") or ([job.topic] if job.kind == MailKind.promotional else None)
    if topics:
        url = unsubscribe.link_url(account.account_id, topics, ports)
        reason = UNSUBSCRIBE_REASONS.get(job.template) or UNSUBSCRIBE_REASONS[job.kind]
        context.update(unsubscribe_url=url, unsubscribe_reason=reason.format(topic=job.topic))
        # RFC 8058: providers show an unsubscribe button and POST the one-click body to the URL.
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    if job.template == "pin":
        from functions.orders import cards_of

        order = ports.commerce.order(job.context["order_id"])
        if order is None:
            raise MailDefect("the PIN mail's order is gone")
        cards = cards_of(order, ports)  # decrypted for this mail only
        if len(cards) != sum(int(line["quantity"]) for line in order.lines):
            raise MailDefect("the PIN mail would carry fewer PINs than the order has")
        context["cards"] = [card.model_dump() for card in cards]
        context["order_url"] = f"{settings.base_url}/checkout/return?order_id={order.order_id}"
    if login_link:
        context["login_url"] = one_time_links.mint(account.account_id, login_link, ports,
                                                   ref=job.context.get("link_ref"))

    from shared.mail.render import render

    subject, text, html = render(template, context)
    return OutgoingMail(to=job.to_address or account.email, subject=subject, text=text, html=html, headers=headers,
                        kind=job.kind)
