"""Run an operator function: against the running local stage (`make run`) by default, or,
with `--stage STAGE`, the deployed function of that stage.

    make ops NAME=ops_contact_requests            # input {}, against make run
    make ops NAME=... INPUT=payload.json          # input from a file
    make ops NAME=ops_access_trends INPUT=days.json   # also writes out/access-trends-*.html
    echo '{...}' | .venv/bin/python -m local_stage.ops NAME
    make ops STAGE=prod NAME=ops_contact_requests # the deployed prod function, AWS credentials of the caller

Locally it calls `functions.ops.run` in this process against the emulator, the code path the
deployed function runs. Deployed, it invokes `<app>-<stage>-<name>` (the name the merge
template gives it: no `.chalice/deployed/` needed, which only `chalice deploy` writes) once:
retries are off, since an operator function that outlived the client's read timeout would
otherwise run again, and the read timeout is longer than the function's own.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any

# How long past the function's own timeout the client waits for its answer.
READ_TIMEOUT_MARGIN_SECONDS = 60


def _payload(argv: list[str]) -> dict:
    if len(argv) > 1:
        with open(argv[1]) as source:
            return json.load(source)
    if not sys.stdin.isatty():
        text = sys.stdin.read().strip()
        return json.loads(text) if text else {}
    return {}


def _report(name: str, result: Any) -> None:
    print(json.dumps(result, indent=2))
    if name == "ops_access_trends" and isinstance(result, dict) and "error" not in result:  # for looking at, too
        from local_stage.access_report import write_report

        print(f"HTML report with charts: {write_report(result)}", file=sys.stderr)


def function_timeout(stage: str, name: str) -> int:
    from infra import policies

    config = json.loads(policies.CHALICE_CONFIG.read_text())["stages"][stage]
    return int(config["lambda_functions"].get(name, {}).get("lambda_timeout", config.get("lambda_timeout", 60)))


def lambda_client(stage: str, name: str):
    """A Lambda client that asks once and waits for the function's whole run."""
    import boto3
    from botocore.config import Config

    return boto3.client("lambda", config=Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        read_timeout=function_timeout(stage, name) + READ_TIMEOUT_MARGIN_SECONDS, connect_timeout=10))


def invoke_deployed(stage: str, name: str, payload: dict) -> int:
    from infra import policies

    function = policies.function_name(stage, name)
    response = lambda_client(stage, name).invoke(FunctionName=function, InvocationType="RequestResponse",
                                                 Payload=json.dumps(payload).encode())
    body = response["Payload"].read()
    result = json.loads(body) if body else None
    _report(name, result)
    if response.get("FunctionError"):
        print(f"{function} failed ({response['FunctionError']}); its log group is "
              f"{policies.log_group(stage, name)}", file=sys.stderr)
        return 1
    return 1 if isinstance(result, dict) and "error" in result else 0


def run_local(name: str, payload: dict) -> int:
    from local_stage import emulator
    from local_stage.run import state_file

    if not state_file().exists():
        print("The local stage is not running: start it with `make run` first "
              "(or name a deployed stage: make ops STAGE=prod NAME=…).", file=sys.stderr)
        return 2
    state = json.loads(state_file().read_text())
    os.environ.update(emulator.AWS_ENVIRONMENT)
    os.environ.update(emulator.stage_environment("local"))
    os.environ.update(AWS_ENDPOINT_URL=state["aws_endpoint_url"], BASE_URL=state["base_url"])
    from functions.ops import run
    from shared.ports import process_ports

    result = run(name, payload, process_ports())
    _report(name, result)
    return 1 if "error" in result else 0


def main(argv: list[str]) -> int:
    from functions.ops import OPERATIONS

    stage = None
    if argv[:1] == ["--stage"]:
        stage, argv = (argv[1] if len(argv) > 1 else ""), argv[2:]
        from infra import policies

        if stage not in policies.DEPLOYED_STAGES:
            print(f"STAGE must be one of {', '.join(policies.DEPLOYED_STAGES)}, not {stage!r}", file=sys.stderr)
            return 2
    if not argv or argv[0] not in OPERATIONS:
        print(f"usage: make ops [STAGE=prod] NAME=<one of {', '.join(sorted(OPERATIONS))}> [INPUT=file.json]",
              file=sys.stderr)
        return 2
    payload = _payload(argv)
    return invoke_deployed(stage, argv[0], payload) if stage else run_local(argv[0], payload)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
