"""What CloudFormation deploys: the packaged prod template after the SAM transform
(`make package` writes it as expanded.json, infra/expand.py). Read as an AWS engineer reads
it: one API stage, the protected one; every event source names its queue or stream by
reference; the gateway responses inside the API's definition; each function by its own
name, logging to a group the stack declares and its policy names; the table protected
from deletion; the mail stream filtered to the records its handler acts on."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from boto3.dynamodb.types import TypeSerializer

from infra import merge_template, policies
from tests.deploy.conftest import ROOT

STAGE = "prod"


@pytest.fixture(scope="module")
def expanded(package) -> dict:
    return json.loads((package / "expanded.json").read_text())["Resources"]


def _of_type(resources: dict, kind: str) -> dict:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


def _function_settings() -> dict:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"][STAGE]["lambda_functions"]


def test_the_api_has_exactly_one_stage_and_it_is_the_protected_one(expanded):
    """SAM makes a second stage, "Stage", from its deployment unless OpenApiVersion is set:
    no web ACL, throttle or access logs there, and the invoke permission reached through it."""
    (stage_id, stage), = _of_type(expanded, "AWS::ApiGateway::Stage").items()
    properties = stage["Properties"]
    assert properties["StageName"] == merge_template.API_STAGE
    for deployment in _of_type(expanded, "AWS::ApiGateway::Deployment").values():
        assert "StageName" not in deployment["Properties"], deployment  # a deployment's StageName makes a stage
    (association,) = _of_type(expanded, "AWS::WAFv2::WebACLAssociation").values()
    assert association["DependsOn"] == stage_id
    assert association["Properties"]["ResourceArn"]["Fn::Sub"].endswith(f"/stages/{properties['StageName']}")
    (throttle,) = properties["MethodSettings"]
    assert throttle["ThrottlingRateLimit"] == merge_template.STAGE_RATE_PER_SECOND
    assert throttle["ThrottlingBurstLimit"] == merge_template.STAGE_BURST
    assert properties["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    # The function may be invoked through that stage alone.
    permission = expanded["APIHandlerInvokePermission"]["Properties"]
    assert permission["SourceArn"]["Fn::Sub"][0].endswith(f"${{RestAPIId}}/{properties['StageName']}/*")


def test_the_gateway_responses_are_part_of_the_apis_definition_not_resources_beside_it(expanded):
    assert _of_type(expanded, "AWS::ApiGateway::GatewayResponse") == {}
    (api,) = _of_type(expanded, "AWS::ApiGateway::RestApi").values()
    responses = api["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]
    assert {kind: r["statusCode"] for kind, r in responses.items()} == {
        "MISSING_AUTHENTICATION_TOKEN": "404", "THROTTLED": "429", "WAF_FILTERED": "403"}
    for response in responses.values():  # static JSON in the contract's error shape, whatever the client accepts
        assert set(response["responseTemplates"]) == {"application/json"}
        assert set(json.loads(response["responseTemplates"]["application/json"])["error"]) == {"code", "message"}


def test_every_event_source_names_its_queue_or_stream_by_reference(expanded):
    mappings = _of_type(expanded, "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 2
    for name, mapping in mappings.items():
        source = mapping["Properties"]["EventSourceArn"]
        assert isinstance(source, dict) and set(source) <= {"Fn::GetAtt", "Ref"} and len(source) == 1, (name, source)
        target = source.get("Ref") or source["Fn::GetAtt"][0]
        assert expanded[target]["Type"] in ("AWS::SQS::Queue", "AWS::DynamoDB::Table"), name


def test_the_feedback_queue_hides_a_message_six_function_timeouts_and_a_batch_reports_its_failures(expanded):
    (mapping,) = [m["Properties"] for m in _of_type(expanded, "AWS::Lambda::EventSourceMapping").values()
                  if m["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["SesFeedbackQueue", "Arn"]}]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    timeout = expanded["SesFeedback"]["Properties"]["Timeout"]
    assert expanded["SesFeedbackQueue"]["Properties"]["VisibilityTimeout"] == 6 * timeout


def test_the_feedback_handler_names_the_messages_it_failed_so_sqs_retries_them_alone(monkeypatch):
    from chalice.app import SQSEvent

    from chalicelib import events
    from functions import mail_feedback
    from shared import ports

    def handle(body, _ports):
        if body == "poison":
            raise ValueError("not an SNS envelope")

    monkeypatch.setattr(mail_feedback, "handle_sns_envelope", handle)
    monkeypatch.setattr(ports, "process_ports", lambda: None)
    batch = SQSEvent({"Records": [{"messageId": f"m-{n}", "receiptHandle": f"r-{n}", "body": body}
                                  for n, body in enumerate(("ok", "poison", "ok"))]}, None)
    assert events.handle_feedback_batch(batch) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def test_each_function_has_its_own_name_and_a_declared_log_group_its_policy_names(expanded):
    functions = _of_type(expanded, "AWS::Lambda::Function")
    settings = _function_settings()
    assert {policies.logical_id(name) for name in settings} == set(functions)
    for name in settings:
        function = functions[policies.logical_id(name)]["Properties"]
        assert function["FunctionName"] == policies.function_name(STAGE, name)
        group_id = function["LoggingConfig"]["LogGroup"]["Ref"]
        group = expanded[group_id]["Properties"]
        assert group["LogGroupName"] == policies.log_group(STAGE, name) == f"/aws/lambda/{function['FunctionName']}"
        assert group["RetentionInDays"] == merge_template.FUNCTION_LOG_RETENTION_DAYS
        assert group["KmsKeyId"] == {"Fn::GetAtt": ["MessagingKey", "Arn"]}
        policy = json.loads((ROOT / ".chalice" / settings[name]["iam_policy_file"]).read_text())
        (logs,) = [s for s in policy["Statement"] if s["Sid"] == "Logs"]
        assert all(r.split(":log-group:")[1] in (group["LogGroupName"], group["LogGroupName"] + ":*")
                   for r in logs["Resource"]), logs
        assert "logs:CreateLogGroup" not in logs["Action"]  # the stack made it
    # The messaging key lets CloudWatch Logs use it for exactly these groups (and the API's).
    key_policy = json.dumps(expanded["MessagingKey"]["Properties"]["KeyPolicy"])
    assert "log-group:/aws/lambda/${AppName}-${Stage}-*" in key_policy


def test_the_table_refuses_deletion_and_the_5xx_alarm_watches_this_stages_api(expanded):
    assert expanded["Table"]["Properties"]["DeletionProtectionEnabled"] is True
    (api,) = _of_type(expanded, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["Name"] == api["Properties"]["Body"]["info"]["title"] == f"calling-card-store-{STAGE}"
    dimensions = {d["Name"]: d["Value"] for d in expanded["Api5xxAlarm"]["Properties"]["Dimensions"]}
    assert dimensions == {"ApiName": api["Properties"]["Name"], "Stage": merge_template.API_STAGE}


def test_the_ses_identity_is_the_senders_domain_and_the_stack_outputs_its_dkim_records(package):
    template = json.loads((package / "expanded.json").read_text())
    assert template["Parameters"]["SenderDomain"]["Default"] == policies.sender(STAGE).domain
    assert template["Resources"]["SenderIdentity"]["Properties"]["EmailIdentity"] == {"Ref": "SenderDomain"}
    records = {k: v["Value"]["Fn::Sub"] for k, v in template["Outputs"].items() if k.startswith("SenderDkimRecord")}
    assert records == {f"SenderDkimRecord{n}": f"${{SenderIdentity.DkimDNSTokenName{n}}} CNAME "
                       f"${{SenderIdentity.DkimDNSTokenValue{n}}}" for n in (1, 2, 3)}
    # Not in the stateful template itself: moto skips the identity, and the local stack would break.
    assert "DkimDNSToken" not in (ROOT / "infra" / "stateful.yaml").read_text()


# -- the stream's filter. AWS evaluates FilterCriteria in Lambda's event source mapping;
# nothing local does (moto ignores them), so this small matcher stands in for the subset the
# pattern uses: nested objects, and lists of exact string values. It is run over a stream
# record of every item type the table holds and must let through exactly what the handler
# acts on.


def _matches(pattern: dict, event: dict) -> bool:
    for key, wanted in pattern.items():
        if key not in event:
            return False
        if isinstance(wanted, dict):
            if not isinstance(event[key], dict) or not _matches(wanted, event[key]):
                return False
        else:
            assert isinstance(wanted, list) and all(isinstance(w, str) for w in wanted), \
                f"{key}: the matcher knows exact string values only, extend it with the pattern"
            if event[key] not in wanted:
                return False
    return True


def test_the_matcher_follows_lambdas_filter_rules_for_what_it_knows():
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["a", "b"]}}}}
    record = {"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "b"}, "other": {"N": "1"}}}}
    assert _matches(pattern, record)
    assert not _matches(pattern, {**record, "eventName": "MODIFY"})
    assert not _matches(pattern, {"eventName": "INSERT", "dynamodb": {"NewImage": {"kind": {"S": "c"}}}})
    assert not _matches(pattern, {"eventName": "INSERT", "dynamodb": {"NewImage": {}}})  # absent is no match
    assert not _matches(pattern, {"eventName": "REMOVE", "dynamodb": {"OldImage": {"kind": {"S": "a"}}}})


def _item_types() -> set[str]:
    """Every `"type": "…"` an item of the table is written with, from the repositories."""
    found = set()
    for module in (ROOT / "shared" / "store").glob("*.py"):
        found |= set(re.findall(r'"type": "([a-z_]+)"', module.read_text()))
    return found


def _items() -> list[dict]:
    from shared.models import MailKind
    from shared.store.mail import MailJob

    items = [{"pk": f"{kind.upper()}#1", "sk": "ITEM", "type": kind, "kind": "transactional"}
             for kind in _item_types() - {"mail_job"}]
    items += [MailJob(job_id=f"job-{kind.value}", kind=kind.value, template="welcome", created_at="2026-12-01T00:00:00Z",
                      account_id="a-1").to_item() for kind in MailKind]
    # Written by UpdateItem, with no type: counters and caps.
    items += [{"pk": "ACCESS#2026-12-01#0", "sk": "10#US#Chrome#Linux", "count": 1},
              {"pk": "LINKMAIL#h", "sk": "HOUR#1", "count": 1}, {"pk": "REFERRER#a-1", "sk": "COUNTS", "referrals": 1},
              {"pk": "SUPPRESS#h", "sk": "SOFT_BOUNCES", "count": 2}]
    return items


def _records() -> list[dict]:
    serializer = TypeSerializer()
    records = []
    for item in _items():
        image = {k: serializer.serialize(v) for k, v in item.items()}
        keys = {"pk": image["pk"], "sk": image["sk"]}
        records += [{"eventName": "INSERT", "dynamodb": {"Keys": keys, "NewImage": image}},
                    {"eventName": "MODIFY", "dynamodb": {"Keys": keys, "NewImage": image}},
                    {"eventName": "REMOVE", "dynamodb": {"Keys": keys}}]  # NEW_IMAGE streams: no image on removal
    return records


def test_the_mail_streams_filter_lets_through_exactly_the_records_its_handler_sends(package, monkeypatch):
    from functions import mail_outbox
    from shared.models import MailKind

    mapping = json.loads((package / "expanded.json").read_text())["Resources"][
        "MailOutboxStreamMailOutboxStreamDynamodbEventSource"]["Properties"]
    (criterion,) = mapping["FilterCriteria"]["Filters"]
    pattern = json.loads(criterion["Pattern"])
    assert pattern == merge_template.MAIL_STREAM_FILTER

    sent: list[str] = []

    class Recording:
        def __init__(self, ports, handlers):
            pass

        def send(self, job_id: str) -> str:
            sent.append(job_id)
            return "sent"

    monkeypatch.setattr(mail_outbox, "Sender", Recording)
    records = _records()
    assert len(_item_types()) > 25 and len(records) > 100
    passed = [r for r in records if _matches(pattern, r)]
    mail_outbox.handle_stream_records(records, ports=None, handlers={})
    assert sorted(r["dynamodb"]["NewImage"]["job_id"]["S"] for r in passed) == sorted(sent)
    # What the handler sends at once: the mail a person waits for; the sweeper sends the rest.
    assert {job.removeprefix("job-") for job in sent} == {MailKind.transactional.value,
                                                          MailKind.contest_confirmation.value}
