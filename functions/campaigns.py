"""Operator sends: promotional campaigns (P02, P03) and service announcements (P05).

Both read their audience from an index (a topic's membership items, or the active-accounts
index), page by page and shard by shard, never a scan, and queue one small mail job per
recipient through the generic fan-out (functions/fan_out.py). Whether a recipient may
still get the mail is decided again when each job is sent, so an unsubscribe, a bounce or
a deactivation during the send stops it. A campaign id is minted and printed at the start;
re-running with that id queues only what is missing.
"""
from __future__ import annotations

from typing import Any, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import Annotated

from functions import unsubscribe
from functions.fan_out import CAMPAIGN_RETENTION_SECONDS, Progress, fan_out, start
from functions.mail_compose import AccountMail, MailDefect, MailParts, SendTimeFacts
from shared.ids import new_id
from shared.models import MailKind, Topic
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.campaigns import Campaign
from shared.store.mail import MailJob

def _no_control_characters(value: str) -> str:
    # A subject is a mail header: a CR or LF in it would end the header (or forge others),
    # and SES refuses control characters, which would fail every recipient's job at send time.
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("must not contain line breaks, tabs or other control characters")
    return value


Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                    AfterValidator(_no_control_characters)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50_000)]
CampaignId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]


def _no_progress(line: str) -> None:
    pass


class CampaignInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: Optional[CampaignId] = None
    topic: Topic
    subject: Subject
    text: Body
    html: Optional[Body] = None


class AnnouncementInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    announcement_id: Optional[CampaignId] = None
    subject: Subject
    text: Body


def _campaign(campaign_id: str | None, kind: MailKind, template: str, subject: str, text: str, ports: Ports,
              topic: str | None = None, html: str | None = None) -> Campaign:
    now = ports.clock.now()
    return Campaign(campaign_id=campaign_id or new_id(), kind=kind.value, template=template, subject=subject,
                    text=text, html=html, topic=topic, created_at=ports.clock.iso(),
                    expires_at=int(now) + CAMPAIGN_RETENTION_SECONDS)


def send_campaign(payload: CampaignInput, ports: Ports, progress: Progress = _no_progress) -> dict[str, Any]:
    topic = payload.topic.value
    campaign = start(_campaign(payload.campaign_id, MailKind.promotional, "campaign", payload.subject, payload.text,
                               ports, topic=topic, html=payload.html), ports)
    progress(f"campaign {campaign.campaign_id} (re-run with this campaign_id to queue only what is missing)")
    result = fan_out(campaign, lambda shard, at: ports.accounts.audience_page(topic, shard, at), ports, progress)
    return {**result, "topic": topic}


def send_service_announcement(payload: AnnouncementInput, ports: Ports,
                              progress: Progress = _no_progress) -> dict[str, Any]:
    campaign = start(_campaign(payload.announcement_id, MailKind.service, "service", payload.subject, payload.text,
                               ports), ports)
    progress(f"announcement {campaign.campaign_id} (re-run with this announcement_id to queue only what is missing)")
    result = fan_out(campaign, ports.accounts.active_page, ports, progress)
    return {"announcement_id": result["campaign_id"], "queued": result["queued"],
            "already_queued": result["already_queued"]}


PROMOTIONAL_UNSUBSCRIBE_REASON = "You get this because you switched on {topic} in your Email Preferences."


def _campaign_parts(job: MailJob, account: Account, facts: SendTimeFacts, ports: Ports) -> MailParts:
    """The campaign's text, stored once for all its jobs, and for promotional mail the link
    that stops its topic (P03). Jobs queued before campaign items carry their own text."""
    parts = MailParts()
    if job.campaign_id and "body_text" not in job.context:
        campaign = facts.campaigns.get(job.campaign_id)
        if campaign is None:
            raise MailDefect("the job's campaign is gone")
        parts.context.update(subject=campaign.subject, body_text=campaign.text, body_html=campaign.html)
    if job.kind == MailKind.promotional and job.topic:
        from shared.mail.topics import TOPIC_WORDS

        reason = PROMOTIONAL_UNSUBSCRIBE_REASON.format(topic=TOPIC_WORDS.get(job.topic, job.topic))
        parts = parts.add(unsubscribe.mail_parts(account.account_id, [job.topic], reason, ports))
    return parts


CAMPAIGN_MAIL = AccountMail(_campaign_parts)
MAIL = {"campaign": CAMPAIGN_MAIL, "service": CAMPAIGN_MAIL}
