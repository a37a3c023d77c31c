"""Finished mail jobs keep no address a customer typed, and a failed job past its retention
is never revived (issue 26, copies that outlive deletion)."""
from __future__ import annotations

from botocore.exceptions import ClientError

from functions import ops
from functions.email_change import request_change
from functions.mail_handlers import MAIL_HANDLERS
from functions.mail_outbox import JOB_RETENTION_SECONDS, MAX_ATTEMPTS, RETRY_CAP_SECONDS, send_job, sweep
from shared.clock import FixedClock
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.mail import MailJob
from tests.fakes import RecordingMailer, fake_ports
from tests.unit.people import subscriber

TYPO = "a.stranger@example.org"  # the address a customer mistyped for their new one
REJECTED = ClientError({"Error": {"Code": "MessageRejected", "Message": "no"},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail")


def _setup() -> tuple[FixedClock, RecordingMailer, Ports, Account]:
    clock, mailer = FixedClock(1_800_000_000), RecordingMailer()
    ports = fake_ports(clock, mailer=mailer)
    customer = subscriber(ports, 1)
    sweep(ports, MAIL_HANDLERS)
    return clock, mailer, ports, customer


def _fail_for_good(job_id: str, clock: FixedClock, mailer: RecordingMailer, ports: Ports) -> None:
    for _ in range(MAX_ATTEMPTS):
        mailer.fail_next(1, REJECTED)
        send_job(job_id, ports, MAIL_HANDLERS)
        clock.advance(RETRY_CAP_SECONDS + 1)
    job = ports.outbox.job(job_id)
    assert job is not None and job.status == "failed"


def test_a_finished_job_drops_the_address_its_customer_typed():
    """The bug: a sent address-change link kept the typed (perhaps a stranger's) address 30
    days, while the request it served lives a day."""
    clock, mailer, ports, customer = _setup()
    request_change(customer, TYPO, ports)
    [job_id] = ports.outbox.unsent_job_ids()
    assert sweep(ports, MAIL_HANDLERS) == {"sent": 1} and mailer.sent[-1].to == TYPO
    job = ports.outbox.job(job_id)
    assert job is not None and job.status == "sent" and job.to_address is None and job.typed_address
    assert TYPO not in repr(ports.table.get(MailJob.key(job_id)))


def test_a_failed_job_for_a_typed_address_is_not_requeued_to_the_accounts_own_address():
    clock, mailer, ports, customer = _setup()
    request_change(customer, TYPO, ports)
    [job_id] = ports.outbox.unsent_job_ids()
    _fail_for_good(job_id, clock, mailer, ports)
    result = ops.run("ops_requeue_failed_mail", {"job_ids": [job_id], "dry_run": False}, ports)
    assert (result["requeued"], result["not_requeued_address_dropped"]) == (0, 1)
    job = ports.outbox.job(job_id)
    assert job is not None and not ports.outbox.requeue(job, int(clock.now()))
    assert sweep(ports, MAIL_HANDLERS) == {} and ports.outbox.job(job_id).status == "failed"


def test_a_failed_job_past_its_retention_is_not_revived():
    """The bug: requeue removed `expires_at`, so a job the TTL had not deleted yet came back
    from beyond its retention and was then kept for good."""
    clock, mailer, ports, _ = _setup()
    started = ops.run("ops_send_campaign", {"topic": "newsletter", "subject": "November news",
                                            "text": "Rates to Mexico are down."}, ports)
    [job_id] = [j for j in ports.outbox.unsent_job_ids() if j.startswith(started["campaign_id"])]
    _fail_for_good(job_id, clock, mailer, ports)
    expires_at = ports.outbox.job(job_id).expires_at
    clock.advance(expires_at - 1 - clock.now())
    assert ops.run("ops_requeue_failed_mail", {"job_ids": [job_id]}, ports)["matching_failed_jobs"] == 1
    clock.advance(1)  # the TTL may take two more days to delete it; it is gone all the same
    assert expires_at <= clock.now() < expires_at + JOB_RETENTION_SECONDS
    result = ops.run("ops_requeue_failed_mail", {"job_ids": [job_id], "dry_run": False}, ports)
    assert (result["matching_failed_jobs"], result["requeued"]) == (0, 0)
    assert not ports.outbox.requeue(ports.outbox.job(job_id), int(clock.now()))
    assert ports.outbox.job(job_id).status == "failed" and ports.outbox.unsent_job_ids() == []

