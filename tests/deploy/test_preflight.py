"""make preflight: read-only checks of a stage's AWS account, each an OK or FAIL line with
its fix. The account is the emulator (moto) where moto has the call, and botocore's Stubber
where it has not: Lambda's GetAccountSettings and SES v2's GetAccount."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import boto3
import pytest
from botocore.stub import Stubber

from infra import policies, preflight
from local_stage import emulator
from tests.deploy.conftest import INSTALLED, ROOT

STAGE = "prod"


def _lambda(limit: int, unreserved: int, already: dict[str, int] | None = None):
    """A Lambda client answering GetAccountSettings, then GetFunctionConcurrency for each of
    the stage's functions (not found where `already` does not name it)."""
    client = boto3.client("lambda")
    stub = Stubber(client)
    stub.add_response("get_account_settings", {"AccountLimit": {
        "ConcurrentExecutions": limit, "UnreservedConcurrentExecutions": unreserved}})
    for name in preflight.reserved_concurrency(STAGE):
        if already and name in already:
            stub.add_response("get_function_concurrency", {"ReservedConcurrentExecutions": already[name]},
                              {"FunctionName": name})
        else:
            stub.add_client_error("get_function_concurrency", "ResourceNotFoundException", http_status_code=404,
                                  expected_params={"FunctionName": name})
    stub.activate()
    return client, stub


def test_lambda_concurrency_must_leave_100_unreserved_after_this_stacks_reservations():
    reserved = sum(preflight.reserved_concurrency(STAGE).values())
    assert reserved >= 75  # prod: the API's 50 and one or two for each other function
    new_account, stub = _lambda(10, 10)
    check = preflight.lambda_check(STAGE, new_account)
    stub.assert_no_pending_responses()
    assert not check.ok and f"reserves {reserved}" in check.detail and "Service Quotas" in check.fix
    ample, _ = _lambda(1000, 1000)
    assert preflight.lambda_check(STAGE, ample).ok
    just_short, _ = _lambda(1000, 99 + reserved)
    assert not preflight.lambda_check(STAGE, just_short).ok
    # An update: what the stack's functions already reserve is out of `unreserved` already.
    api = policies.function_name(STAGE, "api_handler")
    update, _ = _lambda(1000, 150, already={api: 50})
    assert preflight.lambda_check(STAGE, update).ok == (150 - (reserved - 50) >= 100)


def _ses_account(**account):
    client = boto3.client("sesv2")
    stub = Stubber(client)
    stub.add_response("get_account", account)
    stub.activate()
    return client


def test_ses_needs_production_access_and_sending_enabled():
    sandbox = preflight.ses_account_check(_ses_account(ProductionAccessEnabled=False, SendingEnabled=True,
                                                       EnforcementStatus="HEALTHY"))
    assert not sandbox.ok and "production access no (sandbox)" in sandbox.detail
    assert "put-account-details --production-access-enabled" in sandbox.fix
    paused = preflight.ses_account_check(_ses_account(ProductionAccessEnabled=True, SendingEnabled=False,
                                                      EnforcementStatus="HEALTHY"))
    assert not paused.ok and "--sending-enabled" in paused.fix
    assert preflight.ses_account_check(_ses_account(ProductionAccessEnabled=True, SendingEnabled=True,
                                                    EnforcementStatus="HEALTHY")).ok


def test_the_sender_identity_must_exist_verified_with_dkim(aws):
    sesv2 = boto3.client("sesv2")
    domain = policies.sender(STAGE).domain
    sesv2.delete_email_identity(EmailIdentity=domain)  # the emulator's local stage made it
    missing = preflight.ses_identity_check(STAGE, sesv2)
    assert not missing.ok and "no SES identity yet" in missing.detail and "SenderDkimRecord" in missing.fix
    sesv2.create_email_identity(EmailIdentity=domain)
    pending = preflight.ses_identity_check(STAGE, sesv2)
    assert pending.detail.startswith(f"{domain}: verified for sending")
    stubbed = boto3.client("sesv2")
    with Stubber(stubbed) as stub:
        for status, verified in (("PENDING", False), ("SUCCESS", True)):
            stub.add_response("get_email_identity", {"VerifiedForSendingStatus": verified,
                                                     "DkimAttributes": {"Status": status}}, {"EmailIdentity": domain})
        waiting = preflight.ses_identity_check(STAGE, stubbed)
        assert not waiting.ok and "DKIM PENDING" in waiting.detail and "CNAME" in waiting.fix
        assert preflight.ses_identity_check(STAGE, stubbed).ok


def test_api_gateway_needs_the_accounts_cloudwatch_role(aws):
    apigateway = boto3.client("apigateway")
    missing = preflight.api_gateway_check(apigateway)
    assert not missing.ok and "update-account" in missing.fix and "AmazonAPIGatewayPushToCloudWatchLogs" in missing.fix
    role = "arn:aws:iam::123456789012:role/api-gateway-logs"
    apigateway.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    found = preflight.api_gateway_check(apigateway)
    assert found.ok and found.detail == role


def test_every_secret_must_be_in_ssm_as_a_securestring(aws):
    ssm = boto3.client("ssm")
    path = policies.stage_environment(STAGE)["SSM_PARAMETER_PATH"]
    none = preflight.secrets_check(STAGE, ssm)
    assert not none.ok and "missing token-signing-keys, email-hash-key, processor-webhook-secret, processor-api-key" \
        in none.detail
    for name in ("token-signing-keys", "email-hash-key", "processor-webhook-secret"):
        ssm.put_parameter(Name=path + name, Value="v", Type="SecureString")
    ssm.put_parameter(Name=path + "processor-api-key", Value="sk", Type="String")
    ssm.put_parameter(Name=f"/calling-card-store/dev/processor-api-key", Value="sk", Type="SecureString")
    plain = preflight.secrets_check(STAGE, ssm)
    assert not plain.ok and plain.detail.endswith("not SecureString: processor-api-key") and "--overwrite" in plain.fix
    ssm.put_parameter(Name=path + "processor-api-key", Value="sk", Type="SecureString", Overwrite=True)
    assert preflight.secrets_check(STAGE, ssm).ok


# -- the sender, offline


@pytest.fixture
def own_config(tmp_path, monkeypatch):
    """A copy of .chalice/ to change the sender in, the policies written there."""
    chalice = tmp_path / ".chalice"
    shutil.copytree(ROOT / ".chalice", chalice, ignore=shutil.ignore_patterns("deployments", "deployed"))
    monkeypatch.setattr(policies, "CHALICE_CONFIG", chalice / "config.json")
    monkeypatch.setattr(policies, "POLICY_DIR", chalice / "policies")

    def set_sender(header: str) -> None:
        config = json.loads((chalice / "config.json").read_text())
        config["stages"][STAGE]["environment_variables"]["SENDER_ADDRESS"] = header
        (chalice / "config.json").write_text(json.dumps(config, indent=2))
    return set_sender


def test_an_example_domain_is_refused_and_the_committed_config_still_has_one():
    for example in ("example.com", "store.example.com", "mail.example.org", "shop.test", "x.invalid", "example"):
        assert preflight.is_example_domain(example), example
    for real in ("callingcards.shop", "examples.com", "example.com.au"):
        assert not preflight.is_example_domain(real), real
    (address, in_policies) = preflight.sender_checks(STAGE)
    assert not address.ok and "example domain" in address.detail and ".chalice/config.json" in address.fix
    assert in_policies.ok  # the committed policies follow the committed config


def test_the_sender_is_refused_where_the_policies_or_the_package_name_another(own_config, tmp_path):
    own_config("Calling Cards <hello@callingcards.shop>")
    address, in_policies = preflight.sender_checks(STAGE)
    assert address.ok and address.detail.endswith("(SES identity callingcards.shop)")
    assert not in_policies.ok and "mail_outbox_stream" in in_policies.detail
    assert in_policies.fix.startswith("run `python -m infra.policies`")
    policies.write_all()
    statement = next(s for s in policies.policy(STAGE, "mail_outbox_sweeper")["Statement"] if s["Sid"] == "Mail")
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": "hello@callingcards.shop"}}
    assert "arn:aws:ses:*:*:identity/callingcards.shop" in statement["Resource"]
    template = tmp_path / "sam.json"
    template.write_text(json.dumps({"Parameters": {"SenderDomain": {"Default": "example.com"}}}))
    checks = preflight.sender_checks(STAGE, template)
    assert [c.ok for c in checks] == [True, True, False]
    assert "make package STAGE=prod" in checks[2].fix
    from infra import merge_template

    assert merge_template.merge_template(STAGE)["Parameters"]["SenderDomain"]["Default"] == "callingcards.shop"


def test_the_deployed_stack_must_have_been_given_the_same_sender(aws):
    cloudformation = boto3.client("cloudformation")
    assert preflight.stack_sender_check(STAGE, cloudformation) is None  # nothing deployed yet
    cloudformation.create_stack(StackName=f"calling-card-store-{STAGE}", TemplateBody=json.dumps({
        "Parameters": {"SenderDomain": {"Type": "String"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}),
        Parameters=[{"ParameterKey": "SenderDomain", "ParameterValue": "other.shop"}])
    deployed = preflight.stack_sender_check(STAGE, cloudformation)
    assert not deployed.ok and "SenderDomain other.shop" in deployed.detail and "make deploy" in deployed.fix


class _Session:
    def __init__(self, **clients):
        self._clients = clients

    def client(self, name: str):
        return self._clients.get(name) or boto3.client(name)


def test_make_preflight_prints_one_line_per_check_and_fails_if_any_does(aws, monkeypatch, capsys):
    emulator.reset(aws)  # an account as the earlier tests did not leave it
    ses = boto3.client("sesv2")
    with Stubber(ses) as stub:
        stub.add_response("get_account", {"ProductionAccessEnabled": True, "SendingEnabled": True})
        stub.add_client_error("get_email_identity", "NotFoundException", http_status_code=404)
        lambda_client, _ = _lambda(1000, 1000)
        monkeypatch.setattr(boto3, "Session", lambda: _Session(**{"lambda": lambda_client, "sesv2": ses}))
        assert preflight.main([STAGE]) == 1
    lines = capsys.readouterr().out.splitlines()
    verdicts = {line[5:].split(":")[0]: line[:4] for line in lines if line[:4] in ("OK  ", "FAIL")}
    assert verdicts == {"lambda concurrency": "OK  ", "ses account": "OK  ", "ses sender identity": "FAIL",
                        "api gateway logging role": "FAIL", "ssm secrets": "FAIL", "sender address": "FAIL",
                        "sender in the policies": "OK  "}
    assert lines[-1] == "3 OK, 4 FAIL"
    assert sum(line.startswith("     fix: ") for line in lines) == 4


def test_make_preflight_runs_the_checks_and_make_package_only_warns():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    preflight_run = subprocess.run(["make", "-n", "--no-print-directory", "-o", INSTALLED, "preflight", "STAGE=prod"],
                                   cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert preflight_run.stdout.strip() == ".venv/bin/python -m infra.preflight prod"
    package = subprocess.run(["make", "-n", "--no-print-directory", "-o", INSTALLED, "package", "STAGE=prod",
                              "PACKAGE_PYTHON=/opt/python3.12/bin/python3.12"],
                             cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert ".venv/bin/python -m infra.preflight prod --sender-only --warn" in package.stdout
    warned = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "infra.preflight", STAGE, "--sender-only",
                             "--warn"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert warned.returncode == 0 and warned.stderr.startswith("WARNING (make preflight refuses this) sender address")


def test_make_deploy_refuses_the_example_sender_before_the_aws_cli_runs(tmp_path):
    """A stand-in `aws` on PATH records any call; the committed config's example sender stops
    make deploy before it. The dry run shows the exact commands it would run."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "aws-calls"
    (bin_dir / "aws").write_text(f"#!/bin/sh\necho \"$@\" >> {calls}\n")
    (bin_dir / "aws").chmod(0o755)
    out = tmp_path / "prod"
    out.mkdir()
    (out / "sam.json").write_text(json.dumps({"Parameters": {"SenderDomain": {"Default": "example.com"}}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    make = ["make", "--no-print-directory", "-o", INSTALLED, "deploy", "STAGE=prod", "ARTIFACT_BUCKET=artifacts",
            f"PACKAGE_OUT={out}"]
    refused = subprocess.run(make, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode != 0 and "FAIL sender address" in refused.stdout
    assert not calls.exists()
    no_bucket = subprocess.run(make[:-2] + [f"PACKAGE_OUT={out}"], cwd=ROOT, capture_output=True, text=True, env=env,
                               timeout=60)
    assert no_bucket.returncode != 0 and "ARTIFACT_BUCKET" in no_bucket.stderr
    dry = subprocess.run(["make", "-n"] + make[1:], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    commands = dry.stdout.replace("\\\n", " ")
    assert f"aws cloudformation package --template-file {out}/sam.json --s3-bucket artifacts" in commands
    assert "aws cloudformation deploy" in commands and "--stack-name calling-card-store-prod" in commands
    assert "--capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND" in commands
    assert "--parameter-overrides Stage=prod SenderDomain=$(.venv/bin/python -m infra.preflight prod --sender-domain)" \
        in " ".join(commands.split())
