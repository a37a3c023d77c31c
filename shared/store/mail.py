"""Mail: the outbox's jobs, and the delivery suppression data the sender re-checks.

Key shapes: `MAIL#<id>` / `JOB`, with keys in the keys-only `mail` index while it is
unsent (`MAIL#UNSENT#<T|B>#<shard>` / `<next attempt, 10 digits>#<id>`: transactional (T)
apart from bulk (B), due ones first) or failed (`MAIL#FAILED#<shard>` / `<finished>#<id>`).
Jobs written before that index existed sit under gsi1 `MAIL#UNSENT` until they are moved.
`SUPPRESS#<hmac>` / `SUPPRESS` and `SOFT_BOUNCES`; `FRIEND#<hmac>` / `FORGOTTEN`, a
hash-only marker that keeps a forgotten friend's address from ever being invited.
"""
from __future__ import annotations

import zlib
from enum import StrEnum
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable

from shared.store.expressions import ITEM_ABSENT, Attr, Changes, Condition, Item
from shared.store.table import (
    Check,
    Delete,
    MAX_TRANSACTION_ITEMS,
    ConditionFailed,
    Entity,
    Key,
    Put,
    Table,
    Transaction,
    Update,
    in_force,
    query_all,
)

SUPPRESSED = "address_suppressed"
FORGOTTEN = "mailbox_forgotten"
INDEX = "mail"
LEGACY_UNSENT_KEY = "MAIL#UNSENT"  # gsi1, jobs written before the mail index existed


class Priority(StrEnum):
    """Which unsent queue a job waits in; the values are stored in index keys."""

    TRANSACTIONAL = "T"  # mail a person is waiting for (links, PINs)
    BULK = "B"  # service, promotional and the rest


SHARDS = {Priority.TRANSACTIONAL: 4, Priority.BULK: 16}  # transactional mail is a trickle; campaigns are the flood
FAILED_SHARDS = 16
TRANSACTIONAL = "transactional"
# Kinds a person has just asked for and waits for, sent first (a contest entry's confirmation link too).
WAITED_FOR = (TRANSACTIONAL, "contest_confirmation")


def priority_of(kind: str) -> Priority:
    return Priority.TRANSACTIONAL if kind in WAITED_FOR else Priority.BULK


def _shard(job_id: str, shards: int) -> int:
    return zlib.crc32(job_id.encode()) % shards


def unsent_partition(priority: Priority, shard: int) -> str:
    return f"MAIL#UNSENT#{priority}#{shard}"


def _due_key(at: int, job_id: str) -> str:
    return f"{at:010d}#{job_id}"


def _unsent_keys(kind: str, job_id: str, next_attempt_at: int) -> dict[str, str]:
    priority = priority_of(kind)
    return {"mailpk": unsent_partition(priority, _shard(job_id, SHARDS[priority])),
            "mailsk": _due_key(next_attempt_at, job_id)}


def _failed_keys(job_id: str, at: str) -> dict[str, str]:
    return {"mailpk": f"MAIL#FAILED#{_shard(job_id, FAILED_SHARDS)}", "mailsk": f"{at}#{job_id}"}


def _job_id(item: Item) -> str:
    return str(item["pk"]).removeprefix("MAIL#")


@dataclass
class MailJob(Entity):
    """One email to send. Holds ids and template values, never a secret or an address
    that can be looked up at send time; link tokens are minted when the mail is sent. A
    campaign's text is stored once, in its campaign item, which the job names."""

    job_id: str
    kind: str
    template: str
    created_at: str
    account_id: str | None = None
    topic: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    # Only for mail to an address that is not (or no longer) the account's own: the
    # confirmation of a new address, and the notice to the old one. Dropped when the job
    # finishes (a mistyped address is a stranger's); `typed_address` stays to say there was one.
    to_address: str | None = None
    campaign_id: str | None = None
    status: str = "pending"
    attempts: int = 0  # failures that were the mail's own fault
    deferrals: int = 0  # times it waited for SES (throttling, outages): never a failure
    next_attempt_at: int = 0
    claim_id: str | None = None
    detail: str | None = None
    finished_at: str | None = None
    expires_at: int | None = None
    typed_address: bool = False  # the job was for `to_address`, not for the account's own address

    def __post_init__(self) -> None:
        self.typed_address = self.typed_address or bool(self.to_address)

    @staticmethod
    def key(job_id: str) -> Key:
        return {"pk": f"MAIL#{job_id}", "sk": "JOB"}

    @property
    def priority(self) -> Priority:
        return priority_of(self.kind)

    def to_item(self) -> Item:
        item = {**self.key(self.job_id), "type": "mail_job", **asdict(self)}
        if self.status == "pending":  # sparse: only unsent jobs are in the index
            item.update(_unsent_keys(self.kind, self.job_id, self.next_attempt_at))
        return {k: v for k, v in item.items() if v is not None and (k != "typed_address" or v)}


def _suppression_key(email_hash: str) -> Key:
    return {"pk": f"SUPPRESS#{email_hash}", "sk": "SUPPRESS"}


def _forgotten_key(email_hash: str) -> Key:
    return {"pk": f"FRIEND#{email_hash}", "sk": "FORGOTTEN"}


class MailRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    # -- queueing -------------------------------------------------------------------------
    def add_job(self, tx: Transaction, job: MailJob) -> None:
        """The job lands with the change that causes it, or not at all."""
        tx.add(Put(job.to_item()))

    def put_job(self, job: MailJob) -> None:
        self._table.put(Put(job.to_item()))

    def add_missing_jobs(self, jobs: list[MailJob]) -> list[str]:
        """Queue each job whose id is not queued yet (conditional puts, up to 100 a write);
        returns the ids that were there already. A re-run of a fan-out never mails twice."""
        present: list[str] = []
        for begin in range(0, len(jobs), MAX_TRANSACTION_ITEMS):
            pending = {j.job_id: j for j in jobs[begin:begin + MAX_TRANSACTION_ITEMS]}
            while pending:
                tx = Transaction([Put(j.to_item(), ITEM_ABSENT, tag=j.job_id) for j in pending.values()])
                try:
                    self._table.commit(tx)
                    break
                except ConditionFailed as failed:  # nothing was written: drop the known ones, retry
                    present += [job_id for job_id in pending if job_id in failed.tags]
                    pending = {k: v for k, v in pending.items() if k not in failed.tags}
        return present

    # -- reading --------------------------------------------------------------------------
    def job(self, job_id: str) -> MailJob | None:
        item = self._table.get(MailJob.key(job_id))
        return MailJob.from_item(item) if item else None

    def jobs(self, job_ids: list[str]) -> dict[str, MailJob]:
        return {j.job_id: j for j in (MailJob.from_item(i) for i in self._table.get_many(
            [MailJob.key(job_id) for job_id in job_ids]))}

    def due_job_ids(self, priority: Priority, shard: int, now: float, limit: int = 100) -> list[str]:
        """Unsent jobs of one shard whose next attempt is due, the longest due first; fewer
        than `limit` only when no more are due."""
        found: list[str] = []
        start: Key | None = None
        while len(found) < limit:
            page = self._table.query(unsent_partition(priority, shard), index=INDEX, limit=limit - len(found),
                                     upper=_due_key(int(now), "~"), start=start)
            found += [_job_id(i) for i in page.items]
            if page.next is None:
                break
            start = page.next
        return found

    def unsent_job_ids(self, limit: int = 1000) -> list[str]:
        """Every unsent job, due or not, in any shard (operators and tests)."""
        found = [_job_id(i) for i in self._table.query(LEGACY_UNSENT_KEY, index="gsi1", limit=limit).items]
        for priority, shards in SHARDS.items():
            for shard in range(shards):
                found += [_job_id(i) for i in query_all(self._table, unsent_partition(priority, shard), index=INDEX)]
        return found[:limit]

    def legacy_unsent_jobs(self, limit: int = 100) -> list[MailJob]:
        """Jobs queued before the mail index existed (gsi1 projects whole items)."""
        return [MailJob.from_item(i) for i in self._table.query(LEGACY_UNSENT_KEY, index="gsi1", limit=limit).items]

    def failed_job_ids(self, since: str) -> list[str]:
        """Jobs that failed at or after `since` (an ISO time), oldest first in each shard."""
        return [_job_id(i) for shard in range(FAILED_SHARDS)
                for i in query_all(self._table, f"MAIL#FAILED#{shard}", index=INDEX, lower=since or None)]

    # -- sending --------------------------------------------------------------------------
    def move_legacy(self, job: MailJob) -> bool:
        """Give a job queued before the mail index its keys there; False when it was sent
        or moved meanwhile."""
        try:
            self._table.update(Update(MailJob.key(job.job_id), Changes(
                set=_unsent_keys(job.kind, job.job_id, job.next_attempt_at), remove=("gsi1pk", "gsi1sk")),
                (Attr("status") == "pending") & Attr("gsi1pk").exists()))
        except ConditionFailed:
            return False
        return True

    def claim(self, job_id: str, now: float, lease_seconds: int, claim_id: str) -> MailJob | None:
        """Take a pending, due job for `lease_seconds` under `claim_id`; None when it is
        done, leased by another sender, or not due yet."""
        try:
            item = self._table.update(Update(
                MailJob.key(job_id),
                Changes(set={"lease_until": int(now) + lease_seconds, "claim_id": claim_id}),
                (Attr("status") == "pending")
                & (Attr("lease_until").absent() | (Attr("lease_until") < int(now)))
                & (Attr("next_attempt_at").absent() | (Attr("next_attempt_at") <= int(now))),
            ))
        except ConditionFailed:
            return None
        return MailJob.from_item(item)

    def retry_later(self, job: MailJob, claim_id: str, at: int, detail: str, counts_as_attempt: bool) -> None:
        """Give the job back, due at `at`. Raises ConditionFailed when `claim_id` no longer
        holds it (the lease ran out and another sender took it)."""
        counter = "attempts" if counts_as_attempt else "deferrals"
        self._table.update(Update(MailJob.key(job.job_id), Changes(
            set={"next_attempt_at": at, "detail": detail, **_unsent_keys(job.kind, job.job_id, at)},
            remove=("lease_until", "claim_id", "gsi1pk", "gsi1sk"), add={counter: 1}),
            (Attr("claim_id") == claim_id) & (Attr("status") == "pending")))

    def finish(self, job_id: str, claim_id: str, status: str, at: str, expires_at: int,
               detail: str | None = None) -> None:
        """sent / skipped / failed: out of the unsent index for good (a failed job into the
        failed one), without the address it was for when that was not the account's own: the
        job is kept until `expires_at`, its request lived a day. Raises ConditionFailed when
        `claim_id` no longer holds the job."""
        index = _failed_keys(job_id, at) if status == "failed" else {}
        self._table.update(Update(MailJob.key(job_id), Changes(
            set={"status": status, "finished_at": at, "detail": detail or status, "expires_at": expires_at, **index},
            remove=("lease_until", "gsi1pk", "gsi1sk", "to_address", *(() if index else ("mailpk", "mailsk"))),
        ), (Attr("claim_id") == claim_id) & (Attr("status") == "pending")))

    def requeue(self, job: MailJob, now: int) -> bool:
        """A failed job pending again, due now, its attempts forgotten; False when it is no
        longer failed, is past its retention (`expires_at`: the TTL deletes it up to two days
        late), or was for a typed address that its finish dropped (it would go to the
        account's own address instead)."""
        try:
            self._table.update(Update(MailJob.key(job.job_id), Changes(
                set={"status": "pending", "attempts": 0, "next_attempt_at": now, "detail": "requeued",
                     **_unsent_keys(job.kind, job.job_id, now)},
                remove=("expires_at", "finished_at", "claim_id", "lease_until")),
                (Attr("status") == "failed") & (Attr("expires_at").absent() | (Attr("expires_at") > now))
                & (Attr("typed_address").absent() | Attr("to_address").exists())))
        except ConditionFailed:
            return False
        return True

    # -- suppression ----------------------------------------------------------------------
    def suppression(self, email_hash: str, now: float) -> str | None:
        """Why the address gets no mail, if it is suppressed (an expired suppression, whose
        TTL deletion lags, is none)."""
        item = self._table.get(_suppression_key(email_hash), consistent=False)
        return str(item["reason"]) if item and in_force(item, now) else None

    def suppressions(self, email_hashes: Iterable[str], now: float) -> dict[str, str]:
        """The suppressed ones among many addresses, with their reasons, in batches."""
        items = self._table.get_many([_suppression_key(h) for h in email_hashes])
        return {str(i["pk"]).removeprefix("SUPPRESS#"): str(i["reason"]) for i in items if in_force(i, now)}

    def lift_suppression(self, email_hash: str) -> bool:
        """Remove a suppression and the transient-bounce count; False when there was none."""
        self._table.delete(Delete({"pk": f"SUPPRESS#{email_hash}", "sk": "SOFT_BOUNCES"}))
        return self._table.delete(Delete(_suppression_key(email_hash))) is not None

    def suppress(self, email_hash: str, reason: str, at: str, keep: Iterable[str] = (),
                 expires_at: int | None = None) -> bool:
        """Record a suppression (until `expires_at`, or for good), unless one whose reason is
        in `keep` is there already (then nothing changes and the answer is False)."""
        condition: Condition = ITEM_ABSENT
        for kept in keep:
            condition = condition | (Attr("reason") != kept)
        item = {**_suppression_key(email_hash), "type": "suppression", "reason": reason, "at": at,
                "expires_at": expires_at}
        try:
            self._table.put(Put({k: v for k, v in item.items() if v is not None}, condition))
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

    def add_forgotten(self, tx: Transaction, mailbox: str, at: str) -> None:
        """The forget marker, in a use case's transaction: only the keyed hash of the mailbox
        stays, enough never to invite it again."""
        tx.add(Put({**_forgotten_key(mailbox), "type": "forgotten_friend", "at": at}))

    def add_invitable_checks(self, tx: Transaction, exact: str, mailbox: str, now: int) -> None:
        """The address is not suppressed (SUPPRESSED fails otherwise) and the mailbox did not
        ask to be forgotten (FORGOTTEN): an invitation's conditions, checked where it is written."""
        tx.add(Check(_suppression_key(exact), ITEM_ABSENT | (Attr("expires_at") <= now), tag=SUPPRESSED),
               Check(_forgotten_key(mailbox), ITEM_ABSENT, tag=FORGOTTEN))

    def is_forgotten(self, email_hash: str) -> bool:
        return self._table.get(_forgotten_key(email_hash), consistent=False) is not None
