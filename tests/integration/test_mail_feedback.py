"""SES feedback: bounces and complaints become suppressions, through the same SNS topic and
queue that infra/ wires in a deployed stage."""
from __future__ import annotations

import json

import boto3

from functions import mail_feedback
from local_stage.driver import LocalDriver
from shared.ids import email_hash


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
    return ports.mail.suppression(email_hash(address, ports.settings.hash_key()))


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
