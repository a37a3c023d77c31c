"""Event handlers and operator functions.

A handler whose source is named by an environment variable is registered only where that
variable is set (the deployed stages' merge template supplies it); locally and in tests
the local driver and the tests call the same functions directly.
"""
from __future__ import annotations

import os

from chalice import Rate


def register(app) -> None:
    stream_arn = os.environ.get("TABLE_STREAM_ARN")
    if stream_arn:

        @app.on_dynamodb_record(stream_arn=stream_arn, batch_size=25, starting_position="LATEST")
        def mail_outbox_stream(event):
            from functions.mail_outbox import handle_stream_records
            from functions.mail_handlers import MAIL_HANDLERS
            from shared.ports import process_ports

            handle_stream_records([record.to_dict() for record in event], process_ports(), MAIL_HANDLERS)

    feedback_queue = os.environ.get("SES_FEEDBACK_QUEUE")
    if feedback_queue:

        @app.on_sqs_message(queue=feedback_queue, batch_size=10)
        def ses_feedback(event):
            return handle_feedback_batch(event)

    @app.schedule(Rate(1, unit=Rate.MINUTES))
    def mail_outbox_sweeper(event):
        from functions.mail_outbox import sweep, time_budget
        from functions.mail_handlers import MAIL_HANDLERS
        from shared.ports import process_ports

        context = getattr(event, "context", None)
        remaining = (lambda: context.get_remaining_time_in_millis() / 1000) if context else time_budget(60)
        sweep(process_ports(), MAIL_HANDLERS, remaining_seconds=remaining)

    @app.schedule(Rate(1, unit=Rate.DAYS))
    def unconfirmed_accounts_purge(event):
        from functions.unconfirmed_accounts import purge_unconfirmed
        from shared.ports import process_ports

        purge_unconfirmed(process_ports(), remaining_seconds=_remaining(event))

    @app.schedule(Rate(1, unit=Rate.DAYS))
    def retention_purge(event):
        """Personal data past its stated retention: friend data, contest entrants' contacts,
        survey and contest answers."""
        from functions.contests import purge_due
        from functions.referrals import purge_expired
        from functions.survey_retention import purge_expired_answers
        from shared.ports import process_ports

        purge_expired(process_ports())
        purge_due(process_ports())
        purge_expired_answers(process_ports(), remaining_seconds=_remaining(event))

    @app.schedule(Rate(15, unit=Rate.MINUTES))
    def contest_commitments(event):
        from functions.contests import commit_closed_contests
        from shared.ports import process_ports

        commit_closed_contests(process_ports())

    @app.schedule(Rate(5, unit=Rate.MINUTES))
    def orders_awaiting_stock(event):
        from functions.fulfilment import fulfil_orders_waiting_for_stock
        from shared.ports import process_ports

        fulfil_orders_waiting_for_stock(process_ports())

    for name in OPERATOR_FUNCTIONS:
        _register_operator_function(app, name)


# Names only, so that app import stays light; a test checks them against functions.ops.
OPERATOR_FUNCTIONS = (
    "ops_contact_requests",
    "ops_dispute_lookup",
    "ops_send_campaign",
    "ops_service_announcement",
    "ops_import_pins",
    "ops_requeue_failed_mail",
    "ops_unsuppress",
    "ops_backfill_pin_markers",
    "ops_referral_report",
    "ops_create_survey",
    "ops_survey_results",
    "ops_draw_contest",
    "ops_verify_draw",
    "ops_publish_policy",
    "ops_post_notice",
    "ops_record_disclosure",
    "ops_access_trends",
    "ops_payment_exceptions",
    "ops_drain_feedback_dead_letters",
)


def _remaining(event):
    """The seconds left of a scheduled run: the Lambda context's, or (no context) 10 minutes."""
    import time

    context = getattr(event, "context", None)
    if context is not None:
        return lambda: context.get_remaining_time_in_millis() / 1000
    deadline = time.monotonic() + 600
    return lambda: deadline - time.monotonic()


def _register_operator_function(app, name: str) -> None:
    def operator_function(event, context):
        from functions.ops import run
        from shared.ports import process_ports

        return run(name, event, process_ports())

    operator_function.__name__ = name
    app.lambda_function(name=name)(operator_function)


def handle_feedback_batch(records) -> dict:
    """SES feedback from its queue, each message on its own. The event source reports batch
    item failures (the merge template's FunctionResponseTypes): a message that fails is named
    back, and SQS retries it alone, then parks it in the dead-letter queue; the others of its
    batch are done and deleted."""
    from aws_lambda_powertools import Logger

    from functions.mail_feedback import handle_sns_envelope
    from shared.ports import process_ports

    failed = []
    for record in records:
        try:
            handle_sns_envelope(record.body, process_ports())
        except Exception:
            Logger(child=True).exception("SES feedback message failed; SQS retries it alone")
            failed.append({"itemIdentifier": record.to_dict()["messageId"]})
    return {"batchItemFailures": failed}
