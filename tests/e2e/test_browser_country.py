"""P24 and P23 in Debian Chromium: a local stage whose settings say a CloudFront distribution
sits in front of the API (TRUST_VIEWER_COUNTRY_HEADER=true) shows a viewer in Mexico or the
Philippines their own home page, from the CloudFront-Viewer-Country header the browser
sends (a loopback address has no country); a garbage header, or any header on a stage
without the setting, gets the default home page. The visits are counted, and the access
trends report opens as a page of charts."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from local_stage import emulator
from shared.user_agents import BROWSERS
from tests import conftest
from tests.e2e.conftest import LocalStage
from tests.e2e.test_accessibility import FAILING_IMPACTS, axe_violations, describe

SETTING = "TRUST_VIEWER_COUNTRY_HEADER"
# The runner, with the setting kept from this environment even where the stage's config names it.
RUN_TRUSTING = (f"from local_stage import emulator, run; emulator.CALLER_SETTINGS += ({SETTING!r},); run.main()")
DEFAULT_ORDER = ["MX-10", "MX-25", "IN-10", "PH-20", "GT-10", "CO-10"]


@pytest.fixture(scope="module")
def trusting_stage(tmp_path_factory):
    folder = tmp_path_factory.mktemp("country-stage")
    log_path, state_path = folder / "server.log", folder / "state.json"
    conftest.SERVER_LOGS.append(log_path)
    env = {**os.environ, SETTING: "true", "PORT": "0", "LOCAL_STAGE_STATE": str(state_path), "PYTHONUNBUFFERED": "1"}
    env.pop("AWS_ENDPOINT_URL", None)
    with open(log_path, "w") as log:
        server = subprocess.Popen([sys.executable, "-c", RUN_TRUSTING], cwd=emulator.ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    try:
        serving, deadline = None, time.monotonic() + 60
        while serving is None and time.monotonic() < deadline:
            assert server.poll() is None, f"the country stage exited: {log_path.read_text()[-2000:]}"
            serving = re.search(r"Serving on (http://127\.0\.0\.1:\d+)", log_path.read_text())
            time.sleep(0.1)
        assert serving, "the country stage did not start within 60 s"
        yield LocalStage(serving.group(1), json.loads(state_path.read_text()), state_path)
    finally:
        server.terminate()
        server.wait(timeout=15)


def visit_home(browser, stage: LocalStage, header: str | None):
    """A fresh browser that sends the header on every request, as CloudFront would add it."""
    context = browser.new_context(extra_http_headers={"CloudFront-Viewer-Country": header} if header else {})
    page = context.new_page()
    page.goto(stage.url("/"))
    return context, page


def cards(page) -> list[str]:
    return page.eval_on_selector_all("#cards li", "items => items.map(i => i.dataset.sku)")


@pytest.mark.parametrize("country, greeting, first", [("MX", "¡Hola, México!", ["MX-10", "MX-25"]),
                                                      ("PH", "Mabuhay, Pilipinas!", ["PH-20"])])
def test_p24_a_viewer_sees_their_countrys_home_page(browser, trusting_stage, country, greeting, first):
    context, page = visit_home(browser, trusting_stage, country)
    try:
        assert page.inner_text("#greeting strong") == greeting
        assert page.get_attribute("#greeting", "data-country") == country
        assert cards(page)[:len(first)] == first and sorted(cards(page)) == sorted(DEFAULT_ORDER)
        assert page.is_visible("#signup") and page.locator("#signup-form").count() == 1
        serious = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
        assert not serious, describe(serious)
    finally:
        context.close()


@pytest.mark.parametrize("header", ["zz-top", "mx", "XX", "MEX"])
def test_p24_a_garbage_header_gets_the_default_home_page(browser, trusting_stage, header):
    context, page = visit_home(browser, trusting_stage, header)
    try:
        assert page.locator("#greeting").count() == 0 and cards(page) == DEFAULT_ORDER
    finally:
        context.close()


def test_p24_without_the_setting_a_forged_header_is_ignored(browser, local_stage):
    context, page = visit_home(browser, local_stage, "MX")
    try:
        assert page.locator("#greeting").count() == 0 and cards(page) == DEFAULT_ORDER
        assert page.is_visible("#signup")
    finally:
        context.close()


def test_p23_the_visits_are_counted_and_the_report_opens_as_charts(browser, trusting_stage, page):
    for country in ("MX", "MX", "PH"):
        context, _ = visit_home(browser, trusting_stage, country)
        context.close()
    today = time.strftime("%Y-%m-%d", time.gmtime())
    env = {**os.environ, "LOCAL_STAGE_STATE": str(trusting_stage.state_path)}
    env.pop("AWS_ENDPOINT_URL", None)
    done = subprocess.run([sys.executable, "-m", "local_stage.ops", "ops_access_trends"], text=True, env=env,
                          input=json.dumps({"from": today, "to": today}), capture_output=True, cwd=emulator.ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout[done.stdout.index("{"):])
    countries = {entry["country"]: entry["count"] for entry in report["by_country"]}
    assert countries["MX"] >= 3 and countries["PH"] >= 2  # these visits and the ones above
    assert {entry["browser"] for entry in report["by_browser"]} <= BROWSERS and report["by_os"][0]["os"] == "Linux"

    html = Path(re.search(r"HTML report with charts: (\S+)", done.stderr).group(1))
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(html.as_uri())
    assert page.locator("svg[role=img]").count() == 4  # per day, country, browser, OS
    assert page.locator("svg rect").count() >= len(report["by_day"]) + 3
    assert page.inner_text("h1") == f"Access trends, {today} to {today}"
    assert fetched == [html.as_uri()]  # self-contained: nothing else was fetched
