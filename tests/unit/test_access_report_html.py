"""P23: the access trends report as a page an operator looks at: one self-contained HTML
file with an inline SVG chart per day, country, browser family and OS family."""
from __future__ import annotations

import re

from functions import ops
from functions.access_trends import record_page_request
from local_stage.access_report import TOP, render, write_report
from tests.unit.test_access_trends import CHROME_LINUX, FIREFOX_WINDOWS
from tests.unit.test_home_by_country import INDIA, MEXICO


def report_of(ports, clock) -> dict:
    for ip, ua, hours in [(MEXICO, CHROME_LINUX, 0), (MEXICO, CHROME_LINUX, 30), (INDIA, FIREFOX_WINDOWS, 50)]:
        clock.at = 1_800_000_000 + hours * 3600
        record_page_request(ip, ua, None, ports)
    return ops.run("ops_access_trends", {"from": "2027-01-14", "to": "2027-01-17"}, ports)


def test_p23_the_report_page_charts_days_countries_browsers_and_systems(ports, clock):
    page = render(report_of(ports, clock))
    assert page.count("<svg ") == 4 and page.count('role="img"') == 4
    assert len(re.findall(r"<rect [^>]*><title>20\d\d-\d\d-\d\d: \d+</title>", page)) == 4  # one bar a day
    for title in ("MX: 2", "IN: 1", "Chrome: 2", "Firefox: 1", "Linux: 2", "Windows: 1"):
        assert f"<title>{title}</title>" in page
    assert "3 page requests in 4 days" in page


def test_p23_the_report_page_is_self_contained(ports, clock):
    page = render(report_of(ports, clock))
    for outside in ("<script", "src=", "href=", "url(", "@import", "http://", "https://", "//"):
        assert outside not in page


def test_the_report_page_escapes_what_it_shows_and_sums_the_long_tail():
    countries = [{"country": f"C{n}<", "count": 100 - n} for n in range(TOP + 5)]
    report = {"from": "2027-01-01", "to": "2027-01-01", "total": 1, "by_day": [{"day": "2027-01-01", "count": 1}],
              "by_country": countries, "by_browser": [], "by_os": [],
              "rows": [{"day": "2027-01-01", "country": "<b>", "browser": "x&y", "os": "z", "count": 1}]}
    page = render(report)
    assert "<b>" not in page and "&lt;b&gt;" in page and "x&amp;y" in page
    assert "all others" in page and f"C{TOP}&lt;" not in page
    assert "No requests: nothing to chart for requests by browser family." in page


def test_the_report_is_written_where_its_path_says(ports, clock, tmp_path):
    written = write_report(report_of(ports, clock), tmp_path / "trends.html")
    assert written == tmp_path / "trends.html" and written.read_text().startswith("<!doctype html>")
