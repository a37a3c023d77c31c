"""P27, least-privilege IAM: each function's policy (infra/policies.py, written to
.chalice/policies/) is checked against the AWS calls that function makes.

Every function runs here against the emulator, cold (settings and secrets read from SSM
as a deployed stage does), through the paths that reach AWS: the API through its routes,
the mail senders sending and parking a failed job, the schedules and each operator
function. Every call it makes must be allowed by its own policy, and every right in the
policy must have been used, by the function or by Lambda on its behalf."""
from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import json
import secrets
from collections import defaultdict

import boto3
import botocore.client
import pytest

from infra import policies
from local_stage import emulator
from shared.clock import FixedClock

STAGE = "local"  # the emulator's stage; its policy is generated exactly as dev's and prod's are
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("function", default=None)
CALLS: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)  # function -> (action, arn, key alias)
_aliases: dict[str, str] = {}


def _key_alias(key_id: str | None) -> str | None:
    if not key_id:
        return None
    if key_id.startswith("alias/"):
        return key_id
    if not _aliases:
        outside = _current.set(None)  # the test's own lookup, not the function's
        try:
            for alias in boto3.client("kms").list_aliases()["Aliases"]:
                if alias.get("TargetKeyId"):
                    _aliases[alias["TargetKeyId"]] = alias["AliasName"]
        finally:
            _current.reset(outside)
    return _aliases.get(key_id.rsplit("/", 1)[-1])


def iam_requests(service: str, operation: str, params: dict, response: dict) -> list[tuple[str, str, str | None]]:
    """The IAM (action, resource ARN, KMS key alias) an API call is authorised as."""
    arn = f"arn:aws:{service}:us-east-1:123456789012"
    if service == "dynamodb":
        def table(name: str, index: str | None = None) -> str:
            return f"{arn}:table/{name}" + (f"/index/{index}" if index else "")
        if operation == "TransactWriteItems":  # authorised item by item
            names = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
            return [(f"dynamodb:{names[kind]}", table(op["TableName"]), None)
                    for item in params["TransactItems"] for kind, op in item.items()]
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", table(name), None) for name in params["RequestItems"]]
        return [(f"dynamodb:{operation}", table(params["TableName"], params.get("IndexName")), None)]
    if service == "kms":
        alias = _key_alias(response.get("KeyId") or params.get("KeyId"))
        return [(f"kms:{operation}", f"{arn}:key/{response.get('KeyId', '?').rsplit('/', 1)[-1]}", alias)]
    if service == "ses":
        domain = policies.sender(STAGE).domain
        return [(f"ses:{operation}", f"{arn}:identity/{domain}", None),
                (f"ses:{operation}", f"{arn}:configuration-set/{params['ConfigurationSetName']}", None)]
    if service == "sqs":  # a batch call is authorised as its single action
        queue = params.get("QueueName") or params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
        return [(f"sqs:{operation.removesuffix('Batch')}", f"{arn}:{queue}", None)]
    if service == "ssm":  # a read by path is a read of the path and of each parameter it returns
        path = f"{arn}:parameter{(params.get('Path') or params['Name']).rstrip('/')}"
        returned = [f"{arn}:parameter{p['Name']}" for p in response.get("Parameters", [])]
        return [(f"ssm:{operation}", resource, None) for resource in (path, *returned)]
    raise AssertionError(f"an AWS call this test cannot map to IAM: {service}:{operation}")


@pytest.fixture(scope="module", autouse=True)
def recorder():
    original = botocore.client.BaseClient._make_api_call

    def recording(client, operation, params):
        response = original(client, operation, params)
        function = _current.get()
        if function:
            service = client.meta.service_model.signing_name
            CALLS[function].extend(iam_requests(service, operation, params, response))
        return response

    botocore.client.BaseClient._make_api_call = recording
    yield
    botocore.client.BaseClient._make_api_call = original


@pytest.fixture(scope="module")
def deployed_like(aws):
    """Secrets in SSM under the stage's path, as a deployed stage keeps them."""
    ssm = boto3.client("ssm")
    path = f"/{policies.APP}/{STAGE}/"
    local = emulator.stage_environment(STAGE)
    for name, value in (("token-signing-keys", local["TOKEN_SIGNING_KEYS"]),
                        ("email-hash-key", local["EMAIL_HASH_KEY"]),
                        ("processor-webhook-secret", local["PROCESSOR_WEBHOOK_SECRET"])):
        ssm.put_parameter(Name=path + name, Value=value, Type="SecureString", Overwrite=True)
    from_ssm = {"SECRETS_SOURCE": "ssm", "SSM_PARAMETER_PATH": path}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in from_ssm.items():
            patch.setenv(name, value)
        yield from_ssm
    _forget_settings()


def _forget_settings() -> None:
    from aws_lambda_powertools.utilities import parameters

    from shared import ports, settings

    settings.get_settings.cache_clear()
    ports.process_ports.cache_clear()
    parameters.clear_caches()


@contextlib.contextmanager
def running(function: str, cold: bool = False):
    """Attribute the AWS calls made inside to `function`; cold: as its first invocation."""
    if cold:
        _forget_settings()
    token = _current.set(function)
    try:
        yield
    finally:
        _current.reset(token)


def ports_now():
    from shared.ports import process_ports

    return process_ports()


class _Api:
    """The API function's HTTP client: each request runs as `api_handler`."""

    def __init__(self, http, environment: dict[str, str]) -> None:
        # chalice's test client swaps in the stage's variables for each request: add ours.
        patch_environment = http.client.http._patched_env_vars
        http.client.http._patched_env_vars = lambda stage: patch_environment({**stage, **environment})
        request = http.client.http.request

        def as_api_handler(*args, **kwargs):
            with running("api_handler"):
                return request(*args, **kwargs)

        http.client.http.request = as_api_handler


def _stream_records_during(action):
    """What the table stream delivers to the mail sender for the writes `action` makes."""
    from shared.ports import process_ports

    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=process_ports().settings.table_name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    action()
    return streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]


def _park_feedback(body: str) -> None:
    """A feedback notification the SES feedback function gave up on (SQS's redrive, not ours)."""
    import boto3

    from functions.feedback_dead_letters import dead_letter_queue

    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=dead_letter_queue(ports_now()))["QueueUrl"], MessageBody=body)


def _park_a_failed_job(function: str, job_id: str) -> None:
    """The sender's path for a job that fails by its own fault, up to the dead-letter queue."""
    from functions import mail_outbox
    from functions.mail_handlers import MAIL_HANDLERS

    class RejectingMailer:  # SES refusing the mail itself
        def send(self, mail) -> str:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "MessageRejected", "Message": "Email address is not verified."},
                               "ResponseMetadata": {"HTTPStatusCode": 400}}, "SendEmail")

    with running(function, cold=True):
        clock = FixedClock(ports_now().clock.now())
        rejecting = ports_now().replace(mailer=RejectingMailer(), clock=clock)
        for _ in range(mail_outbox.MAX_ATTEMPTS):
            mail_outbox.send_job(job_id, rejecting, MAIL_HANDLERS)
            clock.advance(mail_outbox.RETRY_CAP_SECONDS + 1)
    assert ports_now().outbox.job(job_id).status == "failed"


def _queue_a_job_from_before_the_mail_index(account_id: str) -> None:
    """A job queued by an older release, under the old gsi1 key only: the sweeper moves it."""
    from shared.ids import new_id
    from shared.store.table import Put

    job_id, now = new_id(), ports_now().clock.iso()
    ports_now().table.put(Put({"pk": f"MAIL#{job_id}", "sk": "JOB", "type": "mail_job", "job_id": job_id,
                               "kind": "transactional", "template": "signin_link", "created_at": now,
                               "account_id": account_id, "context": {"login_link": "signin"}, "status": "pending",
                               "attempts": 0, "gsi1pk": "MAIL#UNSENT", "gsi1sk": f"{now}#{job_id}"}))


@pytest.fixture(scope="module")
def exercised(aws, deployed_like):
    """Every function, once, through each path of it that reaches AWS."""
    from chalice.test import Client

    import app
    from functions import contests, mail_outbox, ops, referrals
    from functions.mail_handlers import MAIL_HANDLERS
    from functions.fulfilment import fulfil_orders_waiting_for_stock
    from functions.mail_feedback import handle_sns_envelope
    from functions.survey_retention import purge_expired_answers
    from functions.unconfirmed_accounts import UNCONFIRMED_RETENTION_SECONDS, purge_unconfirmed
    from local_stage.sandbox_processor import signed_callback
    from shared.store.commerce import Pin
    from tests.conftest import PERSONAL_DATA, Person
    from tests.integration.accounts_helpers import as_user, session_cookie
    from tests.integration.conftest import Http, deliver, link_path, mail_to
    from tests.integration.test_mail_feedback import bounce
    from tests.integration.test_signup import account_of

    customer, stranger = Person(), Person()
    pin = f"{secrets.randbelow(10**12):012d}"
    PERSONAL_DATA.add(pin)
    with Client(app.app, stage_name=STAGE, project_dir=str(emulator.ROOT)) as client:
        http = Http(client)
        _Api(http, deployed_like)
        _forget_settings()  # the API's cold start
        for person in (customer, stranger):
            assert http.post_json("/signup", {"email": person.email, "name": person.name, "promotions": True}).status_code == 202
        with running("mail_outbox_sweeper", cold=True):
            deliver(ports_now())
        cookie = session_cookie(http.post_form(link_path(mail_to(customer.email)[-1]["text"], "/login/"), ""))
        signed_in = as_user(cookie, **{"Content-Type": "application/json"})

        with running("ops_import_pins", cold=True):
            assert ops.run("ops_import_pins", {"sku": "MX-10", "pins": [
                {"pin": pin, "dialing_instructions": "Dial 1-800-555-0100"}]}, ports_now())["imported"] == 1
        legacy = ports_now()  # a PIN imported before import markers existed
        legacy.commerce.put_pins([Pin("MX-25", "legacy1", legacy.pin_vault.encrypt(pin[::-1], "MX-25", "legacy1"),
                                      "Dial 1-800-555-0100", legacy.clock.iso())])
        PERSONAL_DATA.add(pin[::-1])
        with running("ops_backfill_pin_markers", cold=True):
            assert ops.run("ops_backfill_pin_markers", {"sku": "MX-25"}, ports_now())["marked"] == 1

        def pay(body: dict) -> str:
            started = client.http.post("/checkout", headers={**signed_in, "Idempotency-Key": secrets.token_hex(8)},
                                       body=json.dumps(body))
            order = ports_now().commerce.order(json.loads(started.body)["order_id"])
            payload, signature = signed_callback(
                {"session_id": order.session_id, "amount_total": order.amount_cents, "currency": order.currency.lower(),
                 "order_id": order.order_id}, "pay", ports_now().settings.webhook_secret(), None)
            assert client.http.post("/processor/webhook", body=payload, headers={
                "Content-Type": "application/json", "Stripe-Signature": signature}).status_code == 200
            return order.order_id

        http.get("/products")
        http.post_json("/cart/items", {"sku": "MX-10", "quantity": 1})
        paid = ""

        def pay_for_a_card() -> None:
            nonlocal paid
            paid = pay({"sku": "MX-10", "quantity": 1})

        records = _stream_records_during(pay_for_a_card)
        with running("mail_outbox_stream", cold=True):
            assert mail_outbox.handle_stream_records(records, ports_now(), MAIL_HANDLERS)["sent"] >= 1
        http.get("/account/orders", headers=signed_in)
        http.get(f"/account/orders/{paid}", headers=signed_in)
        waiting = pay({"sku": "IN-10", "quantity": 1})  # nothing in stock: it waits
        http.get(f"/account/orders/{waiting}", headers=signed_in)
        stock = ports_now()  # stock that came without an import (the schedule's case)
        stock.commerce.put_pins([Pin("IN-10", "restock1", stock.pin_vault.encrypt(pin[1:] + "7", "IN-10", "restock1"),
                                     "Dial 1-800-555-0100", stock.clock.iso())])
        PERSONAL_DATA.add(pin[1:] + "7")
        with running("orders_awaiting_stock", cold=True):
            fulfil_orders_waiting_for_stock(ports_now())
        assert ports_now().commerce.order(waiting).status == "paid"
        waiting = pay({"sku": "PH-20", "quantity": 1})
        with running("ops_import_pins"):  # an import fulfils the orders waiting for its SKU
            assert ops.run("ops_import_pins", {"sku": "PH-20", "pins": [
                {"pin": pin[2:] + "55", "dialing_instructions": "Dial 1-800-555-0100"}]}, ports_now())["imported"] == 1
        PERSONAL_DATA.add(pin[2:] + "55")
        assert ports_now().commerce.order(waiting).status == "paid"

        for on in (False, True):  # off, then on again: joining an audience checks the account
            client.http.put("/account/preferences", headers=signed_in,
                            body=json.dumps({"topics": {"newsletter": on, "promotions": on}}))
        with running("ops_service_announcement", cold=True):
            assert ops.run("ops_service_announcement", {"subject": "Maintenance", "text": "Tonight."}, ports_now())
        with running("ops_send_campaign", cold=True):
            ops.run("ops_send_campaign", {"topic": "newsletter", "subject": "News", "text": "Hello."}, ports_now())
        client.http.patch("/account", headers=signed_in, body=json.dumps({"name": "Another Name"}))
        client.http.patch("/account", headers=signed_in, body=json.dumps({"email": Person("moved").email}))
        for path in ("/account", "/account/preferences", "/account/export", "/my-account", "/", "/privacy"):
            http.get(path, headers=as_user(cookie))
        http.post_json("/contact", {"email": customer.email, "topic": "question", "message": "Where is my card?"})
        http.post_json("/contact", {"email": stranger.email, "topic": "unsubscribe", "message": ""})
        http.post_json("/login", {"email": customer.email})
        http.post_json("/signup", {"email": customer.email, "name": customer.name, "promotions": True})
        _queue_a_job_from_before_the_mail_index(account_of(ports_now(), customer.email).account_id)
        with running("mail_outbox_sweeper"):
            deliver(ports_now())
            assert ports_now().outbox.legacy_unsent_jobs() == []
        unsubscribe = link_path(mail_to(customer.email)[-1]["text"], "/unsubscribe/")
        http.get(unsubscribe)
        http.post_form(unsubscribe, "List-Unsubscribe=One-Click")

        # Tell-A-Friend: a referral, its invitation sent, a forget, the report and the purge.
        friend = Person("friend")
        client.http.post("/referrals", headers=signed_in,
                         body=json.dumps({"friend_name": "Pat Friend", "friend_email": friend.email}))
        http.get("/referrals", headers=signed_in)
        with running("mail_outbox_sweeper"):
            deliver(ports_now())
        forget = link_path(mail_to(friend.email)[-1]["text"], "/friends/forget/")
        http.get(forget)
        http.post_form(forget, "List-Unsubscribe=One-Click")
        http.post_json("/friends/forget", {"email": Person("unknown").email})
        client.http.post("/referrals", headers=signed_in,
                         body=json.dumps({"friend_name": "Sam Friend", "friend_email": Person("friend").email}))
        with running("ops_referral_report", cold=True):
            assert ops.run("ops_referral_report", {}, ports_now())["referrers"]
        # Surveys and contests: definitions, answers and an entry, the commitment, the draw
        # and its winner's mail, the results, and the purge.
        now = ports_now().clock.now()
        with running("ops_create_survey", cold=True):
            contest_id = ops.run("ops_create_survey", {
                "title": "Win", "kind": "contest", "purpose": "To notify the winner.", "retention_days": 1,
                "opens_at": ports_now().clock.iso(now - 60), "closes_at": ports_now().clock.iso(now + 60),
                "contact_fields": ["email"], "questions": [{"id": "q", "text": "?", "type": "number"}]},
                ports_now())["survey_id"]
        http.get("/surveys")
        http.get(f"/surveys/{contest_id}")
        http.get(f"/surveys/{contest_id}/form")
        entrant = Person("entrant")
        assert http.post_json(f"/surveys/{contest_id}/responses", {
            "answers": {"q": 3}, "email": entrant.email, "consent": True}).status_code == 201
        with running("mail_outbox_sweeper"):  # the confirmation link's mail
            deliver(ports_now())
        confirm = link_path(mail_to(entrant.email)[-1]["text"], f"/surveys/{contest_id}/confirm-email/")
        http.get(confirm)
        assert http.post_form(confirm, "").status_code == 200  # this contest asks for the email alone
        closed = ports_now().replace(clock=FixedClock(now + 120))
        with running("contest_commitments", cold=True):
            assert contests.commit_closed_contests(ports_now().replace(clock=FixedClock(now + 120))) == 1
        with running("ops_draw_contest", cold=True):
            assert ops.run("ops_draw_contest", {"survey_id": contest_id, "winners": 1},
                           ports_now().replace(clock=FixedClock(now + 120)))["winners"]
        with running("ops_verify_draw", cold=True):
            assert ops.run("ops_verify_draw", {"survey_id": contest_id}, ports_now())["match"]
        with running("ops_survey_results", cold=True):
            assert ops.run("ops_survey_results", {"survey_id": contest_id}, ports_now())["entries"] == 1
        with running("mail_outbox_sweeper"):
            deliver(closed)
        # Policy versions, notices and a legal disclosure.
        with running("ops_publish_policy", cold=True):
            assert ops.run("ops_publish_policy", {"version": 3, "text_markdown": "# Version 3 of the policy",
                                                  "material": True}, ports_now())["material"]
        with running("ops_post_notice", cold=True):
            assert ops.run("ops_post_notice", {"kind": "business_transition", "text": "We are joining Example Co."},
                           ports_now())["notice_id"]
        with running("ops_record_disclosure", cold=True):
            assert ops.run("ops_record_disclosure", {
                "account_id": account_of(ports_now(), customer.email).account_id, "recipient": "County Court",
                "legal_basis": "Court order 2026-1", "fields": ["email"]}, ports_now())["disclosure_id"]
        http.get("/")
        with running("ops_access_trends", cold=True):  # the page requests above were counted (P23)
            days = {"from": ports_now().clock.iso(now - 86400)[:10], "to": ports_now().clock.iso()[:10]}
            assert ops.run("ops_access_trends", days, ports_now())["total"] >= 1
        later_still = now + referrals.FRIEND_DATA_RETENTION_SECONDS + 60
        with running("retention_purge", cold=True):
            aged = ports_now().replace(clock=FixedClock(later_still))
            assert referrals.purge_expired(aged) >= 1 and contests.purge_due(aged) == 1
            purge_expired_answers(aged)

        with running("ses_feedback", cold=True):
            for kind in ("Transient", "Transient", "Permanent"):
                handle_sns_envelope(json.dumps({"Type": "Notification",
                                                "Message": json.dumps(bounce(stranger.email, kind))}), ports_now())
        with running("ops_unsuppress", cold=True):
            assert ops.run("ops_unsuppress", {"email": stranger.email, "reason": "mailbox fixed"}, ports_now())["lifted"]
        with running("ops_contact_requests", cold=True):
            assert ops.run("ops_contact_requests", {}, ports_now())["questions"]
        with running("ops_payment_exceptions", cold=True):
            assert "exceptions" in ops.run("ops_payment_exceptions", {}, ports_now())
        parked = Person()
        for kind in ("Transient", "Transient", "Permanent"):
            _park_feedback(json.dumps({"Type": "Notification", "Message": json.dumps(bounce(parked.email, kind))}))
        with running("ops_drain_feedback_dead_letters", cold=True):
            assert ops.run("ops_drain_feedback_dead_letters", {}, ports_now())["drained"] == 3
        for late in (Person(), Person()):  # welcome mails still unsent
            http.post_json("/signup", {"email": late.email, "name": late.name, "promotions": False})
        job_ids = ports_now().outbox.unsent_job_ids(10)[:2]
        assert len(job_ids) == 2
        _park_a_failed_job("mail_outbox_sweeper", job_ids[0])
        _park_a_failed_job("mail_outbox_stream", job_ids[1])
        with running("ops_requeue_failed_mail", cold=True):
            assert ops.run("ops_requeue_failed_mail", {"failed_since": "2020-01-01T00:00:00Z"}, ports_now())
            assert ops.run("ops_requeue_failed_mail", {"job_ids": job_ids, "dry_run": False}, ports_now())

        account_id = account_of(ports_now(), customer.email).account_id
        client.http.post("/account/deactivate", headers=signed_in, body=json.dumps({"confirm": True}))
        http.post_form("/logout", "", headers=as_user(cookie))
        with running("ops_dispute_lookup", cold=True):
            assert ops.run("ops_dispute_lookup", {"account_id": account_id}, ports_now())
        later = ports_now().clock.now() + UNCONFIRMED_RETENTION_SECONDS + 60
        with running("unconfirmed_accounts_purge", cold=True):
            assert purge_unconfirmed(ports_now().replace(clock=FixedClock(later))) >= 1
    return CALLS



# Rights Lambda uses with the function's role, never our code: the log stream, the event
# source it reads, the queue it keeps a failed invocation in, and SSM's own decryption.
USED_BY_LAMBDA = {"Logs", "OutboxStream", "StreamListing", "FeedbackQueue", "FunctionFailures", "SecretsKey"}


MESSAGING_KEY = f"alias/{policies.APP}-{STAGE}-messaging"


def _with_queue_encryption(calls: list[tuple[str, str, str | None]]) -> list[tuple[str, str, str | None]]:
    """SQS itself asks KMS for each message of an encrypted queue, with the caller's rights
    (the emulator does not): a send or receive implies the messaging key's data key."""
    implied = [(action, "arn:aws:kms:us-east-1:123456789012:key/messaging", MESSAGING_KEY)
               for call, _, _ in calls if call in ("sqs:SendMessage", "sqs:ReceiveMessage")
               for action in ("kms:GenerateDataKey", "kms:Decrypt")]
    return calls + implied


def _statements(function: str) -> list[dict]:
    return policies.policy(STAGE, function)["Statement"]


def _as_list(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def _allows(statement: dict, action: str, arn: str, alias: str | None) -> bool:
    if action not in statement["Action"]:
        return False
    if not any(fnmatch.fnmatchcase(arn, pattern) for pattern in _as_list(statement["Resource"])):
        return False
    condition = statement.get("Condition", {})
    wanted = condition.get("ForAnyValue:StringEquals", {}).get("kms:ResourceAliases")
    if wanted is not None and wanted != alias:
        return False
    return "kms:ViaService" not in json.dumps(condition)  # only SSM itself decrypts under that one


@pytest.mark.parametrize("function", sorted(policies.FUNCTIONS))
def test_p27_every_aws_call_a_function_makes_is_allowed_by_its_own_policy(exercised, function):
    calls = exercised[function]
    assert calls, f"{function} made no AWS call here: the scenario misses it"
    refused = sorted({(action, arn, alias) for action, arn, alias in calls
                      if not any(_allows(s, action, arn, alias) for s in _statements(function))})
    assert refused == [], f"{function}'s policy refuses calls it makes: {refused}"


@pytest.mark.parametrize("function", sorted(policies.FUNCTIONS))
def test_p27_no_function_holds_a_right_it_never_uses(exercised, function):
    calls = _with_queue_encryption(exercised[function])
    statements = _statements(function)
    lambda_keeps_or_reads_a_queue = any(s["Sid"] in ("FeedbackQueue", "FunctionFailures") for s in statements)
    unused = []
    for statement in statements:
        if statement["Sid"] in USED_BY_LAMBDA or (statement["Sid"] == "MessagingKey" and lambda_keeps_or_reads_a_queue):
            continue
        for action in statement["Action"]:
            if not any(_allows({**statement, "Action": [action]}, a, arn, alias) for a, arn, alias in calls):
                unused.append(f"{statement['Sid']}: {action}")
        for resource in _as_list(statement["Resource"]):
            if not any(_allows({**statement, "Resource": resource}, a, arn, alias) for a, arn, alias in calls):
                unused.append(f"{statement['Sid']}: {resource}")
    assert unused == [], f"{function} holds rights it never used: {unused}; used: {sorted({c[0] for c in calls})}"


def test_rights_lambda_uses_for_a_function_follow_from_how_the_function_is_invoked():
    from infra import merge_template

    for function, needs in policies.FUNCTIONS.items():
        logical_id = policies.logical_id(function)
        assert needs.reads_stream == (function == "mail_outbox_stream"), function
        assert needs.reads_feedback_queue == (function == "ses_feedback"), function
        kept = logical_id in merge_template.SCHEDULED_FUNCTIONS or function == "mail_outbox_stream"
        assert needs.keeps_failures == kept, function


@pytest.mark.parametrize("stage", policies.DEPLOYED_STAGES)
def test_each_function_of_each_deployed_stage_names_its_own_current_policy_file(stage):
    config = json.loads((emulator.ROOT / ".chalice" / "config.json").read_text())["stages"][stage]
    assert config.get("autogen_policy") is False and "iam_policy_file" not in config
    functions = config["lambda_functions"]
    assert set(functions) == set(policies.FUNCTIONS)
    for function, settings in functions.items():
        path = emulator.ROOT / ".chalice" / settings["iam_policy_file"]
        assert path == policies.policy_file(stage, function), function
        assert path.read_text() == policies.render(stage, function), f"{path}: run `python -m infra.policies`"
