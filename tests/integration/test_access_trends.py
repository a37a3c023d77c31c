"""P23 through the HTTP edge and the emulated table: every page request is counted by hour,
country, browser family and OS family; JSON calls and static files are not; and no access
record can be joined to a person."""
from __future__ import annotations

import re

import boto3
import pytest

from shared.ids import address_hash
from shared.user_agents import BROWSERS, OPERATING_SYSTEMS, OTHER
from tests.integration.accounts_helpers import as_user, signed_in
from tests.integration.conftest import mail_to
from tests.integration.test_home_by_country import source_ip  # noqa: F401 - the fixture
from tests.unit.test_access_trends import CHROME_LINUX

RECORD_ATTRIBUTES = {"pk", "sk", "country", "browser", "os", "hour", "count"}


def access_items() -> list[dict]:
    """Every access record in the table, as DynamoDB holds it (the test reads the whole
    table; the store itself never scans)."""
    from shared.settings import get_settings

    items = []
    for page in boto3.client("dynamodb").get_paginator("scan").paginate(TableName=get_settings().table_name):
        items += [item for item in page["Items"] if item["pk"]["S"].startswith("ACCESS#")]
    return items


def total(ports) -> int:
    return sum(c.count for c in ports.access.counts_on(ports.clock.iso()[:10]))


def test_p23_pages_are_counted_json_calls_and_static_files_are_not(http, ports, source_ip):  # noqa: F811
    source_ip("189.203.0.1")
    before = total(ports)
    for path in ("/", "/privacy", "/shop", "/login", "/surveys/nothing-here/form"):
        assert http.get(path, headers={"User-Agent": CHROME_LINUX}).status_code < 500
    counted = total(ports)
    assert counted - before == 5
    for path in ("/health", "/products", "/privacy.json", "/openapi.json", "/site.css", "/site.js", "/favicon.ico"):
        assert http.get(path).status_code < 400
    http.post_json("/login", {"email": "nobody@example.org"})
    assert total(ports) == counted


def test_p23_no_access_record_can_be_joined_to_a_person(http, ports, person, source_ip):  # noqa: F811
    """A registered person signs up and browses signed in, from one address with one
    User-Agent of their own: the access records hold none of what identifies them (address,
    User-Agent, account, address hash, name, session or link token) nor any time finer than
    the hour, and each one is a counter of exactly {country, browser, OS, hour, count}."""
    from tests.conftest import PERSONAL_DATA

    address = "189.203.61.7"  # Mexico
    user_agent = CHROME_LINUX + " ZeldaQuillDevice/7.3.1"
    PERSONAL_DATA.update({address, user_agent})
    source_ip(address)
    before = {(item["pk"]["S"], item["sk"]["S"]): int(item["count"]["N"]) for item in access_items()}

    account, cookie = signed_in(http, ports, person)
    browsing = as_user(cookie, **{"User-Agent": user_agent})
    for path in ("/", "/my-account", "/my-account/info", "/my-account/email-preferences", "/shop", "/privacy"):
        assert http.get(path, headers=browsing).status_code == 200
    login_link = next(w for w in mail_to(person.email)[-1]["text"].split() if "/login/" in w)

    items = access_items()
    identifying = {address, user_agent, "ZeldaQuill", account.account_id, person.email, person.email.lower(),
                   person.name, address_hash(person.email, ports.settings.hash_key()), cookie, cookie.split("=", 1)[1],
                   login_link.rsplit("/", 1)[-1]}
    for item in items:
        assert set(item) == RECORD_ATTRIBUTES
        text = str(item)
        assert not [value for value in identifying if value in text]
        values = {name: next(iter(value.values())) for name, value in item.items()}
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}", values["hour"])  # no minute, second or request id
        assert re.fullmatch(r"ACCESS#\d{4}-\d{2}-\d{2}#[0-3]", values["pk"])
        assert values["sk"] == f"{values['hour'][11:]}#{values['country']}#{values['browser']}#{values['os']}"
        assert values["country"] == "unknown" or re.fullmatch(r"[A-Z]{2}", values["country"])
        assert values["browser"] in BROWSERS | {OTHER} and values["os"] in OPERATING_SYSTEMS | {OTHER}
    # The person's six pages are in counters of Mexico, Chrome and Linux, like anyone's.
    grown = {(item["pk"]["S"], item["sk"]["S"]): int(item["count"]["N"]) for item in items}
    mine = {key: count - before.get(key, 0) for key, count in grown.items() if count != before.get(key, 0)}
    assert sum(mine.values()) == 6 and {sk.split("#", 1)[1] for _, sk in mine} == {"MX#Chrome#Linux"}
    # Nothing held about the person points at an access record, and the export has none.
    export = http.get("/account/export", headers=as_user(cookie)).body.decode()
    assert "ACCESS#" not in export and "Chrome" not in export


def test_p23_a_counter_that_fails_costs_the_count_never_the_page(http, ports, monkeypatch, source_ip):  # noqa: F811
    import shared.ports
    from shared.store.access import AccessRepository
    from tests.conftest import LOG_CAPTURE, PERSONAL_DATA

    class Refusing(AccessRepository):
        def count(self, *args) -> None:
            raise RuntimeError("throttled 189.203.99.1")

    address = "189.203.99.1"
    PERSONAL_DATA.add(address)
    failing = ports.replace(access=Refusing(ports.table))
    monkeypatch.setattr(shared.ports, "process_ports", lambda: failing)
    source_ip(address)
    response = http.get("/")
    assert response.status_code == 200 and 'id="greeting"' in response.body.decode()
    assert "access count not written" in LOG_CAPTURE.getvalue()


@pytest.mark.parametrize("user_agent", ["", "\t", "a" * 10_000, "Mozilla/5.0 (" * 200, "\u202e\u0000bot"])
def test_p23_any_user_agent_is_counted_without_an_error(http, ports, user_agent):
    before = total(ports)
    assert http.get("/", headers={"User-Agent": user_agent}).status_code == 200
    assert total(ports) == before + 1
