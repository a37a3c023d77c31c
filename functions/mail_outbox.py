"""The mail sender: nothing lost, nothing twice, and SES's limits respected.

Jobs are written in the transaction that causes them. The table stream hands new
transactional jobs (links, PINs) here at once; the sweeper, every minute, sends what is
due from the keys-only unsent index, transactional shards before bulk ones, at the stage's
send rate, and stops while its invocation still has time to finish a send.

Each job is claimed with a lease under a random claim id; only that claim can finish it or
give it back, so a sender whose lease ran out cannot mark another's send. Throttling, SES
outages and timeouts are not failures: the job waits with exponential backoff and jitter
and keeps its attempts. Only the mail's own faults (SES rejects it, it cannot be built)
count, and after MAX_ATTEMPTS of those the job is parked as failed for an operator
(`ops_requeue_failed_mail`).
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from aws_lambda_powertools import Logger

from functions.mail_compose import MailHandlers, SendTimeFacts, handler_for
from shared import metrics
from shared.aws import is_transient
from shared.mail import kinds
from shared.mail.ses import SendDeferred
from shared.ports import Ports
from shared.store.mail import SHARDS, MailJob, Priority, priority_of
from shared.store.table import ConditionFailed

logger = Logger(child=True)

# A lease must outlast everything between the claim and the finish: rendering (ms), the
# pacing wait (at most 1/rate s), one SES send (12 s at worst: one attempt, 2 s connect +
# 10 s read) and the finish (DynamoDB, 36 s at worst). A sender that crashes in between
# leaves the job to be taken again after the lease.
LEASE_SECONDS = 60
MAX_ATTEMPTS = 5  # the mail's own faults only
# The sweeper stops taking jobs when less than this is left of its invocation: one claim,
# send and finish must fit in it.
STOP_MARGIN_SECONDS = 15
# Finished jobs are kept this long, then DynamoDB's TTL deletes them: long enough to answer
# "did my PIN mail go out?" and to requeue a failed job after a fix, short enough that a
# per-recipient record of every campaign does not pile up.
JOB_RETENTION_SECONDS = 30 * 24 * 3600
# Waits while SES throttles or is down: a person waits for transactional mail, so it is
# tried again within two minutes at most; bulk mail backs off further.
DEFER_BASE_SECONDS, DEFER_CAP_SECONDS = 5, 15 * 60
TRANSACTIONAL_DEFER_CAP_SECONDS = 2 * 60
RETRY_BASE_SECONDS, RETRY_CAP_SECONDS = 60, 6 * 3600
BATCH = 50  # jobs whose send-time facts one round of BatchGetItem calls reads (100 keys a call)
# The re-check of a batch is read once for all its jobs; a job whose facts are older than
# this when its turn comes is read again on its own, so an unsubscribe stops mail within
# seconds. So a batch is no larger than what the sender sends in that time.
FACTS_MAX_AGE_SECONDS = 10
TRANSACTIONAL_EVERY_SECONDS = 10  # how often a sweep busy with bulk mail looks for new transactional mail

Outcomes = dict[str, int]


def backoff(tries: int, base: int, cap: int) -> int:
    """Full jitter: a random wait up to base × 2^tries, at most cap (spreads a herd of retries)."""
    return int(random.uniform(base, min(cap, base * 2 ** min(tries, 20))))


@dataclass
class Sender:
    """One invocation's sender: its pace, and the facts it has read for its jobs. Each job's
    re-check and mail come from the handler of its template (functions.mail_handlers)."""

    ports: Ports
    handlers: MailHandlers
    facts: SendTimeFacts = field(default_factory=SendTimeFacts)
    _next_send_at: float = 0.0

    def pace(self) -> None:
        """Keep to the stage's send rate: the global rate is this times the senders'
        reserved concurrency (.chalice/config.json)."""
        clock = self.ports.clock
        wait = self._next_send_at - clock.now()
        if wait > 0:
            clock.sleep(wait)
        self._next_send_at = max(clock.now(), self._next_send_at) + 1 / self.ports.settings.mail_send_rate

    def send_batch(self, job_ids: list[str], outcomes: Outcomes,
                   go_on: Callable[[], bool] = lambda: True) -> int:
        """Read the send-time facts of these jobs at once, then claim and send each while
        `go_on()` holds; returns how many this sender could claim."""
        jobs = self.ports.outbox.jobs(job_ids)
        self.facts = SendTimeFacts(campaigns=self.facts.campaigns, read_at=self.ports.clock.now())
        self.facts.gather([j for j in jobs.values() if j.status == "pending"], self.ports)
        claimed = 0
        for job_id in job_ids:
            if not go_on():
                break  # the rest stays due for the next run
            outcome = self.send(job_id)
            count(outcomes, outcome)
            claimed += outcome != "not_claimed"
        return claimed

    def send(self, job_id: str) -> str:
        """Send one job if it is still pending and due; returns what happened."""
        ports, claim_id = self.ports, secrets.token_hex(8)
        job = ports.outbox.claim(job_id, ports.clock.now(), LEASE_SECONDS, claim_id)
        if job is None:
            return "not_claimed"
        try:
            outcome = self._deliver(job, claim_id)
        except ConditionFailed:  # our lease ran out and another sender holds the job now
            logger.warning("mail job lease lost", extra={"job": log_id(job)})
            return "lease_lost"
        except Exception as error:
            return self._retry_or_fail(job, claim_id, error)
        logger.info("mail job finished", extra={"job": log_id(job), "kind": job.kind, "outcome": outcome})
        return outcome

    def _deliver(self, job: MailJob, claim_id: str) -> str:
        ports = self.ports
        if ports.clock.now() - self.facts.read_at > FACTS_MAX_AGE_SECONDS:
            self.facts = SendTimeFacts(campaigns=self.facts.campaigns, read_at=ports.clock.now())
        if job.account_id and job.account_id not in self.facts.accounts:
            self.facts.gather([job], ports)  # the stream path, stale facts, or a job the batch did not read
        handler = handler_for(job, self.handlers)
        why_not = handler.refusal(job, self.facts, ports)
        if why_not:
            self._finish(job, claim_id, "skipped", why_not)
            return f"skipped:{why_not}"
        mail = handler.compose(job, self.facts, ports)
        # P28, for every kind at once: the address the mail is about to go to, however the
        # handler found it, is no deactivated account's.
        why_not = kinds.address_refusal(self.facts.owner_status(mail.to, ports))
        if why_not:
            self._finish(job, claim_id, "skipped", why_not)
            return f"skipped:{why_not}"
        self.pace()
        # The one unavoidable window: SES has accepted the mail but the job is not yet marked
        # sent. SES has no idempotency key, so a crash exactly here repeats this one mail after
        # the lease. Nothing else happens between these two calls to keep the window that small.
        ports.mailer.send(mail)
        self._finish(job, claim_id, "sent")
        return "sent"

    def _finish(self, job: MailJob, claim_id: str, status: str, detail: str | None = None) -> None:
        now = self.ports.clock.now()
        self.ports.outbox.finish(job.job_id, claim_id, status, self.ports.clock.iso(), int(now) + JOB_RETENTION_SECONDS,
                               detail)

    def _retry_or_fail(self, job: MailJob, claim_id: str, error: Exception) -> str:
        ports, now = self.ports, int(self.ports.clock.now())
        name = type(error).__name__
        try:
            if isinstance(error, SendDeferred) or is_transient(error):
                waited_for = priority_of(job.kind) == Priority.TRANSACTIONAL
                cap = TRANSACTIONAL_DEFER_CAP_SECONDS if waited_for else DEFER_CAP_SECONDS
                ports.outbox.retry_later(job, claim_id, now + backoff(job.deferrals, DEFER_BASE_SECONDS, cap),
                                       f"deferred:{name}", False)
                logger.warning("mail job deferred", extra={"job": log_id(job), "error": name})
                return "deferred"
            logger.exception("mail job failed", extra={"job": log_id(job), "attempt": job.attempts + 1})
            if job.attempts + 1 < MAX_ATTEMPTS:
                ports.outbox.retry_later(job, claim_id, now + backoff(job.attempts, RETRY_BASE_SECONDS,
                                                                     RETRY_CAP_SECONDS), f"error:{name}", True)
                return "retry_later"
            self._finish(job, claim_id, "failed", f"attempts_exhausted:{name}")
        except ConditionFailed:
            return "lease_lost"
        _report_dead_letter(job, ports)
        return "failed"


def log_id(job: MailJob) -> str:
    """The name a log line gives a job: its own random id, never a key that names an account
    (a campaign job's is `<campaign>.<account id>`; the fan-out gives each a random `log_id`).
    Every other job's key is random already. A campaign job queued before log ids is named
    by its campaign alone."""
    given = job.context.get("log_id")
    if isinstance(given, str):
        return given
    return f"campaign:{job.campaign_id}" if job.campaign_id else job.job_id


def count(outcomes: Outcomes, outcome: str) -> None:
    outcomes[outcome] = outcomes.get(outcome, 0) + 1


def send_job(job_id: str, ports: Ports, handlers: MailHandlers) -> str:
    """Send one job now if it is pending and due (tests and single sends)."""
    return Sender(ports, handlers).send(job_id)


def _report_dead_letter(job: MailJob, ports: Ports) -> None:
    """The operator's queue gets the job's key, which requeueing needs; the log, its log id."""
    try:
        ports.dead_letters.report(job.job_id)
    except Exception:
        logger.exception("could not report a dead mail job", extra={"job": log_id(job)})


def handle_stream_records(records: Iterable[dict[str, Any]], ports: Ports, handlers: MailHandlers) -> Outcomes:
    """Fast path for mail a person is waiting for: new transactional jobs from the table
    stream. Bulk mail is left to the paced sweeper. One record's failure never blocks the
    others (Chalice's stream handler has no partial-batch response); the sweeper retries
    whatever is left."""
    outcomes: Outcomes = {}
    sender = Sender(ports, handlers)
    for record in records:
        try:
            image = record.get("dynamodb", {}).get("NewImage", {})
            if record.get("eventName") != "INSERT" or image.get("type", {}).get("S") != "mail_job":
                continue
            if priority_of(image.get("kind", {}).get("S", "")) != Priority.TRANSACTIONAL:
                count(outcomes, "left_to_sweeper")
                continue
            outcome = sender.send(image["job_id"]["S"])
        except Exception:
            logger.exception("stream record skipped; the sweeper will retry its job")
            outcome = "record_failed"
        count(outcomes, outcome)
    return outcomes


def sweep(ports: Ports, handlers: MailHandlers, remaining_seconds: Callable[[], float] = lambda: float("inf"),
          limit: int | None = None) -> Outcomes:
    """Send what is due: transactional shards first, then bulk ones, looking for new
    transactional mail again every few seconds, until nothing is due, `limit` jobs were
    taken, or the invocation nears its end. Jobs queued before the mail index are moved
    into it first."""
    sweeper = _Sweep(ports, handlers, remaining_seconds, limit)
    for legacy in ports.outbox.legacy_unsent_jobs():
        ports.outbox.move_legacy(legacy)
    _report_oldest_transactional(ports)
    while sweeper.time_left():
        claimed = sweeper.drain(Priority.TRANSACTIONAL)
        # Bulk mail in slices, so transactional mail that arrives meanwhile waits seconds.
        claimed += sweeper.drain(Priority.BULK, stop_at=ports.clock.now() + TRANSACTIONAL_EVERY_SECONDS)
        if not claimed:
            break
    if remaining_seconds() <= STOP_MARGIN_SECONDS:
        logger.info("sweeper stopped before its deadline", extra={"taken": sweeper.taken})
    return sweeper.outcomes


@dataclass
class _Sweep:
    ports: Ports
    handlers: MailHandlers
    remaining_seconds: Callable[[], float]
    limit: int | None
    taken: int = 0
    outcomes: Outcomes = field(default_factory=dict)
    # Bulk shards found empty stay skipped for the rest of this run: new bulk mail can wait
    # a minute. Transactional shards are looked at again on every pass.
    drained_bulk: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.sender = Sender(self.ports, self.handlers)
        rate = self.ports.settings.mail_send_rate
        # As many jobs as one round of reads serves, but no more than are sent before the
        # facts grow stale at this send rate.
        self.batch = max(1, min(BATCH, int(rate * FACTS_MAX_AGE_SECONDS)))

    def room(self) -> int:
        return max(0, (self.limit if self.limit is not None else 1 << 30) - self.taken)

    def time_left(self) -> bool:
        return self.remaining_seconds() > STOP_MARGIN_SECONDS and self.room() > 0

    def drain(self, priority: Priority, stop_at: float | None = None) -> int:
        """Send the due jobs of a priority's shards, gathering them into batches across
        shards; returns how many were claimed."""
        clock, claimed = self.ports.clock, 0
        waiting: list[str] = []
        shards = [s for s in range(SHARDS[priority]) if priority == Priority.TRANSACTIONAL or s not in self.drained_bulk]
        for shard in shards:
            while self.time_left() and (stop_at is None or clock.now() < stop_at):
                asked = min(self.batch - len(waiting), self.room() - len(waiting))
                if asked <= 0:
                    break
                job_ids = self.ports.outbox.due_job_ids(priority, shard, clock.now(), limit=asked)
                waiting += job_ids
                if len(waiting) >= self.batch or len(waiting) >= self.room():
                    progress = self._send(waiting)
                    claimed += progress
                    waiting = []
                    if progress and len(job_ids) == asked:
                        continue  # this shard may hold more
                if len(job_ids) < asked and priority == Priority.BULK:
                    self.drained_bulk.add(shard)
                break
        if waiting and self.time_left():
            claimed += self._send(waiting)
        return claimed

    def _send(self, job_ids: list[str]) -> int:
        self.taken += len(job_ids)
        return self.sender.send_batch(job_ids, self.outcomes, self.time_left)


def time_budget(seconds: float) -> Callable[[], float]:
    """The seconds left of a budget that starts now (where no Lambda context tells)."""
    import time

    deadline = time.monotonic() + seconds
    return lambda: deadline - time.monotonic()


def _report_oldest_transactional(ports: Ports) -> None:
    """The age of the oldest due transactional job, as a metric an alarm watches: mail a
    person is waiting for should never wait minutes. Nothing is emitted while none waits
    (the alarm treats missing data as fine), so a healthy stage writes no metric lines."""
    now = ports.clock.now()
    first = [job_id for shard in range(SHARDS[Priority.TRANSACTIONAL])
             for job_id in ports.outbox.due_job_ids(Priority.TRANSACTIONAL, shard, now, limit=5)]
    if not first:
        return
    created = [job.created_at for job in ports.outbox.jobs(first).values()]
    from datetime import datetime

    oldest = min(datetime.fromisoformat(c).timestamp() for c in created)
    metrics.gauge("OldestUnsentTransactionalSeconds", max(0.0, now - oldest))
