"""The outbox under load and faults, on the fake ports: throttling is not failure, leases
mean something, transactional mail goes first, the sweeper keeps to its deadline and its
pace, and finished jobs expire."""
from __future__ import annotations

import pytest

from functions import mail_outbox
from functions.mail_handlers import MAIL_HANDLERS
from functions.campaigns import CampaignInput, send_campaign
from functions.mail_outbox import (
    DEFER_CAP_SECONDS,
    JOB_RETENTION_SECONDS,
    LEASE_SECONDS,
    STOP_MARGIN_SECONDS,
    Sender,
    send_job,
    sweep,
)
from functions.signup import SignupRequest, sign_up
from shared.clock import FixedClock
from shared.ids import address_hash, new_id
from shared.mail.ses import OutgoingMail, SendDeferred, SesMailer
from shared.ports import Ports
from shared.store.mail import MailJob
from shared.store.table import ConditionFailed
from tests.unit.people import subscriber
from tests.fakes import RecordingMailer, fake_ports


class ThrottledMailer(RecordingMailer):
    """SES refusing the next `times` sends with throttling, then taking every mail."""

    def __init__(self, times: int) -> None:
        super().__init__()
        self.refusals = times

    def send(self, mail: OutgoingMail) -> str:
        if self.refusals:
            self.refusals -= 1
            raise SendDeferred("TooManyRequestsException")
        return super().send(mail)



def ports_with(clock: FixedClock | None = None, mailer: RecordingMailer | None = None) -> Ports:
    """Fake ports on a clock and a mailer the test holds."""
    return fake_ports(clock or FixedClock(1_800_000_000), mailer=mailer or RecordingMailer())


def test_throttling_never_uses_up_attempts_and_the_mail_goes_out_in_the_end():
    clock = FixedClock(1_800_000_000)
    mailer = ThrottledMailer(times=3 * mail_outbox.MAX_ATTEMPTS)
    ports = ports_with(clock, mailer)
    sign_up(SignupRequest(email="ann@example.org", name="Ann", promotions=False), ports)
    [job_id] = ports.outbox.unsent_job_ids()
    outcomes = []
    while not mailer.sent:
        outcomes.append(send_job(job_id, ports, MAIL_HANDLERS))
        clock.advance(DEFER_CAP_SECONDS + 1)
    assert outcomes == ["deferred"] * (3 * mail_outbox.MAX_ATTEMPTS) + ["sent"]
    job = ports.outbox.job(job_id)
    assert job is not None and job.status == "sent" and job.attempts == 0 and job.deferrals == 15
    assert len(mailer.sent) == 1


def test_the_ses_adapter_tells_throttling_from_a_rejected_mail():
    from botocore.exceptions import ClientError

    class Sesv2:
        def __init__(self, code: str, status: int) -> None:
            self.error = ClientError({"Error": {"Code": code, "Message": "no"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                                     "SendEmail")

        def send_email(self, **request: object) -> dict[str, str]:
            raise self.error

    mail = OutgoingMail(to="ann@example.org", subject="s", text="t", html="<p>t</p>")
    for code, status in (("TooManyRequestsException", 429), ("LimitExceededException", 400),
                         ("InternalFailure", 500), ("SendingPausedException", 400)):
        with pytest.raises(SendDeferred):
            SesMailer("store@example.com", "cs", Sesv2(code, status)).send(mail)
    with pytest.raises(ClientError):
        SesMailer("store@example.com", "cs", Sesv2("MessageRejected", 400)).send(mail)


def test_the_ses_client_makes_one_attempt_and_every_client_has_short_timeouts():
    """botocore's standard mode retries read timeouts: a retried SendEmail could deliver twice."""
    from shared import aws

    aws.reset()
    ses, dynamodb = aws.client("sesv2"), aws.client("dynamodb")
    assert ses.meta.config.retries["total_max_attempts"] == 1
    assert dynamodb.meta.config.retries["mode"] == "standard"
    for client in (ses, dynamodb):
        assert client.meta.config.connect_timeout == 2 and client.meta.config.read_timeout == 10
    # every lease outlasts one send with its retries: SES 2 + 10 s, DynamoDB 3 x (2 + 10) s
    assert LEASE_SECONDS > 3 * (2 + 10) + 12
    aws.reset()


def test_a_stale_lease_holder_cannot_finish_a_job_another_sender_took():
    clock = FixedClock(1_800_000_000)
    ports = ports_with(clock)
    sign_up(SignupRequest(email="ann@example.org", name="Ann", promotions=False), ports)
    [job_id] = ports.outbox.unsent_job_ids()
    stale = ports.outbox.claim(job_id, clock.now(), LEASE_SECONDS, "slow-sender")
    assert stale is not None
    clock.advance(LEASE_SECONDS + 1)  # the slow sender's lease ran out
    assert send_job(job_id, ports, MAIL_HANDLERS) == "sent"
    with pytest.raises(ConditionFailed):
        ports.outbox.finish(job_id, "slow-sender", "sent", clock.iso(), int(clock.now()) + 60)
    with pytest.raises(ConditionFailed):
        ports.outbox.retry_later(stale, "slow-sender", int(clock.now()) + 60, "deferred", False)
    job = ports.outbox.job(job_id)
    assert job is not None and job.status == "sent"


def test_a_sender_whose_lease_ran_out_mid_send_reports_it_and_leaves_the_job_to_its_new_holder():
    clock = FixedClock(1_800_000_000)

    class SlowMailer(RecordingMailer):
        def send(self, mail: OutgoingMail) -> str:
            clock.advance(LEASE_SECONDS + 1)
            assert send_job(job_id, ports, MAIL_HANDLERS) == "sent"  # another sender takes the job meanwhile
            return super().send(mail)

    mailer = SlowMailer()
    ports = ports_with(clock, mailer)
    sign_up(SignupRequest(email="ann@example.org", name="Ann", promotions=False), ports)
    [job_id] = ports.outbox.unsent_job_ids()
    # the outer send finds the job finished by the inner one: its finish is refused
    assert Sender(ports, MAIL_HANDLERS).send(job_id) == "lease_lost"


def test_transactional_mail_goes_before_bulk_mail_and_the_stream_leaves_bulk_to_the_sweeper():
    clock = FixedClock(1_800_000_000)
    mailer = RecordingMailer()
    ports = ports_with(clock, mailer)
    for n in range(40):
        subscriber(ports, n)
    sweep(ports, MAIL_HANDLERS)  # the welcomes
    mailer.sent.clear()
    send_campaign(CampaignInput(topic="newsletter", subject="News", text="Hello"), ports)
    clock.advance(5)
    pins = [MailJob(new_id(), "transactional", "signin_link", clock.iso(), ports.accounts.account_id_for(
        address_hash(f"reader{n}@example.org", ports.settings.hash_key())), context={"login_link": "signin"})
        for n in range(5)]
    for job in pins:
        ports.outbox.put_job(job)
    records = [{"eventName": "INSERT", "dynamodb": {"NewImage": {"type": {"S": "mail_job"}, "kind": {"S": job.kind},
                                                                 "job_id": {"S": job.job_id}}}}
               for job in [ports.outbox.job(j) for j in ports.outbox.unsent_job_ids()] if job and job.kind != "transactional"]
    assert mail_outbox.handle_stream_records(records[:3], ports, MAIL_HANDLERS) == {"left_to_sweeper": 3}
    sweep(ports, MAIL_HANDLERS)
    kinds = [m.kind for m in mailer.sent]
    assert kinds == ["transactional"] * 5 + ["promotional"] * 40


def test_the_sweeper_stops_taking_jobs_before_its_deadline():
    clock = FixedClock(1_800_000_000)

    class FourSecondSends(RecordingMailer):
        def send(self, mail: OutgoingMail) -> str:
            clock.advance(4)
            return super().send(mail)

    mailer = FourSecondSends()
    ports = ports_with(clock, mailer)
    for n in range(30):
        subscriber(ports, n)
    deadline = clock.now() + 60
    outcomes = sweep(ports, MAIL_HANDLERS, remaining_seconds=lambda: deadline - clock.now())
    assert clock.now() <= deadline  # never ran past the end of its invocation
    assert deadline - clock.now() <= STOP_MARGIN_SECONDS + 4  # and used the time it had
    assert 0 < outcomes["sent"] < 30
    assert len(ports.outbox.unsent_job_ids()) == 30 - outcomes["sent"]  # the rest waits for the next run


def test_the_sender_keeps_to_the_stage_send_rate():
    clock = FixedClock(1_800_000_000)
    ports = ports_with(clock)
    for n in range(20):
        subscriber(ports, n)
    started = clock.now()
    assert sweep(ports, MAIL_HANDLERS)["sent"] == 20
    rate = ports.settings.mail_send_rate
    assert clock.now() - started >= (20 - 1) / rate - 1e-3  # the fake clock's sleep is the only time that passes


def test_finished_jobs_expire_and_a_campaign_outlives_its_jobs():
    clock = FixedClock(1_800_000_000)
    ports = ports_with(clock)
    subscriber(ports, 1)
    started = send_campaign(CampaignInput(topic="newsletter", subject="News", text="Hello"), ports)
    sweep(ports, MAIL_HANDLERS)
    jobs = [ports.outbox.job(f"{started['campaign_id']}.{ports.accounts.account_id_for(address_hash('reader1@example.org', ports.settings.hash_key()))}")]
    [job] = jobs
    assert job is not None and job.status == "sent"
    assert job.expires_at == int(clock.now()) + JOB_RETENTION_SECONDS
    campaign = ports.campaigns.get(started["campaign_id"])
    assert campaign is not None and campaign.expires_at > job.expires_at


def test_the_sweeper_reports_how_long_the_oldest_transactional_mail_has_waited(capsys):
    """The metric behind the transactional-mail-waiting alarm, in CloudWatch's embedded format."""
    import json

    clock = FixedClock(1_800_000_000)

    class SesDown(RecordingMailer):
        def send(self, mail: OutgoingMail) -> str:
            raise SendDeferred("ServiceUnavailable")

    ports = ports_with(clock, SesDown())

    def reported() -> list[float]:
        return [json.loads(line)["OldestUnsentTransactionalSeconds"][0] for line in capsys.readouterr().out.splitlines()
                if "OldestUnsentTransactionalSeconds" in line]

    sweep(ports, MAIL_HANDLERS)
    assert reported() == []  # nothing due: no metric line at all
    sign_up(SignupRequest(email="bob@example.org", name="Bob", promotions=False), ports)
    sweep(ports, MAIL_HANDLERS)
    assert reported() == [0.0]
    clock.advance(700)
    sweep(ports, MAIL_HANDLERS)
    out = capsys.readouterr().out
    [line] = [json.loads(line) for line in out.splitlines() if "OldestUnsentTransactionalSeconds" in line]
    assert line["OldestUnsentTransactionalSeconds"] == [700.0]
    assert line["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["stage", "service"]]
