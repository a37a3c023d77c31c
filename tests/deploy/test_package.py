"""The deployed form, checked without an AWS account: the chalice package is whole and
imports on its own, the merged template is lint-clean and wired, and every stage's policy
names its own resources and no wildcard AWS would let us narrow."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib import events
from infra import cold_path, policies
from local_stage import emulator
from tests.deploy.conftest import stage_env

ROOT = emulator.ROOT
STAGES = ("dev", "prod")
# 12 MB, not 10: the zip ships the cold path's bytecode (about 1.5 MB), which saves every cold
# start compiling it; bytecode for every module would take it to about 16 MB.
MAX_ZIP_BYTES = 12 * 1024 * 1024
# Actions AWS grants on "*" only.
STAR_ONLY_ACTIONS = {"dynamodb:ListStreams"}


def test_the_zip_holds_the_code_and_templates_but_not_boto3_and_fits_12_mb(package, unpacked):
    size = (package / "deployment.zip").stat().st_size
    assert size <= MAX_ZIP_BYTES, f"{size / 1e6:.1f} MB"
    for needed in ("app.py", "chalicelib/templates/layout.html", "chalicelib/static/site.js", "functions/checkout.py",
                   "shared/store/table.py", "shared/mail/templates/welcome.txt", "shared/policy/v1.md",
                   "shared/catalog.json"):
        assert (unpacked / needed).is_file(), needed
    assert not (unpacked / "boto3").exists() and not (unpacked / "botocore").exists()
    assert not (unpacked / "local_stage").exists() and not (unpacked / "tests").exists()


def test_the_unpacked_package_imports_in_a_fresh_interpreter_with_only_itself_and_boto3(unpacked, runtime_python,
                                                                                       tmp_path):
    runtime = cold_path.runtime_folder(runtime_python, tmp_path / "runtime")
    environment = emulator.stage_environment("prod")
    probe = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import app; "
             "assert app.__file__.startswith(sys.argv[1]), app.__file__; "
             "import functions.checkout, shared.store, chalicelib.openapi; "
             "print(len(app.app.routes), sorted(app.app.handler_map)[:3])")
    result = subprocess.run([runtime_python, "-I", "-S", "-c", probe, str(unpacked), str(runtime)],
                            env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", **environment},
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_merged_template_holds_the_stateful_resources_and_wires_every_event_source(package):
    template = json.loads((package / "sam.json").read_text())
    resources = template["Resources"]
    assert {"Table", "PinKey", "SesFeedbackQueue", "MailDeadLetterQueue", "AlarmTopic"} <= set(resources)
    stream = resources["MailOutboxStream"]["Properties"]["Events"]["MailOutboxStreamDynamodbEventSource"]["Properties"]
    assert stream["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    queue = resources["SesFeedback"]["Properties"]["Events"]["SesFeedbackSqsEventSource"]["Properties"]["Queue"]
    assert queue == {"Fn::GetAtt": ["SesFeedbackQueue", "Arn"]}
    assert resources["MailOutboxSweeper"]["Properties"]["Events"]["MailOutboxSweeperEvent"]["Type"] == "Schedule"
    responses = resources["RestAPI"]["Properties"]["DefinitionBody"]["x-amazon-apigateway-gateway-responses"]
    unknown = responses["MISSING_AUTHENTICATION_TOKEN"]
    assert unknown["statusCode"] == "404"
    assert json.loads(unknown["responseTemplates"]["application/json"])["error"]["code"] == "not_found"
    operators = {k for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function" and k.startswith("Ops")}
    assert operators == {policies.logical_id(name) for name in events.OPERATOR_FUNCTIONS}
    assert len(operators) >= 17


def test_cfn_lint_finds_no_error_or_warning_in_infra_the_merged_template_or_what_cloudformation_deploys(package):
    """expanded.json is the packaged template after the SAM transform (infra/expand.py):
    cfn-lint 1.x no longer expands SAM itself, and the API's stage, deployment, event source
    mappings and permissions exist only there."""
    cfn_lint = str(Path(sys.executable).parent / "cfn-lint")
    for template in (ROOT / "infra" / "stateful.yaml", package / "sam.json", package / "expanded.json"):
        result = subprocess.run([cfn_lint, str(template)], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, f"{template.name}: {result.stdout[-3000:]}"  # 0: no error, warning or note


@pytest.mark.parametrize("stage", STAGES)
def test_each_function_of_each_stage_has_a_policy_naming_only_its_stages_resources(stage):
    from infra import policies

    other = next(s for s in STAGES if s != stage)
    texts = {}
    for function in policies.FUNCTIONS:
        policy = json.loads(policies.policy_file(stage, function).read_text())
        text = texts[function] = json.dumps(policy)
        assert f"calling-card-store-{other}" not in text and f"calling-card-store/{other}" not in text
        assert f"parameter/calling-card-store/{stage}" in text
        for statement in policy["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            actions = set(statement["Action"])
            assert all("*" not in action for action in actions), statement["Sid"]
            if "*" in resources:
                assert actions <= STAR_ONLY_ACTIONS, f"{statement['Sid']} uses Resource * where AWS allows narrower"
            if any(r.endswith("key/*") for r in resources):
                assert "Condition" in statement, f"{statement['Sid']}: a KMS grant needs a condition naming the key"
    assert "ses:SendEmail" in texts["mail_outbox_sweeper"] and "ses:SendEmail" not in texts["api_handler"]
    assert "kms:Encrypt" in texts["ops_import_pins"] and "kms:Encrypt" not in texts["api_handler"]
    assert f"calling-card-store-{stage}-mail-dlq" not in texts["api_handler"]


@pytest.mark.parametrize("stage", STAGES)
def test_cors_names_one_origin_per_stage_never_a_wildcard(stage):
    env = emulator.stage_environment(stage)
    origin = env.get("CORS_ALLOWED_ORIGIN", "")
    assert origin == "" or (origin.startswith("https://") and "*" not in origin)
    probe = "import app; r = app.app.routes['/signup']['POST']; print(r.cors.get_access_control_headers() if r.cors else None)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                            env=stage_env(**env), timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    if origin:
        assert f"'Access-Control-Allow-Origin': '{origin}'" in result.stdout
        assert "'Access-Control-Allow-Credentials': 'true'" in result.stdout
    else:
        assert result.stdout.strip() == "None"


def test_a_wildcard_origin_is_refused_when_the_app_loads():
    result = subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, capture_output=True, text=True,
                            env=stage_env(CORS_ALLOWED_ORIGIN="*"), timeout=60)
    assert result.returncode != 0 and "CORS_ALLOWED_ORIGIN" in result.stderr


# SES's default production quota; a stage with a larger one may raise MAIL_SEND_RATE.
SES_DEFAULT_MAX_SEND_RATE = 14


def test_the_table_and_the_key_that_encrypts_it_are_both_retained(package):
    template = json.loads((package / "sam.json").read_text())
    for name in ("Table", "PinKey"):
        resource = template["Resources"][name]
        assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"


def test_every_function_has_an_explicit_timeout_and_memory_and_the_senders_a_reserved_concurrency(package):
    template = json.loads((package / "sam.json").read_text())
    functions = {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert all(p["Timeout"] <= 900 and p["MemorySize"] >= 256 for p in functions.values())
    assert functions["APIHandler"]["Timeout"] <= 30  # API Gateway gives up after 29 s anyway
    senders = functions["MailOutboxStream"]["ReservedConcurrentExecutions"] + \
        functions["MailOutboxSweeper"]["ReservedConcurrentExecutions"]
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    rate = float(config["stages"]["prod"]["environment_variables"]["MAIL_SEND_RATE"])
    assert senders * rate <= SES_DEFAULT_MAX_SEND_RATE  # the global send rate stays under SES's


def test_alarms_watch_every_event_function_the_stream_the_api_and_waiting_transactional_mail(package):
    template = json.loads((package / "sam.json").read_text())
    alarms = {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    watched = {(a["MetricName"], str(a["Dimensions"][0]["Value"].get("Ref"))) for a in alarms.values()
               if a.get("Dimensions") and isinstance(a["Dimensions"][0]["Value"], dict)}
    for function in ("APIHandler", "MailOutboxStream", "MailOutboxSweeper", "SesFeedback"):
        assert ("Errors", function) in watched and ("Throttles", function) in watched
    assert ("IteratorAge", "MailOutboxStream") in watched
    assert any(a["MetricName"] == "5XXError" for a in alarms.values())
    custom = [a for a in alarms.values() if a["Namespace"] == "CallingCardStore"]
    assert {a["MetricName"] for a in custom} >= {"OldestUnsentTransactionalSeconds", "OrdersAwaitingStock"}
    # Powertools adds the service to every metric's dimensions: an alarm without it never fires
    assert all({d["Name"] for d in a["Dimensions"]} == {"stage", "service"} for a in custom)
