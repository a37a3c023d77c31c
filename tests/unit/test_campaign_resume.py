"""Campaigns that resume (P02): a campaign id minted at the start, jobs derived from it and
the recipient, written with conditional puts; re-running queues only what is missing.
Dead mail can be requeued, and the send-time re-check still applies to it."""
from __future__ import annotations


import pytest

from functions import ops
from functions.campaigns import CampaignInput, send_campaign
from functions.consent import stop_topics
from functions.mail_outbox import RETRY_CAP_SECONDS, send_job, sweep
from functions.mail_handlers import MAIL_HANDLERS
from shared.clock import FixedClock
from shared.ports import Ports
from shared.store.mail import MailJob, MailRepository
from shared.store.table import TransactionConflict
from tests.unit.people import subscriber
from tests.fakes import MemoryTable, RecordingMailer, fake_ports

NEWS = {"topic": "newsletter", "subject": "November news", "text": "Rates to Mexico are down."}



def campaign_jobs(ports: Ports, campaign_id: str) -> list[str]:
    return [j for j in ports.outbox.unsent_job_ids(limit=10_000) if j.startswith(campaign_id + ".")]


def test_p02_re_running_a_campaign_queues_nothing_twice():
    ports = fake_ports()
    for n in range(12):
        subscriber(ports, n)
    first = ops.run("ops_send_campaign", NEWS, ports)
    assert first["queued"] == 12 and first["already_queued"] == 0
    again = ops.run("ops_send_campaign", {**NEWS, "campaign_id": first["campaign_id"]}, ports)
    assert again == {**first, "queued": 0, "already_queued": 12}
    assert len(campaign_jobs(ports, first["campaign_id"])) == 12


def test_p02_a_campaign_cut_short_resumes_where_it_stopped_and_mails_each_reader_once():
    table = MemoryTable(max_page_items=3)  # audience pages of 3: the fan-out takes several writes
    mailer = RecordingMailer()
    ports = fake_ports(table=table, mailer=mailer)
    for n in range(20):
        subscriber(ports, n)
    sweep(ports, MAIL_HANDLERS)
    mailer.sent.clear()
    started = send_campaign(CampaignInput(**NEWS), ports)
    campaign_id = started["campaign_id"]
    # a second campaign, cut short by a throttled write after two pages of its audience
    interrupted = CampaignInput(**{**NEWS, "subject": "December news"})
    progress: list[str] = []

    class ThrottledThirdWrite(MailRepository):
        writes = 0

        def add_missing_jobs(self, jobs: list[MailJob]) -> list[str]:
            self.writes += bool(jobs)
            if self.writes == 3:
                table.inject_conflicts(1)
            return super().add_missing_jobs(jobs)

    throttled = ports.replace(outbox=ThrottledThirdWrite(table))
    with pytest.raises(TransactionConflict):
        send_campaign(interrupted, throttled, progress=progress.append)
    second_id = progress[0].split()[1]
    queued_before = len(campaign_jobs(ports, second_id))
    assert 0 < queued_before < 20
    resumed = send_campaign(interrupted.model_copy(update={"campaign_id": second_id}), ports)
    assert resumed["already_queued"] == queued_before and resumed["queued"] == 20 - queued_before
    sweep(ports, MAIL_HANDLERS)
    for subject in ("November news", "December news"):
        readers = sorted(m.to for m in mailer.sent if m.subject == subject)
        assert readers == sorted(f"reader{n}@example.org" for n in range(20))
    assert started["queued"] == 20 and campaign_id != second_id


def test_a_re_run_with_another_message_is_refused_and_queues_nothing():
    ports = fake_ports()
    subscriber(ports, 1)
    first = ops.run("ops_send_campaign", NEWS, ports)
    refused = ops.run("ops_send_campaign", {**NEWS, "campaign_id": first["campaign_id"], "text": "Other"}, ports)
    assert refused["error"]["code"] == "validation_error" and "campaign_id" in refused["error"]["message"]
    assert len(campaign_jobs(ports, first["campaign_id"])) == 1


def test_a_campaign_job_names_its_stored_message_and_stays_small():
    ports = fake_ports()
    subscriber(ports, 1)
    long_text = "Our spring collection. " * 2000  # 46 KB of campaign text
    started = ops.run("ops_send_campaign", {**NEWS, "text": long_text}, ports)
    [job_id] = campaign_jobs(ports, started["campaign_id"])
    stored = ports.table.get({"pk": f"MAIL#{job_id}", "sk": "JOB"})
    assert stored is not None and len(repr(stored)) < 600 and "spring" not in repr(stored)
    campaign = ports.campaigns.get(started["campaign_id"])
    assert campaign is not None and campaign.text == long_text.strip()


@pytest.mark.parametrize("payload, field", [
    ({**NEWS, "subject": "Hello\r\nBcc: everyone@example.org"}, "subject"),
    ({**NEWS, "subject": "Tab\there"}, "subject"),
    ({**NEWS, "text": "   "}, "text"),
    ({**NEWS, "text": "x" * 50_001}, "text"),
    ({**NEWS, "topic": "casino"}, "topic"),
    ({**NEWS, "campaign_id": "../etc"}, "campaign_id"),
])
def test_a_campaign_with_bad_input_names_the_field_and_queues_nothing(payload, field):
    ports = fake_ports()
    subscriber(ports, 1)
    sweep(ports, MAIL_HANDLERS)
    result = ops.run("ops_send_campaign", payload, ports)
    assert result["error"]["code"] == "validation_error" and field in result["error"]["message"]
    assert ports.outbox.unsent_job_ids() == []


def test_requeue_needs_a_selector_and_a_dry_run_changes_nothing():
    ports = fake_ports()
    assert ops.run("ops_requeue_failed_mail", {}, ports)["error"]["code"] == "validation_error"
    assert ops.run("ops_requeue_failed_mail", {"dry_run": False}, ports)["error"]["code"] == "validation_error"


def test_p02_requeued_dead_mail_is_re_checked_at_send_time():
    """A promotion that failed, requeued after its reader unsubscribed, is skipped, not sent;
    one to a reader still subscribed goes out."""
    clock = FixedClock(1_800_000_000)
    mailer = RecordingMailer()
    ports = fake_ports(clock, mailer=mailer)
    stays, leaves = subscriber(ports, 1), subscriber(ports, 2)
    sweep(ports, MAIL_HANDLERS)
    started = ops.run("ops_send_campaign", NEWS, ports)
    from botocore.exceptions import ClientError

    rejected = ClientError({"Error": {"Code": "MessageRejected", "Message": "no"},
                            "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail")
    for _ in range(5):
        mailer.fail_next(2, rejected)
        for job_id in campaign_jobs(ports, started["campaign_id"]):
            send_job(job_id, ports, MAIL_HANDLERS)
        clock.advance(RETRY_CAP_SECONDS + 1)
    assert campaign_jobs(ports, started["campaign_id"]) == []
    stop_topics(leaves.account_id, ["newsletter"], "preferences_page", ports)

    dry = ops.run("ops_requeue_failed_mail", {"campaign_id": started["campaign_id"]}, ports)
    assert dry["matching_failed_jobs"] == 2 and dry["requeued"] == 0
    assert campaign_jobs(ports, started["campaign_id"]) == []
    done = ops.run("ops_requeue_failed_mail", {"failed_since": "2020-01-01T00:00:00Z", "dry_run": False}, ports)
    assert done["requeued"] == 2
    outcomes = sweep(ports, MAIL_HANDLERS)
    assert outcomes == {"sent": 1, "skipped:topic_off": 1}
    assert [m.to for m in mailer.sent if m.subject == "November news"] == [stays.email]
    audit = ports.audit.entries_on(clock.iso()[:10])
    assert [e.operation for e in audit].count("ops_requeue_failed_mail") == 2
