"""Each function's IAM policy, from what that function does: `python -m infra.policies`
writes `.chalice/policies/<stage>/<function>.json` for the deployed stages.

Chalice gives every function its own role; `iam_policy_file` per function in
`.chalice/config.json` names its file here, so no function holds a right it never uses.
tests/integration/test_function_policies.py runs each function against the emulator,
records every AWS call it makes, and checks the calls against these policies both ways.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

APP = "calling-card-store"
ROOT = Path(__file__).resolve().parent.parent
POLICY_DIR = ROOT / ".chalice" / "policies"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
DEPLOYED_STAGES = ("dev", "prod")

GET, QUERY, BATCH_GET = "dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"
PUT, UPDATE, DELETE, CHECK = "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"


@dataclass(frozen=True)
class Sender:
    """Who a stage's mail is from: `SENDER_ADDRESS` in the stage's environment in
    .chalice/config.json ("Name <local@domain>"), the one place it is set. The SES identity
    (the template's SenderDomain) and the IAM condition on ses:SendEmail follow from it."""

    header: str  # the From header as configured, display name included
    address: str  # what SES compares with ses:FromAddress
    domain: str  # the SES identity that sends it


def stage_environment(stage: str) -> dict[str, str]:
    config = json.loads(CHALICE_CONFIG.read_text())
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def sender(stage: str) -> Sender:
    header = stage_environment(stage).get("SENDER_ADDRESS", "")
    address = parseaddr(header)[1]
    if address.count("@") != 1 or not all(address.split("@")):
        raise ValueError(f"stage {stage}: SENDER_ADDRESS {header!r} in .chalice/config.json holds no address")
    return Sender(header, address, address.split("@")[1].lower())


@dataclass(frozen=True)
class Needs:
    """What one function does with AWS. The last three are done by Lambda itself with the
    function's role (an event source reading, a failure being kept), not by our code."""

    table: tuple[str, ...] = ()  # DynamoDB actions on the table (a transaction's items count one by one)
    indexes: tuple[str, ...] = ()  # the indexes it queries
    pin_key: tuple[str, ...] = ()  # kms actions on the PIN key
    pin_mac: bool = False  # kms:GenerateMac with the PIN MAC key
    sends_mail: bool = False
    mail_dead_letters: bool = False  # reports failed mail jobs to the mail dead-letter queue
    reads_stream: bool = False
    reads_feedback_queue: bool = False
    drains_feedback_dead_letters: bool = False  # the SES feedback dead-letter queue, by an operator
    keeps_failures: bool = False  # the function-failures queue: dead-letter or on-failure destination


FUNCTIONS: dict[str, Needs] = {
    # Routes: accounts, sign-in, preferences (joining an audience checks the account), orders.
    "api_handler": Needs(table=(GET, QUERY, BATCH_GET, PUT, UPDATE, DELETE, CHECK), indexes=("gsi1",),
                         pin_key=("kms:Decrypt",)),
    # Sends the jobs the stream brings: no queries.
    "mail_outbox_stream": Needs(table=(GET, BATCH_GET, PUT, UPDATE), pin_key=("kms:Decrypt",), sends_mail=True,
                                mail_dead_letters=True, reads_stream=True, keeps_failures=True),
    # Finds due jobs in the mail index (and jobs from before it in gsi1) and sends them.
    "mail_outbox_sweeper": Needs(table=(GET, QUERY, BATCH_GET, PUT, UPDATE), indexes=("gsi1", "mail"),
                                 pin_key=("kms:Decrypt",), sends_mail=True, mail_dead_letters=True,
                                 keeps_failures=True),
    "ses_feedback": Needs(table=(GET, PUT, UPDATE), reads_feedback_queue=True),
    "orders_awaiting_stock": Needs(table=(GET, QUERY, PUT, UPDATE, DELETE), indexes=("gsi1",), keeps_failures=True),
    "unconfirmed_accounts_purge": Needs(table=(GET, QUERY, DELETE), indexes=("gsi1",), keeps_failures=True),
    # Personal data past its retention: friend data (by expiry day), drawn contests' entrants.
    "retention_purge": Needs(table=(QUERY, DELETE, UPDATE), indexes=("gsi1",), keeps_failures=True),
    "contest_commitments": Needs(table=(QUERY, PUT, UPDATE), indexes=("gsi1",), keeps_failures=True),
    "ops_contact_requests": Needs(table=(QUERY, PUT), indexes=("gsi1",)),
    # The referrers' counts, never a friend; their accounts' status (a closed one is left out).
    "ops_referral_report": Needs(table=(QUERY, BATCH_GET, PUT), indexes=("gsi1",)),
    # The account's export: profile, consents, orders, its referrals (gsi1; no friend's name is kept).
    "ops_dispute_lookup": Needs(table=(GET, QUERY, PUT), indexes=("gsi1",)),
    "ops_send_campaign": Needs(table=(QUERY, PUT)),  # the topic's audience partition
    "ops_service_announcement": Needs(table=(QUERY, PUT), indexes=("gsi1",)),
    # Imports, then fulfils the orders that were waiting for the SKU.
    "ops_import_pins": Needs(table=(GET, QUERY, PUT, UPDATE, DELETE), indexes=("gsi1",), pin_key=("kms:Encrypt",),
                             pin_mac=True),
    "ops_requeue_failed_mail": Needs(table=(QUERY, BATCH_GET, PUT, UPDATE), indexes=("mail",)),
    "ops_unsuppress": Needs(table=(PUT, DELETE)),
    "ops_create_survey": Needs(table=(PUT,)),
    "ops_survey_results": Needs(table=(GET, QUERY, PUT)),  # answers only, never contact data
    "ops_draw_contest": Needs(table=(GET, QUERY, PUT)),
    "ops_verify_draw": Needs(table=(GET, QUERY, PUT)),  # the definition, the draw, the kept entry ids; its audit record
    # A version or notice, and its service mail to every active account (the campaign fan-out).
    "ops_publish_policy": Needs(table=(QUERY, PUT), indexes=("gsi1",)),
    "ops_post_notice": Needs(table=(QUERY, PUT), indexes=("gsi1",)),
    "ops_record_disclosure": Needs(table=(GET, PUT)),
    # P23: a day's access counters are a few queries of its own partitions; nothing else.
    "ops_access_trends": Needs(table=(QUERY, PUT)),
    # Parked SES feedback, handled once more as ses_feedback would (suppression), then deleted.
    "ops_drain_feedback_dead_letters": Needs(table=(GET, PUT, UPDATE), drains_feedback_dead_letters=True),
    # Payments the store did not need, and what became of their refunds (the exceptions' index).
    "ops_payment_exceptions": Needs(table=(QUERY, PUT), indexes=("gsi1",)),
    "ops_backfill_pin_markers": Needs(table=(QUERY, PUT), pin_key=("kms:Decrypt",), pin_mac=True),
}


def _statement(sid: str, actions, resources, condition: dict | None = None) -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions),
                 "Resource": resources if isinstance(resources, str) else list(resources)}
    if condition:
        statement["Condition"] = condition
    return statement


def _key_by_alias(sid: str, actions, alias: str) -> dict:
    # Keys are named by alias in the config; the grant follows the alias, not a key id.
    return _statement(sid, actions, "arn:aws:kms:*:*:key/*",
                      {"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{alias}"}})


def policy(stage: str, function: str) -> dict:
    needs = FUNCTIONS[function]
    name = f"{APP}-{stage}"
    table = f"arn:aws:dynamodb:*:*:table/{name}"
    statements = []
    if needs.table:
        statements.append(_statement("TableItems", needs.table,
                                     [table, *(f"{table}/index/{index}" for index in needs.indexes)]))
    if needs.pin_key:
        statements.append(_key_by_alias("PinKey", needs.pin_key, f"{name}-pins"))
    if needs.pin_mac:
        statements.append(_key_by_alias("PinMacKey", ["kms:GenerateMac"], f"{name}-pin-mac"))
    if needs.sends_mail:
        mail_from = sender(stage)
        statements.append(_statement("Mail", ["ses:SendEmail"], [
            f"arn:aws:ses:*:*:identity/{mail_from.domain}", f"arn:aws:ses:*:*:configuration-set/{name}"],
            {"StringEquals": {"ses:FromAddress": mail_from.address}}))
    if needs.mail_dead_letters:
        statements.append(_statement("MailDeadLetters", ["sqs:GetQueueUrl", "sqs:SendMessage"],
                                     f"arn:aws:sqs:*:*:{name}-mail-dlq"))
    if needs.reads_stream:
        statements.append(_statement("OutboxStream", ["dynamodb:DescribeStream", "dynamodb:GetRecords",
                                                      "dynamodb:GetShardIterator"], f"{table}/stream/*"))
        statements.append(_statement("StreamListing", ["dynamodb:ListStreams"], "*"))  # AWS grants it on * only
    if needs.reads_feedback_queue:
        statements.append(_statement("FeedbackQueue", ["sqs:ReceiveMessage", "sqs:DeleteMessage",
                                                       "sqs:GetQueueAttributes"], f"arn:aws:sqs:*:*:{name}-ses-feedback"))
    if needs.drains_feedback_dead_letters:
        statements.append(_statement("FeedbackDeadLetters", ["sqs:GetQueueUrl", "sqs:ReceiveMessage",
                                                             "sqs:DeleteMessage"],
                                     f"arn:aws:sqs:*:*:{name}-ses-feedback-dlq"))
    if needs.keeps_failures:
        statements.append(_statement("FunctionFailures", ["sqs:SendMessage"],
                                     f"arn:aws:sqs:*:*:{name}-function-failures"))
    # The queues are encrypted with the messaging key: sending needs a data key, reading decrypts.
    if needs.mail_dead_letters or needs.reads_feedback_queue or needs.drains_feedback_dead_letters or needs.keeps_failures:
        statements.append(_key_by_alias("MessagingKey", ["kms:GenerateDataKey", "kms:Decrypt"], f"{name}-messaging"))
    # Every function reads its stage's secrets when it loads its settings.
    statements.append(_statement("Secrets", ["ssm:GetParametersByPath"], [
        f"arn:aws:ssm:*:*:parameter/{APP}/{stage}", f"arn:aws:ssm:*:*:parameter/{APP}/{stage}/*"]))
    statements.append(_statement("SecretsKey", ["kms:Decrypt"], "arn:aws:kms:*:*:key/*",
                                 {"StringLike": {"kms:ViaService": "ssm.*.amazonaws.com"}}))
    # The stack declares the group (infra/merge_template.py): Lambda only writes to it.
    statements.append(_statement("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                                 [f"arn:aws:logs:*:*:log-group:{log_group(stage, function)}{tail}"
                                  for tail in ("", ":*")]))
    return {"Version": "2012-10-17", "Statement": statements}


def function_name(stage: str, function: str) -> str:
    """The deployed function's name, which the merge template gives it: `make ops STAGE=…`
    invokes it by this name, and its log group is named after it."""
    return f"{APP}-{stage}-{function}"


def log_group(stage: str, function: str) -> str:
    return f"/aws/lambda/{function_name(stage, function)}"


def logical_id(function: str) -> str:
    """Chalice's logical id for a function in the template: ops_import_pins -> OpsImportPins."""
    return "APIHandler" if function == "api_handler" else "".join(p.capitalize() for p in function.split("_"))


def policy_file(stage: str, function: str) -> Path:
    return POLICY_DIR / stage / f"{function}.json"


def render(stage: str, function: str) -> str:
    return json.dumps(policy(stage, function), indent=2) + "\n"


def write_all() -> list[Path]:
    written = []
    for stage in DEPLOYED_STAGES:
        for function in FUNCTIONS:
            path = policy_file(stage, function)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(stage, function))
            written.append(path)
    return written


if __name__ == "__main__":
    for written in write_all():
        print(written.relative_to(ROOT))
    sys.exit(0)
