"""Operator sends: promotional campaigns (P02, P03) and service announcements (P05).

Both read their audience from an index (a topic's membership items, or the active-accounts
index), page by page and shard by shard, never a scan, and write one mail job per
recipient. Whether a recipient may still get the mail is decided again when each job is
sent, so an unsubscribe, a bounce or a deactivation during the send stops it.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from pydantic import BaseModel, ConfigDict, StringConstraints
from typing_extensions import Annotated

from shared.ids import new_id
from shared.models import MailKind, Topic
from shared.ports import Page, Ports
from shared.store.accounts import AUDIENCE_SHARDS
from shared.store.mail import MailJob
from shared.store.table import Key

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50_000)]


class CampaignInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: Topic
    subject: Subject
    text: Body
    html: Optional[Body] = None


class AnnouncementInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Subject
    text: Body


Progress = Callable[[str], None]


def send_campaign(payload: CampaignInput, ports: Ports, progress: Progress = lambda line: None) -> dict[str, Any]:
    campaign_id = new_id()
    context = {"subject": payload.subject, "body_text": payload.text, "body_html": payload.html}

    def job_for(account_id: str) -> MailJob:
        return MailJob(job_id=new_id(), kind=MailKind.promotional.value, template="campaign",
                       created_at=ports.clock.iso(), account_id=account_id, topic=payload.topic.value,
                       context=context, campaign_id=campaign_id)

    queued = _fan_out(lambda shard, start: ports.accounts.audience_page(payload.topic.value, shard, start),
                      job_for, ports, progress)
    return {"campaign_id": campaign_id, "topic": payload.topic.value, "queued": queued}


def send_service_announcement(payload: AnnouncementInput, ports: Ports,
                              progress: Progress = lambda line: None) -> dict[str, Any]:
    announcement_id = new_id()
    context = {"subject": payload.subject, "body_text": payload.text}

    def job_for(account_id: str) -> MailJob:
        return MailJob(job_id=new_id(), kind=MailKind.service.value, template="service",
                       created_at=ports.clock.iso(), account_id=account_id, context=context,
                       campaign_id=announcement_id)

    queued = _fan_out(ports.accounts.active_page, job_for, ports, progress)
    return {"announcement_id": announcement_id, "queued": queued}


def _fan_out(page_of: Callable[[int, Key | None], Page], job_for: Callable[[str], MailJob], ports: Ports,
             progress: Progress) -> int:
    queued = 0
    for shard in range(AUDIENCE_SHARDS):
        start: Key | None = None
        while True:
            account_ids, start = page_of(shard, start)
            ports.mail.put_jobs([job_for(account_id) for account_id in account_ids])
            queued += len(account_ids)
            if start is None:
                break
        progress(f"shard {shard + 1}/{AUDIENCE_SHARDS}: {queued} mail jobs queued")
    return queued
