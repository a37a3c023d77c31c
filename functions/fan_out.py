"""One mail to everyone in an audience: the generic fan-out behind campaigns, service
announcements and the policy's notices.

The message is stored once, as a campaign item; each recipient gets a job of a few hundred
bytes that names it. Job ids are derived from (campaign id, account id) and written with
conditional puts, so re-running a fan-out with the same campaign id queues only the
recipients that are missing: nobody is mailed twice, and a fan-out cut short by a throttle
or a timeout resumes where it stopped.

That key names an account, so it is never logged: each job also carries a random `log_id`
(in its context), the one name the sender's log lines give it (P27).
"""
from __future__ import annotations

from typing import Any, Callable

from shared.errors import InvalidInput
from shared.ids import new_id
from shared.ports import Ports
from shared.store.accounts import AUDIENCE_SHARDS, IdPage
from shared.store.campaigns import Campaign
from shared.store.mail import MailJob
from shared.store.table import Key

# A campaign item outlives its jobs: they are kept 30 days after they finish, and a fan-out
# finishes sending within days; a campaign still sending after two months needs an operator.
CAMPAIGN_RETENTION_SECONDS = 90 * 24 * 3600

Progress = Callable[[str], None]
AudiencePage = Callable[[int, "Key | None"], IdPage]


def job_id_for(campaign_id: str, account_id: str) -> str:
    """One job per recipient per campaign, whichever run queues it."""
    return f"{campaign_id}.{account_id}"


def start(campaign: Campaign, ports: Ports) -> Campaign:
    """Store a new campaign, or find the stored one when its id is re-run; a re-run must
    carry the same message."""
    stored = ports.campaigns.put_new(campaign)
    if not stored.same_message(campaign):
        raise InvalidInput("campaign_id: that campaign was started with another message; re-run it with the "
                           "same one, or leave campaign_id out to start a new campaign", code="validation_error")
    return stored


def fan_out(campaign: Campaign, page_of: AudiencePage, ports: Ports, progress: Progress) -> dict[str, Any]:
    """Queue the campaign for every account the audience pages list, shard by shard."""
    queued = already = 0
    for shard in range(AUDIENCE_SHARDS):
        start_key: Key | None = None
        while True:
            account_ids, start_key = page_of(shard, start_key)
            jobs = [MailJob(job_id=job_id_for(campaign.campaign_id, account_id), kind=campaign.kind,
                            template=campaign.template, created_at=ports.clock.iso(), account_id=account_id,
                            topic=campaign.topic, campaign_id=campaign.campaign_id,
                            next_attempt_at=int(ports.clock.now()), context={"log_id": new_id()})
                    for account_id in account_ids]
            present = ports.outbox.add_missing_jobs(jobs)
            queued += len(jobs) - len(present)
            already += len(present)
            if start_key is None:
                break
        progress(f"shard {shard + 1}/{AUDIENCE_SHARDS}: {queued} mail jobs queued, {already} were already queued")
    return {"campaign_id": campaign.campaign_id, "queued": queued, "already_queued": already}
