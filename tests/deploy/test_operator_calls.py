"""make ops after a deploy: STAGE on make's command line invokes the deployed function by its
explicit name, once (no retries), waiting longer than the function may run; without it,
make ops stays on the local stage. Lambda's Invoke is answered by botocore's Stubber."""
from __future__ import annotations

import io
import json
import os
import subprocess

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from infra import policies
from local_stage import ops
from tests.deploy.conftest import INSTALLED, ROOT


def _make_ops(*arguments: str, **environment: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "STAGE"}
    done = subprocess.run(["make", "-n", "--no-print-directory", "-o", INSTALLED, "ops", *arguments], cwd=ROOT,
                          capture_output=True, text=True, env={**env, **environment}, timeout=60)
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())


def test_make_ops_reaches_a_deployed_stage_only_when_stage_is_on_the_command_line():
    local = ".venv/bin/python -m local_stage.ops ops_contact_requests in.json"
    assert _make_ops("NAME=ops_contact_requests", "INPUT=in.json") == local
    assert _make_ops("NAME=ops_contact_requests", "INPUT=in.json", STAGE="prod") == local  # from the environment
    assert _make_ops("NAME=ops_contact_requests", "INPUT=in.json", "STAGE=prod") == \
        ".venv/bin/python -m local_stage.ops --stage prod ops_contact_requests in.json"


def test_the_client_asks_once_and_waits_past_the_functions_own_timeout():
    client = ops.lambda_client("prod", "ops_send_campaign")
    assert client.meta.config.retries["total_max_attempts"] == 1
    assert client.meta.config.read_timeout > ops.function_timeout("prod", "ops_send_campaign") == 900


def _answer(body: dict | None, **extra) -> dict:
    raw = json.dumps(body).encode() if body is not None else b""
    return {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(raw), len(raw)), **extra}


@pytest.fixture
def stubbed(monkeypatch):
    client = boto3.client("lambda")
    stub = Stubber(client)
    made = []

    def lambda_client(stage, name):
        made.append((stage, name))
        return client

    monkeypatch.setattr(ops, "lambda_client", lambda_client)
    with stub:
        yield stub, made
    stub.assert_no_pending_responses()


def test_a_deployed_operator_function_is_invoked_by_its_name_and_its_result_printed(stubbed, tmp_path, capsys):
    stub, made = stubbed
    payload = {"topic": "newsletter", "subject": "News", "text": "Hello"}
    stub.add_response("invoke", _answer({"campaign_id": "c-1", "queued": 3}), {
        "FunctionName": "calling-card-store-prod-ops_send_campaign", "InvocationType": "RequestResponse",
        "Payload": json.dumps(payload).encode()})
    source = tmp_path / "campaign.json"
    source.write_text(json.dumps(payload))
    assert ops.main(["--stage", "prod", "ops_send_campaign", str(source)]) == 0
    assert made == [("prod", "ops_send_campaign")]
    assert json.loads(capsys.readouterr().out) == {"campaign_id": "c-1", "queued": 3}
    assert policies.function_name("prod", "ops_send_campaign") == "calling-card-store-prod-ops_send_campaign"


def test_a_function_error_or_a_refused_input_exits_non_zero(stubbed, capsys, monkeypatch):
    stub, _ = stubbed
    monkeypatch.setattr("sys.stdin", io.StringIO('{"survey_id": "s-1"}'))
    stub.add_response("invoke", _answer({"errorMessage": "Task timed out", "errorType": "Sandbox.Timedout"},
                                        FunctionError="Unhandled"), {
        "FunctionName": "calling-card-store-dev-ops_survey_results", "InvocationType": "RequestResponse",
        "Payload": b'{"survey_id": "s-1"}'})
    assert ops.main(["--stage", "dev", "ops_survey_results"]) == 1
    err = capsys.readouterr().err
    assert "calling-card-store-dev-ops_survey_results failed (Unhandled)" in err
    assert "/aws/lambda/calling-card-store-dev-ops_survey_results" in err
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    stub.add_response("invoke", _answer({"error": {"code": "validation", "message": "survey_id: required"}}))
    assert ops.main(["--stage", "dev", "ops_survey_results"]) == 1


def test_an_unknown_stage_or_function_is_refused_before_any_call(stubbed, capsys):
    assert ops.main(["--stage", "local", "ops_contact_requests"]) == 2
    assert ops.main(["--stage", "prod", "ops_no_such_thing"]) == 2
    assert "STAGE must be one of dev, prod" in capsys.readouterr().err
