"""Draining the SES feedback dead-letter queue (an operator function).

A bounce or complaint notification that failed five times is parked in
`<app>-<stage>-ses-feedback-dlq`, which keeps it 4 days (infra/stateful.yaml): it names
recipients' addresses, so it is not kept for long and nothing else reads it. Once the cause
is fixed, the drain takes every parked message, handles it once more as the feedback
function would (a complaint still suppresses its address), and deletes it whether or not
that worked. It answers counts alone: how many, of which notification type, and how many
still failed. Nothing personal is logged or returned.

Its IAM needs, on the dead-letter queue alone: sqs:GetQueueUrl, sqs:ReceiveMessage,
sqs:DeleteMessage (which DeleteMessageBatch uses), kms:Decrypt with the messaging key (the
queue is encrypted); and on the table what the feedback function holds (GetItem, PutItem,
UpdateItem), for handling the messages again.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict

from shared.ports import Ports

logger = Logger(child=True)
BATCH = 10  # SQS receives and deletes at most 10 messages a call
# A received message stays hidden this long: longer than handling a batch takes, so no
# other reader sees it twice before it is deleted.
VISIBILITY_SECONDS = 120
STOP_MARGIN_SECONDS = 30
DEFAULT_BUDGET_SECONDS = 600


class DrainInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retry: bool = True  # handle each message once more before deleting it; False only deletes


def dead_letter_queue(ports: Ports) -> str:
    """The stage's feedback dead-letter queue: named after the stage's table, like every
    resource of infra/stateful.yaml (`<app>-<stage>`)."""
    return f"{ports.settings.table_name}-ses-feedback-dlq"


def _kind(body: str) -> str:
    """The notification's type (Bounce, Complaint, ...), or "unreadable"."""
    try:
        envelope = json.loads(body)
        message = envelope.get("Message", envelope) if isinstance(envelope, dict) else envelope
        notification = json.loads(message) if isinstance(message, str) else message
        kind = notification.get("notificationType") or notification.get("eventType")
    except (ValueError, AttributeError):
        return "unreadable"
    return kind if kind in ("Bounce", "Complaint", "Delivery") else "other"


def drain_feedback_dead_letters(payload: DrainInput, ports: Ports, sqs: Any = None,
                                remaining_seconds: Callable[[], float] | None = None) -> dict[str, Any]:
    """Receive and delete every message of the dead-letter queue, 10 at a time, until it
    answers none or the run's time runs short; returns the counts."""
    from functions.mail_feedback import handle_sns_envelope

    if sqs is None:
        from shared import aws

        sqs = aws.client("sqs")
    if remaining_seconds is None:
        deadline = time.monotonic() + DEFAULT_BUDGET_SECONDS
        remaining_seconds = lambda: deadline - time.monotonic()  # noqa: E731
    url = sqs.get_queue_url(QueueName=dead_letter_queue(ports))["QueueUrl"]
    kinds: dict[str, int] = {}
    drained = still_failing = undeleted = 0
    finished = False
    while remaining_seconds() >= STOP_MARGIN_SECONDS:
        # Long polling (1 s) asks every SQS server, so an empty answer means an empty queue.
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=1,
                                       VisibilityTimeout=VISIBILITY_SECONDS).get("Messages", [])
        if not messages:
            finished = True
            break
        for message in messages:
            kind = _kind(message["Body"])
            kinds[kind] = kinds.get(kind, 0) + 1
            if payload.retry and kind != "unreadable":
                try:
                    handle_sns_envelope(message["Body"], ports)
                except Exception as error:  # counted; the message goes all the same
                    still_failing += 1
                    logger.warning("parked feedback failed again", extra={"error": type(error).__name__})
        answer = sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)])
        undeleted += len(answer.get("Failed", []))  # seen again after the visibility timeout
        drained += len(messages) - len(answer.get("Failed", []))
    result = {"drained": drained, "by_type": dict(sorted(kinds.items())), "failed_again": still_failing,
              "not_deleted": undeleted, "finished": finished and not undeleted}
    logger.info("feedback dead letters drained", extra=result)
    return result
