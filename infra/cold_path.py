"""Which modules of the zip a fresh API function imports to serve its first requests.

`record(unpacked, python, stage)` starts the emulator in this process, provisions the
stage there with its secrets in SSM (the deployed stages read them from there), signs a
customer in through the app's own links, and then runs infra/_cold_path_child.py with the
deployed runtime's interpreter on the unpacked zip alone (plus the runtime's boto3, as
Lambda provides it) and the stage's environment: POST /signup, GET /, GET /account signed
in and a signed card-processor callback. What that child imported from the zip is the
cold path: infra/package_bytecode.py compiles exactly those modules, and the API function's
before-snapshot hook (chalicelib/snapstart.py) imports them.

It talks to no AWS account: every call goes to the emulator on 127.0.0.1.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHILD = HERE / "_cold_path_child.py"
# What Lambda's Python runtime itself provides (never in the zip).
LAMBDA_RUNTIME = ("boto3", "botocore", "jmespath", "s3transfer", "dateutil", "six.py", "urllib3")
# A visitor from Mexico on a desktop Chrome: the home page looks up the country and parses the browser.
VISITOR_ADDRESS = "189.203.0.1"
VISITOR_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
                 "Safari/537.36")
MARKER = "COLD-PATH-MODULES "


def runtime_folder(python: str, into: Path) -> Path:
    """A folder holding only what Lambda's runtime provides, linked from `python`'s own site-packages."""
    found = subprocess.run([python, "-c", "import boto3, os; print(os.path.dirname(os.path.dirname(boto3.__file__)))"],
                           capture_output=True, text=True, check=True, timeout=60)
    site = Path(found.stdout.strip())
    into.mkdir(parents=True, exist_ok=True)
    for name in LAMBDA_RUNTIME:
        (into / name).symlink_to(site / name)
    return into


def _isolate() -> None:
    """Nothing of the caller's AWS settings or ~/.aws: set before boto3 is imported here."""
    import sys

    if "boto3" in sys.modules or "botocore" in sys.modules:
        raise RuntimeError("infra.cold_path must start the emulator before boto3 is imported")
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]


def _quiet() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
    logging.getLogger("moto").setLevel(logging.ERROR)


def _put_secrets(stage_env: dict[str, str]) -> str:
    """The stage's secrets, made up for this run, where the stage reads them; returns the
    card processor's webhook secret (the child signs its callback with it)."""
    import boto3

    from shared.settings import SECRET_PARAMETERS

    webhook_secret = "whsec_" + secrets.token_hex(16)
    if stage_env.get("SECRETS_SOURCE") != "ssm":
        os.environ["PROCESSOR_WEBHOOK_SECRET"] = webhook_secret
        return webhook_secret
    values = {name: secrets.token_hex(32) for name in SECRET_PARAMETERS}
    values["processor-webhook-secret"] = webhook_secret
    ssm = boto3.client("ssm")
    for name, value in values.items():
        ssm.put_parameter(Name=stage_env["SSM_PARAMETER_PATH"] + name, Value=value, Type="SecureString")
    return webhook_secret


def _signed_in_cookie(stage: str) -> str:
    """A customer signed up and in through the app's links, as a browser would: the Cookie
    header its browser then sends."""
    from chalice.test import Client

    import app
    from local_stage.customers import signed_in_customer

    with Client(app.app, stage_name=stage, project_dir=str(ROOT)) as client:
        return signed_in_customer(client, f"cold.path.{secrets.token_hex(4)}@example.org", "Cold Path")


def record(unpacked: Path, python: str, stage: str) -> dict[str, list[tuple[str, str]]]:
    """For the API's first requests: {"imported": [(module, its file inside the zip)] in
    import order, "loaded": the same for every module whose code was read, including
    optional imports that failed}."""
    _isolate()
    _quiet()
    from local_stage import emulator

    python = str(Path(python).absolute())  # the child runs in a folder of its own
    started = emulator.start(stage)
    try:
        stage_env = emulator.stage_environment(stage)
        # The sign-in here runs the app in this process: its logs and metrics are not the packaging's output.
        os.environ.update(stage_env, POWERTOOLS_LOG_LEVEL="ERROR", POWERTOOLS_METRICS_DISABLED="true")
        webhook_secret = _put_secrets(stage_env)
        with contextlib.redirect_stdout(io.StringIO()):  # the metrics the sweep prints
            cookie = _signed_in_cookie(stage)
        spec = {"new_address": f"cold.path.{secrets.token_hex(4)}@example.org", "user_agent": VISITOR_AGENT,
                "source_ip": VISITOR_ADDRESS, "session_cookie": cookie, "webhook_secret": webhook_secret}
        env = {"PATH": "/usr/bin:/bin", **emulator.AWS_ENVIRONMENT, "AWS_ENDPOINT_URL": started.endpoint_url,
               **stage_env}
        if stage_env.get("SECRETS_SOURCE") != "ssm":
            env["PROCESSOR_WEBHOOK_SECRET"] = webhook_secret
        with tempfile.TemporaryDirectory() as tmp:
            runtime = runtime_folder(python, Path(tmp) / "runtime")
            done = subprocess.run([python, "-I", "-S", "-B", str(CHILD), str(unpacked.resolve()), str(runtime)],
                                  input=json.dumps(spec), env=env, capture_output=True, text=True, timeout=300,
                                  cwd=tmp)
    finally:
        started.stop()
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"the cold-path requests failed (exit {done.returncode}):\n{done.stdout[-2000:]}\n"
                           f"{done.stderr[-3000:]}")
    found = json.loads(lines[-1][len(MARKER):])
    return {kind: [(name, path) for name, path in found[kind]] for kind in ("imported", "loaded")}
