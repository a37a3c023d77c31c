"""What a card gives (/products, /rates), the receipt and the order page (P10), through the
app on moto."""
from __future__ import annotations

import json
import time

import pytest

from tests.integration.accounts_helpers import as_user, signed_in
from tests.integration.conftest import deliver, mail_to
from tests.integration.test_commerce import checkout, deliver_callback, import_pins

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_products_carry_rates_minutes_fees_expiry_access_numbers_and_a_dialing_example(http):
    listed = {p["sku"]: p for p in http.json(http.get("/products"))}
    mexico = listed["MX-25"]
    assert mexico["rates"] == {"landline_per_minute": "0.019", "mobile_per_minute": "0.049"}
    assert mexico["minutes"] == {"landline": 1315, "mobile": 510}
    assert mexico["fees"] == {"connection": "0.00", "maintenance": "0.00"} and mexico["expiry_days"] == 90
    assert {"from_country": "US", "city": None, "number": "1-800-555-0100", "toll_free": True} in mexico["access_numbers"]
    assert mexico["dialing_example"] == "dial 1-800-555-0100, enter the PIN, then 011 52 55 1234 5678 #"


def test_the_rate_table_as_json_for_api_clients(http):
    table = http.json(http.get("/rates"))
    assert len(table) >= 5 and set(table[0]) == {"destination", "country_name", "landline_per_minute",
                                                "mobile_per_minute", "currency"}
    one = http.client.http.get("/rates?destination=MX")
    assert one.status_code == 200 and one.headers["Vary"] == "Accept"
    assert json.loads(one.body) == [{"destination": "MX", "country_name": "Mexico", "landline_per_minute": "0.019",
                                     "mobile_per_minute": "0.049", "currency": "USD"}]


@pytest.mark.parametrize("destination, status, code", [("Mexico", 400, "invalid_destination"),
                                                       ("1", 400, "invalid_destination"),
                                                       ("FR", 404, "unknown_destination")])
def test_a_bad_destination_gets_the_contract_error_shape(http, destination, status, code):
    response = http.client.http.get(f"/rates?destination={destination}")
    assert response.status_code == status and response.headers["Content-Type"].startswith("application/json")
    body = json.loads(response.body)
    assert set(body) == {"error"} and body["error"]["code"] == code and body["error"]["message"]


def test_browsers_get_the_rates_page_searchable_with_a_plain_form(http):
    page = http.client.http.get("/rates", headers=BROWSER)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    body = page.body.decode()
    assert '<form method="get" action="/rates"' in body  # a plain GET form: no script needed
    assert "Mexico" in body and "Philippines" in body and "0.049 USD" in body
    found = http.client.http.get("/rates?destination=phil", headers=BROWSER).body.decode()
    assert "Philippines" in found and "Mexico" not in found
    missing = http.client.http.get("/rates?destination=Atlantis", headers=BROWSER)
    assert missing.status_code == 404 and b"We sell no cards for" in missing.body


def test_the_shop_shows_minutes_fees_expiry_and_access_numbers(http):
    body = http.client.http.get("/shop", headers=BROWSER).body.decode()
    for words in ("Minutes to landlines", "526", "Connection 0.00, maintenance 0.00", "90 days after first use",
                  'href="tel:+18005550100"', "enter the PIN,", "then 011 52 55 1234 5678 #", 'href="/rates"'):
        assert words in body, words


def test_the_openapi_document_describes_the_new_fields(http):
    schemas = http.json(http.get("/openapi.json"))["components"]["schemas"]
    product = schemas["ProductView"]["properties"]
    assert {"rates", "minutes", "fees", "expiry_days", "access_numbers", "dialing_example"} <= set(product)
    assert "rounded down" in schemas["Minutes"]["properties"]["landline"]["description"]
    assert schemas["RateRow"]["properties"]["destination"]["description"]


def test_p10_three_cards_one_receipt_in_the_mail_and_on_the_owners_order_page(http, ports, person, make_person):
    _, cookie = signed_in(http, ports, person)
    import_pins(ports, "MX-10", 3)
    started = json.loads(checkout(http, cookie, {"sku": "MX-10", "quantity": 3}).body)
    order_id = started["order_id"]
    assert deliver_callback(http, ports, order_id).status_code == 200
    deliver(ports)
    [mail] = [m for m in mail_to(person.email) if m["subject"] == "Your 3 calling cards: PINs and dialing instructions"]
    code = ports.commerce.order(order_id).code
    text = mail["text"]
    assert code and code in text and "Here are your 3 calling cards" in text and "these PINs" in text
    assert "3 x Mexico 10 at 10.00 USD: 30.00 USD" in text and "Total: 30.00 USD" in text
    assert "Prices include all taxes." in text and f"Paid by card via {ports.processor.name}" in text
    assert f"/my-account/orders/{order_id}" in text
    page = http.client.http.get(f"/my-account/orders/{order_id}", headers=as_user(cookie, **BROWSER))
    body = page.body.decode()
    assert page.status_code == 200 and code in body and "Your 3 calling cards" in body
    assert body.count('class="pin"') == 3 and body.count("Buy again") == 3 and 'href="tel:+18005550100"' in body
    assert "30.00 USD" in body and "Prices include all taxes." in body
    assert 'data-copy="' in body and "hidden>Copy PIN</button>" in body  # shown by site.js only
    _, stranger = signed_in(http, ports, make_person())
    other = http.client.http.get(f"/my-account/orders/{order_id}", headers=as_user(stranger, **BROWSER))
    assert other.status_code == 404 and code.encode() not in other.body
    signed_out = http.client.http.get(f"/my-account/orders/{order_id}", headers=BROWSER)
    assert signed_out.status_code == 401 and code.encode() not in signed_out.body


def test_my_account_lists_orders_newest_first_with_date_code_items_total_and_status(http, ports, person):
    _, cookie = signed_in(http, ports, person)
    first = json.loads(checkout(http, cookie, {"sku": "MX-10", "quantity": 1}).body)["order_id"]
    time.sleep(0.01)  # created_at is to the millisecond
    second = json.loads(checkout(http, cookie, {"sku": "IN-10", "quantity": 2}).body)["order_id"]
    body = http.client.http.get("/my-account", headers=as_user(cookie, **BROWSER)).body.decode()
    assert body.index(f"/my-account/orders/{second}") < body.index(f"/my-account/orders/{first}")
    for order_id in (first, second):
        assert ports.commerce.order(order_id).code in body
    assert "2 x India 10 calling card" in body and "20.00 USD" in body and "Waiting for payment" in body
    listed = http.json(http.client.http.get("/account/orders", headers=as_user(cookie)))["orders"]
    assert [o["order_id"] for o in listed] == [second, first] and all(o["code"].startswith("CCS-") for o in listed)


def test_the_openapi_document_names_the_rates_query_and_its_errors(http):
    operation = http.json(http.get("/openapi.json"))["paths"]["/rates"]["get"]
    assert [(p["name"], p["in"]) for p in operation["parameters"]] == [("destination", "query")]
    assert {"200", "400", "404"} <= set(operation["responses"])
