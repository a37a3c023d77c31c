"""Mail jobs that exhausted their attempts are reported to the stage's mail dead-letter
queue, which an alarm watches."""
from __future__ import annotations

import json


class SqsDeadLetters:
    def __init__(self, queue_name: str) -> None:
        self._queue_name = queue_name
        self._url: str | None = None

    def report(self, job_id: str) -> None:
        from shared import aws

        sqs = aws.client("sqs")
        if self._url is None:
            self._url = sqs.get_queue_url(QueueName=self._queue_name)["QueueUrl"]
        sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps({"job_id": job_id}))
