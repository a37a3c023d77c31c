"""P23: a page request becomes one counter of its hour, country, browser family and OS
family; `ops_access_trends` reports the counters per day, country, browser and OS."""
from __future__ import annotations

import dataclasses

import pytest

from functions import ops
from functions.access_trends import MAX_DAYS, hour_of, record_page_request
from shared.user_agents import MAX_USER_AGENT_CHARS, OTHER, families
from tests.unit.test_home_by_country import INDIA, MEXICO

CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
                 "Version/17.0 Mobile/15E148 Safari/604.1")
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def counters(ports, day: str) -> list[tuple[str, str, str, str, int]]:
    return sorted((c.hour, c.country, c.browser, c.os, c.count) for c in ports.access.counts_on(day))


def test_p23_a_page_request_adds_one_to_its_hours_counter(ports, clock):
    hour = hour_of(clock.now())
    record_page_request(MEXICO, CHROME_LINUX, None, ports)
    record_page_request(MEXICO, CHROME_LINUX, None, ports)
    record_page_request("127.0.0.1", None, None, ports)
    found = counters(ports, hour[:10])
    assert sum(c[-1] for c in found if c[1:4] == ("MX", "Chrome", "Linux")) == 2  # on one shard or two
    assert (hour, "unknown", OTHER, OTHER, 1) in found


def test_p23_the_hour_is_the_finest_time_kept(clock):
    assert hour_of(1_800_000_000) == "2027-01-15T08"
    assert hour_of(1_800_000_000 + 3599 - 1_800_000_000 % 3600) == "2027-01-15T08"


def test_p23_the_viewer_country_header_counts_only_where_the_stage_trusts_it(ports, clock):
    day = hour_of(clock.now())[:10]
    record_page_request(INDIA, FIREFOX_WINDOWS, "MX", ports)
    trusting = ports.replace(settings=dataclasses.replace(
        ports.settings, trust_viewer_country_header=True))
    record_page_request(INDIA, FIREFOX_WINDOWS, "MX", trusting)
    record_page_request(INDIA, FIREFOX_WINDOWS, "garbage", trusting)
    assert sorted(c[1] for c in counters(ports, day) for _ in range(c[-1])) == ["IN", "IN", "MX"]


@pytest.mark.parametrize("user_agent, expected", [
    (CHROME_LINUX, ("Chrome", "Linux")),
    (SAFARI_IPHONE, ("Mobile Safari", "iOS")),
    (FIREFOX_WINDOWS, ("Firefox", "Windows")),
    ("curl/8.5.0", ("curl", OTHER)),
    (None, (OTHER, OTHER)),
    ("", (OTHER, OTHER)),
])
def test_p23_a_user_agent_gives_two_families(user_agent, expected):
    assert families(user_agent) == expected


@pytest.mark.parametrize("user_agent", [
    "zelda.quill@example.org/1.0",  # ua-parser would name the family after the text
    "Mozilla/5.0 (compatible; ZeldaQuillBot/2.1; +mailto:zelda.quill@example.org)",
    "AccountBrowser-acct_01HXYZ/3.0 (Linux)",
    "x" * 100_000,
])
def test_p23_a_family_is_never_text_the_client_chose(user_agent):
    from shared.user_agents import BROWSERS, OPERATING_SYSTEMS

    browser, system = families(user_agent)
    assert browser in BROWSERS | {OTHER} and system in OPERATING_SYSTEMS | {OTHER}
    assert browser == OTHER


def test_p23_only_the_start_of_a_long_user_agent_is_read():
    assert families(CHROME_LINUX + " " + "y" * (MAX_USER_AGENT_CHARS * 4)) == ("Chrome", "Linux")


def test_p23_the_report_counts_per_day_country_browser_and_os(ports, clock):
    day1 = 1_800_000_000  # 2027-01-15T08
    for ip, ua, at in [(MEXICO, CHROME_LINUX, day1), (MEXICO, CHROME_LINUX, day1 + 3600),
                       (INDIA, SAFARI_IPHONE, day1), (INDIA, FIREFOX_WINDOWS, day1 + 86400)]:
        clock.at = at
        record_page_request(ip, ua, None, ports)
    report = ops.run("ops_access_trends", {"from": "2027-01-14", "to": "2027-01-16"}, ports)
    assert report["total"] == 4 and (report["from"], report["to"]) == ("2027-01-14", "2027-01-16")
    assert report["by_day"] == [{"day": "2027-01-14", "count": 0}, {"day": "2027-01-15", "count": 3},
                                {"day": "2027-01-16", "count": 1}]
    assert report["by_country"] == [{"country": "IN", "count": 2}, {"country": "MX", "count": 2}]
    assert report["by_browser"] == [{"browser": "Chrome", "count": 2}, {"browser": "Firefox", "count": 1},
                                    {"browser": "Mobile Safari", "count": 1}]
    assert report["by_os"] == [{"os": "Linux", "count": 2}, {"os": "Windows", "count": 1}, {"os": "iOS", "count": 1}]
    assert report["rows"] == [
        {"day": "2027-01-15", "country": "MX", "browser": "Chrome", "os": "Linux", "count": 2},
        {"day": "2027-01-15", "country": "IN", "browser": "Mobile Safari", "os": "iOS", "count": 1},
        {"day": "2027-01-16", "country": "IN", "browser": "Firefox", "os": "Windows", "count": 1},
    ]
    assert [e.operation for e in ports.audit.entries_on(ports.clock.iso()[:10])] == ["ops_access_trends"]


def test_p23_a_day_with_no_requests_reports_zero(ports):
    report = ops.run("ops_access_trends", {"from": "2030-02-01", "to": "2030-02-01"}, ports)
    assert report == {"from": "2030-02-01", "to": "2030-02-01", "total": 0,
                      "by_day": [{"day": "2030-02-01", "count": 0}], "by_country": [], "by_browser": [],
                      "by_os": [], "rows": []}


@pytest.mark.parametrize("payload", [
    {},
    {"from": "2027-01-15"},
    {"from": "2027-01-15", "to": "2027-01-14"},  # backwards
    {"from": "2027-01-01", "to": "2027-04-03"},  # 93 days
    {"from": "2027-02-30", "to": "2027-03-01"},
    {"from": "15/01/2027", "to": "2027-01-16"},
    {"from": 1_800_000_000, "to": "2027-01-16"},
    {"from": "2027-01-15T00:00:00", "to": "2027-01-16"},
    {"from": None, "to": "2027-01-16"},
    {"from": "2027-01-15", "to": "2027-01-16", "country": "MX"},
    ["2027-01-15", "2027-01-16"],
    "2027-01-15",
])
def test_p23_bad_report_input_is_refused_and_does_nothing(ports, payload):
    answer = ops.run("ops_access_trends", payload, ports)
    assert answer["error"]["code"] == "validation_error" and answer["error"]["message"]
    assert ports.audit.entries_on(ports.clock.iso()[:10]) == []


def test_p23_a_report_spans_at_most_a_quarter(ports):
    assert MAX_DAYS == 92
    assert ops.run("ops_access_trends", {"from": "2027-01-01", "to": "2027-04-02"}, ports)["by_day"][-1] == {
        "day": "2027-04-02", "count": 0}
