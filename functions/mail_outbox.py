"""The mail sender: nothing lost, nothing twice.

Jobs are written in the transaction that causes them. The table stream hands new jobs
here at once; the sweeper over the unsent index is the guarantee for whatever the stream
path missed (a crash, a throttle, a poison record elsewhere in its batch). Each job is
claimed with a lease, so the two paths never send one job at the same time.
"""
from __future__ import annotations

from typing import Any, Iterable

from aws_lambda_powertools import Logger

from functions import one_time_links, unsubscribe
from shared.ids import email_hash
from shared.mail.kinds import Recipient, refusal
from shared.mail.ses import OutgoingMail
from shared.models import MailKind
from shared.ports import Ports
from shared.store.mail import MailJob

logger = Logger(child=True)

LEASE_SECONDS = 60  # longer than one render-and-send; a crashed sender's job returns after it
MAX_ATTEMPTS = 5

UNSUBSCRIBE_REASONS = {
    "welcome": "You get this because you signed up. The link below stops all newsletters and offers.",
    MailKind.promotional.value: "You get this because you switched on {topic} mail in your Email Preferences.",
}


def send_job(job_id: str, ports: Ports) -> str:
    """Send one job if it is still pending; returns what happened (for logs and tests)."""
    mail, clock = ports.mail, ports.clock
    job = mail.claim(job_id, clock.now(), LEASE_SECONDS)
    if job is None:
        return "not_claimed"
    try:
        outcome = _deliver(job, ports)
    except Exception:
        logger.exception("mail job failed", extra={"job_id": job_id, "attempt": job.attempts})
        if job.attempts < MAX_ATTEMPTS:
            return "retry_after_lease"  # the lease expiring is the backoff
        mail.finish(job_id, "failed", clock.iso(), "attempts_exhausted")
        _report_dead_letter(job_id, ports)
        return "failed"
    logger.info("mail job finished", extra={"job_id": job_id, "kind": job.kind, "outcome": outcome})
    return outcome


def _deliver(job: MailJob, ports: Ports) -> str:
    mail, settings = ports.mail, ports.settings
    account, preferences = ports.accounts.with_preferences(job.account_id) if job.account_id else (None, None)
    if account is None:
        mail.finish(job.job_id, "skipped", ports.clock.iso(), "no_recipient")
        return "skipped:no_recipient"
    address = job.to_address or account.email
    address_hash = email_hash(address, settings.hash_key()) if job.to_address else account.email_hash
    topic_on = bool(job.kind == MailKind.promotional and preferences and job.topic and preferences.topics.get(job.topic))
    # Re-checked at send time: a preference, bounce or deactivation that landed after the job
    # was written still stops it.
    why_not = refusal(job.kind, Recipient(account.status, mail.suppression(address_hash), topic_on))
    if why_not:
        mail.finish(job.job_id, "skipped", ports.clock.iso(), why_not)
        return f"skipped:{why_not}"

    context = {
        **job.context,
        "name": account.name,
        "postal_address": settings.postal_address,
        "preferences_url": f"{settings.base_url}/my-account/email-preferences",
    }
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
            raise LookupError("the PIN mail's order is gone")
        context["cards"] = [card.model_dump() for card in cards_of(order, ports)]  # decrypted for this mail only
        context["order_url"] = f"{settings.base_url}/checkout/return?order_id={order.order_id}"
    if job.context.get("login_link"):
        context["login_url"] = one_time_links.mint(account.account_id, job.context["login_link"], ports)

    from shared.mail.render import render

    subject, text, html = render(job.template, context)
    outgoing = OutgoingMail(to=address, subject=subject, text=text, html=html, headers=headers, kind=job.kind)
    # The one unavoidable window: SES has accepted the mail but the job is not yet marked
    # sent. SES has no idempotency key, so a crash exactly here repeats this one mail after
    # the lease. Nothing else happens between these two calls to keep the window that small.
    ports.mailer.send(outgoing)
    mail.finish(job.job_id, "sent", ports.clock.iso())
    return "sent"


def _report_dead_letter(job_id: str, ports: Ports) -> None:
    try:
        ports.dead_letters.report(job_id)
    except Exception:
        logger.exception("could not report a dead mail job", extra={"job_id": job_id})


def handle_stream_records(records: Iterable[dict[str, Any]], ports: Ports) -> dict[str, int]:
    """Fast path: new pending jobs from the table stream. One record's failure never blocks
    the others (Chalice's stream handler has no partial-batch response); the sweeper
    retries whatever is left."""
    outcomes: dict[str, int] = {}
    for record in records:
        try:
            image = record.get("dynamodb", {}).get("NewImage", {})
            if record.get("eventName") != "INSERT" or image.get("type", {}).get("S") != "mail_job":
                continue
            outcome = send_job(image["job_id"]["S"], ports)
        except Exception:
            logger.exception("stream record skipped; the sweeper will retry its job")
            outcome = "record_failed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def sweep(ports: Ports, limit: int = 100) -> dict[str, int]:
    """The guarantee: send every unsent job whose lease is free, oldest first."""
    outcomes: dict[str, int] = {}
    for job_id in ports.mail.unsent_job_ids(limit=limit):
        outcome = send_job(job_id, ports)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
