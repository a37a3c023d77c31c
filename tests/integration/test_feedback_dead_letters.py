"""Draining the SES feedback dead-letter queue against moto's SQS (issue 26): parked
notifications name recipients' addresses; the drain handles each once more, deletes them
all, and answers counts alone."""
from __future__ import annotations

import json

import boto3

from functions.feedback_dead_letters import DrainInput, dead_letter_queue, drain_feedback_dead_letters
from tests.integration.test_mail_feedback import bounce, complaint, suppression


def _park(sqs, url: str, body: str) -> None:
    sqs.send_message(QueueUrl=url, MessageBody=body)


def _dead_letter_url(sqs, ports) -> str:
    return sqs.get_queue_url(QueueName=dead_letter_queue(ports))["QueueUrl"]


def test_the_drain_empties_the_queue_applies_each_notification_once_more_and_tells_only_counts(aws, ports,
                                                                                               make_person):
    """The bug: nothing drained the queue, which kept raw notifications 14 days."""
    sqs = boto3.client("sqs")
    url = _dead_letter_url(sqs, ports)
    assert url.endswith("-ses-feedback-dlq")
    complained, bounced = make_person(), make_person()
    for n in range(12):  # more than one receive's worth
        _park(sqs, url, json.dumps({"Type": "Notification", "Message": json.dumps(bounce(bounced.email, "Transient"))}))
    _park(sqs, url, json.dumps({"Type": "Notification", "Message": json.dumps(complaint(complained.email))}))
    _park(sqs, url, "not json at all")
    result = drain_feedback_dead_letters(DrainInput(), ports, sqs=sqs)
    assert result == {"drained": 14, "by_type": {"Bounce": 12, "Complaint": 1, "unreadable": 1}, "failed_again": 0,
                      "not_deleted": 0, "finished": True}
    assert suppression(ports, complained.email) == "complaint"  # the parked complaint still counts
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []) == []
    assert complained.email not in json.dumps(result) and bounced.email not in json.dumps(result)


def test_a_drain_without_retry_only_deletes_and_a_short_run_leaves_the_rest_for_the_next(aws, ports, make_person):
    sqs = boto3.client("sqs")
    url = _dead_letter_url(sqs, ports)
    complained = make_person()
    for _ in range(3):
        _park(sqs, url, json.dumps(complaint(complained.email)))
    assert drain_feedback_dead_letters(DrainInput(), ports, sqs=sqs, remaining_seconds=lambda: 0) == {
        "drained": 0, "by_type": {}, "failed_again": 0, "not_deleted": 0, "finished": False}
    result = drain_feedback_dead_letters(DrainInput(retry=False), ports, sqs=sqs)
    assert (result["drained"], result["by_type"], result["finished"]) == (3, {"Complaint": 3}, True)
    assert suppression(ports, complained.email) is None
