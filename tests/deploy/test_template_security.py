"""The deployed template's security, checked without an AWS account: checkov finds nothing,
abuse of the mail-sending forms is rate-limited per client while one-click unsubscribes and
the processor's callbacks never are, and nothing the stage stores in queues, topics or
access logs is unencrypted or personal (P23, P27)."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from infra import merge_template
from tests.deploy.conftest import ROOT

CHECKOV = Path(os.environ.get("CHECKOV") or ROOT / ".venv-checkov" / "bin" / "checkov")


@pytest.mark.parametrize("template", ["sam.json", "expanded.json"])
def test_checkov_finds_no_failed_check_in_the_merged_template_or_its_expansion_and_every_skip_says_why(package,
                                                                                                     template):
    """sam.json is what make package writes, expanded.json what CloudFormation makes of it
    (the SAM transform, infra/expand.py): the API's generated stage is checked only there,
    and the skips reach it from the API, each with its reason."""
    assert CHECKOV.exists(), f"checkov is missing at {CHECKOV}: `make test` installs it"
    result = subprocess.run([str(CHECKOV), "--framework", "cloudformation", "-f", str(package / template),
                             "--output", "json", "--quiet", "--compact", "--skip-download"],
                            capture_output=True, text=True, timeout=600, env={**os.environ, "LOG_LEVEL": "ERROR"})
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == [] and summary["failed"] == 0, failed
    assert summary["passed"] > 100 and summary["parsing_errors"] == 0, summary
    resources = json.loads((package / template).read_text())["Resources"]
    for name, resource in resources.items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip.get("comment", "")) > 20, f"{name} skips {skip['id']} without a reason"
    if template == "expanded.json":  # the checks that failed there before the skips reached it
        (stage,) = [v for v in resources.values() if v["Type"] == "AWS::ApiGateway::Stage"]
        assert {"CKV_AWS_120", "CKV_AWS_73"} <= {s["id"] for s in stage["Metadata"]["checkov"]["skip"]}


def _protection():
    return merge_template.api_protection("prod")


def _rate_rules() -> list[tuple[str, str, re.Pattern]]:
    rules = _protection()["ApiFirewall"]["Properties"]["Rules"]
    found = []
    for rule in rules:
        statement = rule["Statement"].get("RateBasedStatement")
        if statement:
            method, path = statement["ScopeDownStatement"]["AndStatement"]["Statements"]
            found.append((rule["Name"], method["ByteMatchStatement"]["SearchString"],
                          re.compile(path["RegexMatchStatement"]["RegexString"])))
    return found


def _limited(path: str, method: str = "POST") -> bool:
    return any(pattern.search(path) and limited == method for _, limited, pattern in _rate_rules())


def test_the_web_acl_rate_limits_every_form_that_makes_us_send_mail_or_store_a_strangers_text():
    for path in ("/signup", "/login", "/contact", "/friends/forget", "/referrals", "/surveys/s-2026/responses",
                 "/my-account/info"):
        assert _limited(path) and _limited("/api" + path), path
    assert _limited("/account", "PATCH") and _limited("/api/account", "PATCH")  # an address change mails its link
    assert not _limited("/account", "GET") and not _limited("/account")


def test_the_web_acl_never_limits_one_click_unsubscribes_the_processor_or_sign_in_links():
    for path in ("/unsubscribe/tok", "/api/unsubscribe/tok", "/processor/webhook", "/api/processor/webhook",
                 "/login/tok", "/api/login/tok", "/signupx", "/surveys/a/b/responses"):
        assert not _limited(path), path


def test_the_web_acl_is_associated_with_the_api_stage_and_answers_429_in_the_contracts_shape(package):
    template = json.loads((package / "sam.json").read_text())
    resources = template["Resources"]
    association = resources["ApiFirewallAssociation"]["Properties"]
    assert association["WebACLArn"] == {"Fn::GetAtt": ["ApiFirewall", "Arn"]}
    assert "/restapis/${RestAPI}/stages/api" in association["ResourceArn"]["Fn::Sub"]
    body = resources["ApiFirewall"]["Properties"]["CustomResponseBodies"]["too-many"]["Content"]
    assert json.loads(body)["error"]["code"] == "too_many_requests"
    responses = resources["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    assert responses["THROTTLED"]["statusCode"] == "429" and responses["WAF_FILTERED"]["statusCode"] == "403"
    assert json.loads(responses["THROTTLED"]["responseTemplates"]["application/json"]) == json.loads(body)


def test_the_stage_is_throttled_and_its_access_records_hold_no_path_ip_or_browser(package):
    api = json.loads((package / "sam.json").read_text())["Resources"]["RestAPI"]["Properties"]
    (throttle,) = api["MethodSettings"]
    assert throttle["ResourcePath"] == "/*" and throttle["HttpMethod"] == "*"
    assert 0 < throttle["ThrottlingRateLimit"] <= throttle["ThrottlingBurstLimit"]
    fields = json.loads(api["AccessLogSetting"]["Format"])
    assert "$context.resourcePath" in fields.values()
    for personal in ("$context.path", "sourceIp", "userAgent", "$context.identity", "caller", "user"):
        assert not any(personal in value for value in fields.values()), personal


def _stateful() -> dict:
    return merge_template.stateful_template()["Resources"]


def test_every_queue_and_topic_is_encrypted_with_the_stages_own_key():
    resources = _stateful()
    queues = [r for r in resources.values() if r["Type"] in ("AWS::SQS::Queue", "AWS::SNS::Topic")]
    assert len(queues) >= 6
    assert all(r["Properties"].get("KmsMasterKeyId") == {"Ref": "MessagingKey"} for r in queues)
    assert resources["MessagingKey"]["Properties"]["EnableKeyRotation"] is True


def test_failed_scheduled_runs_and_stream_batches_are_kept_for_an_operator(package):
    resources = json.loads((package / "sam.json").read_text())["Resources"]
    failures = {"Fn::GetAtt": ["FunctionFailureQueue", "Arn"]}
    for name in merge_template.SCHEDULED_FUNCTIONS:
        assert resources[name]["Properties"]["DeadLetterQueue"]["TargetArn"] == failures, name
    stream = resources["MailOutboxStream"]["Properties"]["Events"]["MailOutboxStreamDynamodbEventSource"]["Properties"]
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == failures
    assert stream["BisectBatchOnFunctionError"] is True and stream["MaximumRetryAttempts"] <= 10

