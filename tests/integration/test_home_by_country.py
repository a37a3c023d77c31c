"""P24 through the HTTP edge: the home page by the viewer's country, the source address as
API Gateway hands it over (`requestContext.identity.sourceIp`, which chalice's local
gateway fills from LambdaEventConverter.LOCAL_SOURCE_IP), and the CloudFront header only
where the stage trusts it."""
from __future__ import annotations

import dataclasses
import re

import boto3
import pytest

from tests.unit.test_home_by_country import GARBAGE_HEADERS, INDIA, MEXICO, PHILIPPINES

GREETING = re.compile(r'<p id="greeting"[^>]*data-country="([A-Z]{2})"')
CARD = re.compile(r'<li class="card[^"]*" data-sku="([^"]+)"')


@pytest.fixture
def source_ip(monkeypatch):
    """Requests come from this address (chalice's local gateway puts it in the event)."""
    from chalice.local import LambdaEventConverter

    def use(address: str) -> None:
        monkeypatch.setattr(LambdaEventConverter, "LOCAL_SOURCE_IP", address)

    return use


@pytest.fixture
def trusted_header(monkeypatch, ports):
    """The stage's setting on: a CloudFront distribution sits in front of the API."""
    import shared.ports

    settings = dataclasses.replace(ports.settings, trust_viewer_country_header=True)
    trusting = ports.replace(settings=settings)
    monkeypatch.setattr(shared.ports, "process_ports", lambda: trusting)
    return trusting


def home(http, headers: dict | None = None) -> tuple[str | None, list[str]]:
    """The home page's greeting country (None: the default page) and its cards in order."""
    response = http.get("/", headers=headers)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert response.headers["Cache-Control"] == "private"  # chosen for this viewer: no shared cache keeps it
    page = response.body.decode()
    assert 'id="signup"' in page and 'id="signup-form"' in page  # the default page's elements stay
    greeting = GREETING.search(page)
    return (greeting.group(1) if greeting else None), CARD.findall(page)


DEFAULT_ORDER = ["MX-10", "MX-25", "IN-10", "PH-20", "GT-10", "CO-10"]


def test_p24_the_source_address_chooses_the_home_page(http, source_ip):
    source_ip(INDIA)
    assert home(http) == ("IN", ["IN-10", "MX-10", "MX-25", "PH-20", "GT-10", "CO-10"])
    source_ip(PHILIPPINES)
    assert home(http) == ("PH", ["PH-20", "MX-10", "MX-25", "IN-10", "GT-10", "CO-10"])
    source_ip(MEXICO)
    country, cards = home(http)
    assert country == "MX" and cards[:2] == ["MX-10", "MX-25"]


def test_p24_a_loopback_or_a_country_without_cards_gets_the_default_home_page(http, source_ip):
    source_ip("127.0.0.1")
    assert home(http) == (None, DEFAULT_ORDER)
    source_ip("8.8.8.8")
    assert home(http) == (None, DEFAULT_ORDER)


def test_p24_a_forged_viewer_country_header_is_ignored_without_cloudfront(http, source_ip):
    """The regional endpoint: a client's own CloudFront-Viewer-Country changes nothing."""
    source_ip("127.0.0.1")
    assert home(http, {"CloudFront-Viewer-Country": "MX"}) == (None, DEFAULT_ORDER)
    source_ip(INDIA)
    assert home(http, {"CloudFront-Viewer-Country": "PH"})[0] == "IN"


def test_p24_the_header_chooses_where_the_stage_trusts_it(http, source_ip, trusted_header):
    source_ip("127.0.0.1")
    assert home(http, {"CloudFront-Viewer-Country": "PH"})[0] == "PH"
    source_ip(INDIA)
    assert home(http, {"CloudFront-Viewer-Country": "MX"})[0] == "MX"


@pytest.mark.parametrize("header", [h for h in GARBAGE_HEADERS if "\x00" not in h])
def test_p24_a_garbage_header_gets_the_default_home_page_never_an_error(http, source_ip, trusted_header, header):
    source_ip("127.0.0.1")
    assert home(http, {"CloudFront-Viewer-Country": header}) == (None, DEFAULT_ORDER)


def test_p24_the_address_is_used_and_dropped(http, source_ip, aws):
    """Nothing the store keeps holds the address: not one attribute of any item."""
    from tests.conftest import PERSONAL_DATA

    address = "189.203.77.123"  # Mexico; the end-of-run log audit checks it is in no log line
    PERSONAL_DATA.add(address)
    source_ip(address)
    assert home(http)[0] == "MX"
    dynamodb = boto3.client("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            assert address not in str(page["Items"])
