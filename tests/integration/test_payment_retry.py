"""Try paying again through the store's routes (P10, P17, P20): a failed payment, or a
customer back from the processor's page without paying, keeps the cart and offers a new
attempt; the cart empties only once the order is paid; one order, one PIN mail."""
from __future__ import annotations

import json

import pytest

from tests.integration.accounts_helpers import as_user
from tests.integration.conftest import deliver, mail_to
from tests.integration.test_commerce import checkout, customer, deliver_callback, import_pins  # noqa: F401 - fixture
from tests.integration.test_form_pages import session_cookie


@pytest.mark.parametrize("left_by", ["fail", "cancel"])
def test_p10_p17_an_unpaid_order_keeps_the_cart_and_is_paid_on_a_second_try(http, ports, customer, left_by):
    """`fail`: the card was declined; `cancel`: the customer came Back from the processor's
    page and its session ended."""
    import_pins(ports, "MX-10", 1)
    _, cookie, person = customer
    cart = session_cookie(http.post_form("/cart/items", "sku=MX-10&quantity=1"))
    both = as_user(f"{cookie}; {cart}")
    order_id = json.loads(checkout(http, f"{cookie}; {cart}", None).body)["order_id"]
    first_session = ports.commerce.order(order_id).session_id
    assert deliver_callback(http, ports, order_id, action=left_by).status_code == 200
    back = http.get(f"/checkout/return?order_id={order_id}", headers=both).body.decode()
    assert "Not paid" in back and 'id="try-again"' in back
    assert "Total: <span class=\"number\">10.00 USD" in http.get("/shop", headers=both).body.decode()  # the cart is kept

    again = http.post_form(f"/account/orders/{order_id}/pay", "", headers=both)
    assert again.status_code == 200 and "outside payment service" in again.body.decode()  # P17's notice again
    second_session = ports.commerce.order(order_id).session_id
    assert second_session != first_session
    assert "Total: <span class=\"number\">10.00 USD" in http.get("/shop", headers=both).body.decode()  # still kept

    assert deliver_callback(http, ports, order_id, action="pay").status_code == 200
    paid = http.get(f"/checkout/return?order_id={order_id}", headers=both).body.decode()
    assert "Paid" in paid and 'id="try-again"' not in paid
    assert "Your cart is empty." in http.get("/shop", headers=both).body.decode()
    deliver(ports)
    assert len([m for m in mail_to(person.email) if "PIN" in m["subject"]]) == 1


def test_the_retry_route_answers_json_for_api_clients_and_409_for_a_paid_order(http, ports, customer):
    import_pins(ports, "MX-10", 1)
    _, cookie, _ = customer
    order_id = json.loads(checkout(http, cookie, {"sku": "MX-10", "quantity": 1}).body)["order_id"]
    json_headers = as_user(cookie, **{"Content-Type": "application/json"})
    again = http.client.http.post(f"/account/orders/{order_id}/pay", headers=json_headers, body="")
    assert again.status_code == 201 and set(http.json(again)) == {"order_id", "redirect_url", "notice"}
    deliver_callback(http, ports, order_id, action="pay")
    refused = http.client.http.post(f"/account/orders/{order_id}/pay", headers=json_headers, body="")
    assert refused.status_code == 409 and http.json(refused)["error"]["code"] == "not_payable"
    stranger = http.client.http.post("/account/orders/ord_000000000000000000000000/pay", headers=json_headers, body="")
    assert stranger.status_code == 404
