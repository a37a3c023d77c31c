"""A real local stage (`python -m local_stage.run`) on ephemeral ports, and Debian Chromium."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from local_stage import emulator
from tests import conftest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


class LocalStage:
    def __init__(self, base_url: str, state: dict, state_path: Path | None = None) -> None:
        self.base_url = base_url
        self.state = state
        self.state_path = state_path

    def ops(self, name: str, payload: dict) -> dict:
        """An operator function against this stage, as `make ops` runs it."""
        env = {**os.environ, "LOCAL_STAGE_STATE": str(self.state_path)}
        env.pop("AWS_ENDPOINT_URL", None)
        done = subprocess.run([sys.executable, "-m", "local_stage.ops", name], input=json.dumps(payload), text=True,
                              capture_output=True, cwd=emulator.ROOT, env=env, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
        lines = done.stdout.splitlines()
        start = max(n for n, line in enumerate(lines) if line == "{")  # the result, printed indented, comes last
        return json.JSONDecoder().raw_decode("\n".join(lines[start:]))[0]

    def url(self, path: str) -> str:
        return self.base_url + path

    def post_json(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(self.url(path), data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())

    def outbox(self) -> list[dict]:
        with urllib.request.urlopen(self.url("/dev/outbox.json"), timeout=10) as response:
            return json.loads(response.read())

    def wait_for_mail(self, address: str, subject_part: str, timeout: float = 15.0) -> dict:
        """Poll the outbox with a time limit until the mail arrives (never a fixed sleep)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for mail in self.outbox():
                if address.lower() in (t.lower() for t in mail["to"]) and subject_part in mail["subject"]:
                    return mail
            time.sleep(0.1)
        raise AssertionError(f"no mail with {subject_part!r} within {timeout}s")

    def dynamodb(self):
        import boto3

        return boto3.client("dynamodb", endpoint_url=self.state["aws_endpoint_url"])


@pytest.fixture(scope="session")
def local_stage(tmp_path_factory):
    folder = tmp_path_factory.mktemp("local-stage")
    log_path, state_path = folder / "server.log", folder / "state.json"
    conftest.SERVER_LOGS.append(log_path)
    env = {**os.environ, "PORT": "0", "LOCAL_STAGE_STATE": str(state_path), "PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, "-m", "local_stage.run"], cwd=emulator.ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        base_url = None
        while time.monotonic() < deadline and base_url is None:
            assert process.poll() is None, f"the local stage exited: {log_path.read_text()[-2000:]}"
            found = re.search(r"Serving on (http://127\.0\.0\.1:\d+)", log_path.read_text())
            base_url = found.group(1) if found else None
            time.sleep(0.1)
        assert base_url, "the local stage did not start within 60 s"
        yield LocalStage(base_url, json.loads(state_path.read_text()), state_path)
    finally:
        process.terminate()  # what Ctrl-C does: the runner stops the server, driver and emulator
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0 and "Stopped." in log_path.read_text(), "the local stage did not stop cleanly"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()
