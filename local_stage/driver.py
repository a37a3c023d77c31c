"""What AWS event sources do for a deployed stage, done by a thread for the local one:
the table stream feeds the mail sender, a schedule runs the sweeper, and the SES feedback
queue feeds the suppression handler."""
from __future__ import annotations

import logging
import threading

log = logging.getLogger("local_stage.driver")

POLL_SECONDS = 0.3
SWEEP_EVERY_SECONDS = 10.0


class LocalDriver(threading.Thread):
    def __init__(self, stream_arn: str, feedback_queue: str) -> None:
        super().__init__(name="local-driver", daemon=True)
        self.stream_arn = stream_arn
        self.feedback_queue = feedback_queue
        self._stop = threading.Event()
        self._iterators: dict[str, str] = {}

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        from shared import aws

        streams, sqs = aws.client("dynamodbstreams"), aws.client("sqs")
        queue_url = sqs.get_queue_url(QueueName=self.feedback_queue)["QueueUrl"]
        since_sweep = SWEEP_EVERY_SECONDS
        while not self._stop.wait(POLL_SECONDS):
            since_sweep += POLL_SECONDS
            for step in (lambda: self._stream(streams), lambda: self._feedback(sqs, queue_url)):
                try:
                    step()
                except Exception:
                    log.exception("local driver step failed")
            if since_sweep >= SWEEP_EVERY_SECONDS:
                since_sweep = 0.0
                try:
                    self._sweep()
                except Exception:
                    log.exception("local sweeper failed")

    def _stream(self, streams) -> None:
        from functions.mail_outbox import handle_stream_records
        from functions.mail_handlers import MAIL_HANDLERS
        from shared.ports import process_ports

        for shard in streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            page = streams.get_records(ShardIterator=self._iterators[shard_id], Limit=100)
            self._iterators[shard_id] = page["NextShardIterator"]
            if page["Records"]:
                handle_stream_records(page["Records"], process_ports(), MAIL_HANDLERS)

    def _feedback(self, sqs, queue_url: str) -> None:
        from functions.mail_feedback import handle_sns_envelope
        from shared.ports import process_ports

        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            handle_sns_envelope(message["Body"], process_ports())
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _sweep(self) -> None:
        from functions.mail_outbox import sweep, time_budget
        from functions.mail_handlers import MAIL_HANDLERS
        from shared.ports import process_ports

        sweep(process_ports(), MAIL_HANDLERS, remaining_seconds=time_budget(60))
        from functions.fulfilment import fulfil_orders_waiting_for_stock

        fulfil_orders_waiting_for_stock(process_ports())  # every 5 minutes when deployed
        from functions.contests import commit_closed_contests, purge_due
        from functions.referrals import purge_expired
        from functions.survey_retention import purge_expired_answers
        from functions.unconfirmed_accounts import purge_unconfirmed

        purge_unconfirmed(process_ports())  # daily when deployed
        purge_expired_answers(process_ports())  # daily when deployed
        purge_expired(process_ports())  # daily when deployed
        purge_due(process_ports())  # daily when deployed
        commit_closed_contests(process_ports())  # every 15 minutes when deployed
