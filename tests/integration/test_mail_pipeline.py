"""The mail pipeline: nothing lost, nothing twice, the kind rules re-checked at send time."""
from __future__ import annotations


import boto3
import pytest

from functions import mail_outbox
from functions.mail_handlers import MAIL_HANDLERS
from shared.clock import FixedClock
from shared.ids import new_id
from shared.ports import Ports
from shared.store.mail import MailJob
from tests.integration.conftest import deliver, mail_to
from tests.integration.test_signup import account_of, sign_up
from tests.integration.test_unsubscribe import active_subscriber, promotional_job


class CrashingMailer:
    """SES that fails: the job must stay unsent, not be lost."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, mail) -> str:
        self.calls += 1
        raise ConnectionError("SES unreachable")


class RejectingMailer:
    """SES that refuses the mail itself (the mail's own fault, unlike a throttle)."""

    def send(self, mail) -> str:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "MessageRejected", "Message": "Email address is not verified."},
                           "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail")


class RecordingMailer:
    def __init__(self) -> None:
        self.sent = []

    def send(self, mail) -> str:
        self.sent.append(mail)
        return "recorded"


def with_ports(ports, **changes) -> Ports:
    return ports.replace(**changes)


def pending_welcome_job(http, ports, person) -> str:
    """Sign up and return the id of the welcome job, still unsent."""
    sign_up(http, person)
    account = account_of(ports, person.email)
    for job_id in ports.outbox.unsent_job_ids(limit=1000):
        job = ports.outbox.job(job_id)
        if job.account_id == account.account_id:
            return job_id
    raise AssertionError("no pending welcome job")


def test_a_dead_connection_to_ses_loses_no_mail_and_uses_no_attempt(http, ports, person):
    job_id = pending_welcome_job(http, ports, person)
    clock = FixedClock(ports.clock.now())
    crashing = with_ports(ports, mailer=CrashingMailer(), clock=clock)
    assert mail_outbox.send_job(job_id, crashing, MAIL_HANDLERS) == "deferred"
    job = ports.outbox.job(job_id)
    assert job.status == "pending" and job.attempts == 0 and job.deferrals == 1
    assert mail_outbox.send_job(job_id, with_ports(ports, clock=clock), MAIL_HANDLERS) == "not_claimed"  # backing off
    clock.advance(mail_outbox.DEFER_CAP_SECONDS + 1)
    assert mail_outbox.send_job(job_id, with_ports(ports, clock=clock), MAIL_HANDLERS) == "sent"
    assert len(mail_to(person.email)) == 1


def test_a_job_marked_sent_is_never_sent_again(http, ports, person):
    job_id = pending_welcome_job(http, ports, person)
    recording = with_ports(ports, mailer=RecordingMailer())
    assert mail_outbox.send_job(job_id, recording, MAIL_HANDLERS) == "sent"
    later = with_ports(recording, clock=FixedClock(ports.clock.now() + 10 * mail_outbox.LEASE_SECONDS))
    assert mail_outbox.send_job(job_id, later, MAIL_HANDLERS) == "not_claimed"
    deliver(later)
    assert len([m for m in recording.mailer.sent if m.to == person.email]) == 1
    assert job_id not in ports.outbox.unsent_job_ids(limit=1000)


def test_a_job_that_keeps_failing_by_its_own_fault_is_parked_for_an_operator(http, ports, person):
    job_id = pending_welcome_job(http, ports, person)
    clock = FixedClock(ports.clock.now())
    rejecting = with_ports(ports, mailer=RejectingMailer(), clock=clock)
    outcomes = []
    for _ in range(mail_outbox.MAX_ATTEMPTS):
        outcomes.append(mail_outbox.send_job(job_id, rejecting, MAIL_HANDLERS))
        clock.advance(mail_outbox.RETRY_CAP_SECONDS + 1)
    assert outcomes == ["retry_later"] * (mail_outbox.MAX_ATTEMPTS - 1) + ["failed"]
    assert ports.outbox.job(job_id).status == "failed"
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=ports.settings.mail_dead_letter_queue)["QueueUrl"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]
    assert any(job_id in body for body in bodies)


def test_the_stream_fast_path_sends_new_jobs_and_a_poison_record_blocks_nothing(http, ports, aws, person):
    streams = boto3.client("dynamodbstreams")
    arn = aws.outputs["TableStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    sign_up(http, person)
    records = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    poison = {"eventName": "INSERT", "dynamodb": {"NewImage": {"type": {"S": "mail_job"}, "kind": {"S": "transactional"}}}}
    outcomes = mail_outbox.handle_stream_records([poison, *records], ports, MAIL_HANDLERS)
    assert outcomes["record_failed"] == 1
    assert outcomes["sent"] >= 1
    assert len(mail_to(person.email)) == 1


def test_no_mail_job_holds_a_link_token_or_an_address(http, ports, person):
    job_id = pending_welcome_job(http, ports, person)
    stored = str(ports.table.get(MailJob.key(job_id)))
    deliver(ports)
    mail = mail_to(person.email)[0]
    login_token = next(w for w in mail["text"].split() if "/login/" in w).rsplit("/", 1)[1]
    assert login_token not in stored
    assert person.email not in stored and person.email.lower() not in stored
    assert login_token not in str(ports.table.get(MailJob.key(job_id)))


@pytest.mark.parametrize("suppression, kind, sent", [
    ("hard_bounce", "transactional", False),
    ("complaint", "transactional", True),
    ("complaint", "promotional", False),
    ("repeated_soft_bounce", "promotional", False),
])
def test_suppressed_addresses_get_only_what_their_suppression_allows(http, ports, make_person, suppression, kind, sent):
    person = make_person()
    account = active_subscriber(http, ports, person)
    ports.outbox.suppress(account.email_hash, suppression, ports.clock.iso())
    if kind == "promotional":
        job = promotional_job(ports, account.account_id)
    else:
        job = MailJob(new_id(), "transactional", "signin_link", ports.clock.iso(), account.account_id,
                      context={"login_link": "signin"})
        ports.outbox.put_job(job)
    deliver(ports)
    assert (ports.outbox.job(job.job_id).status == "sent") is sent


def test_jobs_queued_before_the_mail_index_existed_are_still_sent(http, ports, person):
    """A job pending at deploy time sits under the old gsi1 key only; the sweeper moves it
    into the sharded index and sends it."""
    from shared.store.table import Put

    account = active_subscriber(http, ports, person)
    deliver(ports)
    job_id = new_id()
    ports.table.put(Put({"pk": f"MAIL#{job_id}", "sk": "JOB", "type": "mail_job", "job_id": job_id,
                         "kind": "transactional", "template": "signin_link", "created_at": ports.clock.iso(),
                         "account_id": account.account_id, "context": {"login_link": "signin"},
                         "status": "pending", "attempts": 0, "gsi1pk": "MAIL#UNSENT",
                         "gsi1sk": f"{ports.clock.iso()}#{job_id}"}))
    assert [j.job_id for j in ports.outbox.legacy_unsent_jobs()] == [job_id]
    before = len(mail_to(person.email))
    deliver(ports)
    assert ports.outbox.job(job_id).status == "sent"
    assert ports.outbox.legacy_unsent_jobs() == []
    assert len(mail_to(person.email)) == before + 1
