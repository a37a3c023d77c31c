"""Mail: the outbox's jobs, and the delivery suppression data the sender re-checks.

Key shapes: `MAIL#<id>` / `JOB` (gsi1 `MAIL#UNSENT` / `<created>#<id>` while unsent);
`SUPPRESS#<hmac>` / `SUPPRESS` and `SOFT_BOUNCES`; `FRIEND#<hmac>` / `FORGOTTEN`, a
hash-only marker that keeps a forgotten friend's address from ever being invited.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from shared.store.expressions import ITEM_ABSENT, Attr, Changes, Condition, Item
from shared.store.table import ConditionFailed, Entity, Key, Put, Table, Transaction, Update

UNSENT_INDEX_KEY = "MAIL#UNSENT"


@dataclass
class MailJob(Entity):
    """One email to send. Holds ids and template values, never a secret or an address
    that can be looked up at send time; link tokens are minted when the mail is sent."""

    job_id: str
    kind: str
    template: str
    created_at: str
    account_id: str | None = None
    topic: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    # Only for mail to an address that is not (or no longer) the account's own: the
    # confirmation of a new address, and the notice to the old one.
    to_address: str | None = None
    campaign_id: str | None = None
    status: str = "pending"
    attempts: int = 0

    @staticmethod
    def key(job_id: str) -> Key:
        return {"pk": f"MAIL#{job_id}", "sk": "JOB"}

    def to_item(self) -> Item:
        item = {**self.key(self.job_id), "type": "mail_job", **asdict(self)}
        if self.status == "pending":  # sparse index: only unsent jobs are in it
            item.update(gsi1pk=UNSENT_INDEX_KEY, gsi1sk=f"{self.created_at}#{self.job_id}")
        return {k: v for k, v in item.items() if v is not None}


def _suppression_key(email_hash: str) -> Key:
    return {"pk": f"SUPPRESS#{email_hash}", "sk": "SUPPRESS"}


def _forgotten_key(email_hash: str) -> Key:
    return {"pk": f"FRIEND#{email_hash}", "sk": "FORGOTTEN"}


class MailRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    # -- jobs -----------------------------------------------------------------------------
    def add_job(self, tx: Transaction, job: MailJob) -> None:
        """The job lands with the change that causes it, or not at all."""
        tx.add(Put(job.to_item()))

    def put_job(self, job: MailJob) -> None:
        self._table.put(Put(job.to_item()))

    def put_jobs(self, jobs: list[MailJob]) -> None:
        self._table.put_many([j.to_item() for j in jobs])

    def job(self, job_id: str) -> MailJob | None:
        item = self._table.get(MailJob.key(job_id))
        return MailJob.from_item(item) if item else None

    def unsent_job_ids(self, limit: int = 100) -> list[str]:
        """Oldest first."""
        return [i["job_id"] for i in self._table.query(UNSENT_INDEX_KEY, index="gsi1", limit=limit).items]

    def claim(self, job_id: str, now: float, lease_seconds: int) -> MailJob | None:
        """Take a pending job for `lease_seconds`; None when it is sent, done or leased."""
        try:
            item = self._table.update(Update(
                MailJob.key(job_id),
                Changes(set={"lease_until": int(now) + lease_seconds}, add={"attempts": 1}),
                (Attr("status") == "pending") & (Attr("lease_until").absent() | (Attr("lease_until") < int(now))),
            ))
        except ConditionFailed:
            return None
        return MailJob.from_item(item)

    def finish(self, job_id: str, status: str, at: str, detail: str | None = None) -> None:
        """sent / skipped / failed: leaves the unsent index for good."""
        self._table.update(Update(MailJob.key(job_id), Changes(
            set={"status": status, "finished_at": at, "detail": detail or status},
            remove=("gsi1pk", "gsi1sk", "lease_until"))))

    # -- suppression ----------------------------------------------------------------------
    def suppression(self, email_hash: str) -> str | None:
        item = self._table.get(_suppression_key(email_hash), consistent=False)
        return str(item["reason"]) if item else None

    def suppress(self, email_hash: str, reason: str, at: str, keep: Iterable[str] = ()) -> bool:
        """Record a suppression, unless one whose reason is in `keep` is there already
        (then nothing changes and the answer is False)."""
        condition: Condition = ITEM_ABSENT
        for kept in keep:
            condition = condition | (Attr("reason") != kept)
        try:
            self._table.put(Put({**_suppression_key(email_hash), "type": "suppression", "reason": reason, "at": at},
                                condition))
        except ConditionFailed:
            return False
        return True

    def count_soft_bounce(self, email_hash: str, now: float, window_seconds: int) -> int:
        """Count a transient bounce in a window that restarts when the last one expired."""
        key = {"pk": f"SUPPRESS#{email_hash}", "sk": "SOFT_BOUNCES"}
        try:
            item = self._table.update(Update(key, Changes(add={"bounces": 1}), Attr("expires_at") > int(now)))
            return int(item["bounces"])
        except ConditionFailed:
            self._table.put(Put({**key, "bounces": 1, "expires_at": int(now) + window_seconds}))
            return 1

    def mark_forgotten(self, email_hash: str, at: str) -> None:
        """Only the keyed hash stays: enough never to invite the address again."""
        self._table.put(Put({**_forgotten_key(email_hash), "type": "forgotten_friend", "at": at}))

    def is_forgotten(self, email_hash: str) -> bool:
        return self._table.get(_forgotten_key(email_hash), consistent=False) is not None
