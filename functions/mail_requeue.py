"""`ops_requeue_failed_mail`: put mail jobs that failed back in the outbox, after the cause
is fixed. By job ids, by campaign, or everything that failed since a time; a dry run (the
default) only counts. The send-time re-check still applies to every requeued job, so a
promotion to someone who has unsubscribed since is skipped, not sent.

A job past its retention (`expires_at`, 30 days after it finished) is gone, whatever the
TTL has not deleted yet, and is never revived; nor is a job for a typed address (an
address change's), which its finish dropped: it would go to the account's own address."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator
from typing_extensions import Annotated

from shared.ports import Ports

JobId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{8,160}$")]


class RequeueInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_ids: Optional[list[JobId]] = Field(default=None, min_length=1, max_length=1000)
    campaign_id: Optional[Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]] = None
    failed_since: Optional[datetime] = None
    dry_run: bool = True

    @model_validator(mode="after")
    def _one_selector_at_least(self) -> RequeueInput:
        if self.job_ids is None and self.campaign_id is None and self.failed_since is None:
            raise ValueError("give job_ids, campaign_id or failed_since (or several: a job must match all)")
        if self.failed_since is not None and self.failed_since.tzinfo is None:
            raise ValueError("failed_since: give a time zone, e.g. 2026-11-29T10:00:00Z")
        return self


def requeue_failed_mail(payload: RequeueInput, ports: Ports) -> dict[str, Any]:
    # Finish times are stored as the clock writes them (UTC, ISO), so they compare as text.
    since = ports.clock.iso(payload.failed_since.timestamp()) if payload.failed_since else None
    # The failed index lists failures by time; by campaign alone, all of them (they are few).
    candidates = payload.job_ids if payload.job_ids is not None else ports.outbox.failed_job_ids(since or "")
    now = int(ports.clock.now())
    jobs = [job for job in ports.outbox.jobs(list(candidates)).values()
            if job.status == "failed" and (job.expires_at is None or job.expires_at > now)
            and (payload.campaign_id is None or job.campaign_id == payload.campaign_id)
            and (since is None or (job.finished_at or "") >= since)]
    addressless = [job for job in jobs if job.typed_address and not job.to_address]
    jobs = [job for job in jobs if job not in addressless]
    requeued = 0
    if not payload.dry_run:
        requeued = sum(ports.outbox.requeue(job, now) for job in jobs)
    return {"dry_run": payload.dry_run, "matching_failed_jobs": len(jobs), "requeued": requeued,
            "job_ids": sorted(job.job_id for job in jobs)[:100],
            "not_requeued_address_dropped": len(addressless)}
