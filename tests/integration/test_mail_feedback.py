"""SES feedback: bounces and complaints become suppressions, through the same SNS topic and
queue that infra/ wires in a deployed stage."""
from __future__ import annotations

import json

import boto3

from functions import mail_feedback
from local_stage.driver import LocalDriver
from shared.ids import address_hash


def bounce(address: str, bounce_type: str) -> dict:
    return {
        "notificationType": "Bounce",
        "bounce": {"bounceType": bounce_type, "bounceSubType": "General",
                   "bouncedRecipients": [{"emailAddress": address}], "timestamp": "2026-11-28T00:00:00.000Z"},
        "mail": {"destination": [address]},
    }


def complaint(address: str) -> dict:
    return {
        "notificationType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"},
        "mail": {"destination": [address]},
    }


def suppression(ports, address):
    return ports.outbox.suppression(address_hash(address, ports.settings.hash_key()), ports.clock.now())


def test_a_permanent_bounce_published_to_the_feedback_topic_suppresses_the_address(ports, aws, person):
    boto3.client("sns").publish(TopicArn=aws.outputs["SesFeedbackTopicArn"], Message=json.dumps(bounce(person.email, "Permanent")))
    driver = LocalDriver(aws.outputs["TableStreamArn"], aws.outputs["SesFeedbackQueueName"])
    sqs = boto3.client("sqs")
    driver._feedback(sqs, sqs.get_queue_url(QueueName=aws.outputs["SesFeedbackQueueName"])["QueueUrl"])
    assert suppression(ports, person.email) == "hard_bounce"


def test_a_complaint_suppresses_and_a_later_complaint_never_downgrades_a_hard_bounce(ports, make_person):
    complainer, bounced = make_person(), make_person()
    mail_feedback.handle_notification(complaint(complainer.email), ports)
    assert suppression(ports, complainer.email) == "complaint"
    mail_feedback.handle_notification(bounce(bounced.email, "Permanent"), ports)
    mail_feedback.handle_notification(complaint(bounced.email), ports)
    assert suppression(ports, bounced.email) == "hard_bounce"


def test_transient_bounces_suppress_only_once_they_repeat(ports, person):
    limit = ports.settings.soft_bounce_limit
    for _ in range(limit - 1):
        mail_feedback.handle_notification(bounce(person.email, "Transient"), ports)
    assert suppression(ports, person.email) is None
    mail_feedback.handle_notification(bounce(person.email, "Transient"), ports)
    assert suppression(ports, person.email) == "repeated_soft_bounce"


def test_sns_envelopes_from_the_queue_are_unwrapped(ports, person):
    envelope = {"Type": "Notification", "Message": json.dumps(complaint(person.email))}
    mail_feedback.handle_sns_envelope(json.dumps(envelope), ports)
    assert suppression(ports, person.email) == "complaint"


def test_a_transient_bounce_suppression_ends_by_itself_after_its_time(ports, person):
    from functions.mail_feedback import SOFT_BOUNCE_SUPPRESSION_SECONDS
    from shared.clock import FixedClock

    clock = FixedClock(ports.clock.now())
    later = ports.replace(clock=clock)
    for _ in range(ports.settings.soft_bounce_limit):
        mail_feedback.handle_notification(bounce(person.email, "Transient"), later)
    assert suppression(later, person.email) == "repeated_soft_bounce"
    clock.advance(SOFT_BOUNCE_SUPPRESSION_SECONDS - 1)
    assert suppression(later, person.email) == "repeated_soft_bounce"
    clock.advance(2)
    assert suppression(later, person.email) is None


def test_an_operator_lifts_a_suppression_once_the_address_is_fixed_and_the_lift_is_audited(ports, person):
    from functions import ops

    mail_feedback.handle_notification(bounce(person.email, "Permanent"), ports)
    assert suppression(ports, person.email) == "hard_bounce"
    assert ops.run("ops_unsuppress", {"email": person.email}, ports)["error"]["code"] == "validation_error"
    lifted = ops.run("ops_unsuppress", {"email": person.email, "reason": "mailbox restored, ticket 4821"}, ports)
    assert lifted["lifted"] is True and person.email not in str(lifted)
    assert suppression(ports, person.email) is None
    [entry] = [e for e in ports.audit.entries_on(ports.clock.iso()[:10]) if e.operation == "ops_unsuppress"]
    assert entry.detail == "mailbox restored, ticket 4821"
    assert ops.run("ops_unsuppress", {"email": person.email, "reason": "again"}, ports)["lifted"] is False


def test_p27_p28_the_unsuppress_audit_keeps_the_keyed_hash_and_a_redacted_reason_for_a_year(ports, person):
    """The operator's free text may name the person; what is kept is the address's keyed
    hash and the reason without addresses or asides, capped, for AUDIT_RETENTION_SECONDS."""
    from datetime import datetime

    from functions import ops
    from shared.store.audit import AUDIT_RETENTION_SECONDS, REASON_MAX

    mail_feedback.handle_notification(complaint(person.email), ports)
    reason = f"{person.email} ({person.name}) fixed the mailbox, ticket 4821 " + "x" * 100
    result = ops.run("ops_unsuppress", {"email": person.email, "reason": reason}, ports)
    assert result["lifted"] is True
    entries = ports.audit.entries_on(ports.clock.iso()[:10])
    assert entries and person.email not in str(entries) + str(result) and person.name not in str(entries) + str(result)
    hashed = address_hash(person.email, ports.settings.hash_key())
    [lift] = [e for e in entries if e.address_hash == hashed]
    assert lift.detail is not None and lift.detail.startswith("[address] (…) fixed the mailbox, ticket 4821 x")
    assert len(lift.detail) <= REASON_MAX
    for entry in entries:  # every operator record ends; legal disclosures (P18) are kept
        assert entry.expires_at == int(datetime.fromisoformat(entry.at).timestamp()) + AUDIT_RETENTION_SECONDS
