"""The pages work without JavaScript: every form is a plain HTML form post answering a page
or a 303, in words for people, and none can be posted from another site."""
from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from tests.integration.accounts_helpers import as_user, session_cookie, signed_in
from tests.integration.conftest import deliver, link_path, mail_to
from tests.integration.test_commerce import customer, paid_order  # noqa: F401 - fixtures

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
# What a customer must never read: validator text and the API's field names.
MACHINE_WORDS = re.compile(r"Value error|value is not a valid|friend_email|friend_name|validation_error|"
                           r"String should|Field required|Input should|\bsku\b|\bemail:")


def machine_words(page: str):
    """Validator text or an API field name in what a customer reads (the text, not the markup)."""
    return MACHINE_WORDS.search(re.sub(r"<[^>]+>", " ", page))


def _values(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x" * 22, path)


def test_p27_every_form_route_refuses_a_post_from_another_site_with_a_page():
    """Plain form posts are "simple" requests (no CORS preflight): every route a form posts
    to refuses one whose Origin is another site's, or that its browser says comes from one."""
    from chalice.test import Client

    import app
    from chalicelib.http import FORM_ROUTES, ONE_CLICK_PATHS
    from local_stage import emulator

    assert {("/signup", "POST"), ("/login", "POST"), ("/referrals", "POST"), ("/cart/items", "POST"),
            ("/cart/items/{sku}", "POST"), ("/checkout", "POST"), ("/my-account/email-preferences", "POST")} <= FORM_ROUTES
    with Client(app.app, stage_name="local", project_dir=str(emulator.ROOT)) as client:
        for path, method in sorted(FORM_ROUTES):
            body = "" if path in ONE_CLICK_PATHS else "email=someone%40example.org"
            for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                            {"Referer": "https://evil.example/page"}):
                answer = client.http.request(method, _values(path), headers={**FORM, **headers}, body=body)
                assert answer.status_code == 403, (path, headers)
                assert answer.headers["Content-Type"].startswith("text/html"), path
                assert "another site" in answer.body.decode()


def test_p11_signup_without_javascript_answers_a_page_and_mails_the_link(http, ports, person):
    page = http.post_form("/signup", urlencode({"email": person.email}))
    assert page.status_code == 200 and "<h1>Check your email</h1>" in page.body.decode()
    assert "account was closed" in page.body.decode() and 'href="/contact"' in page.body.decode()  # P28
    deliver(ports)
    assert len(mail_to(person.email)) == 1


@pytest.mark.parametrize("typed, words", [
    ("", "Enter your email address"),
    ("not-an-address", "Enter an email address in the correct format, like name@example.com"),
    ("a@b", "Enter an email address in the correct format, like name@example.com"),
])
def test_a_failed_signup_says_what_to_do_by_the_field_and_keeps_the_input(http, typed, words):
    page = http.post_form("/signup", urlencode({"email": typed}))
    body = page.body.decode()
    assert page.status_code == 400 and "<title>Error: " in body
    assert f'<a href="#email">{words}</a>' in body  # the summary links to the field
    assert f'<p class="field-error" id="email-error"><span class="visually-hidden">Error:</span> {words}</p>' in body
    assert f'value="{typed}"' in body and 'aria-describedby="email-error"' in body
    assert not machine_words(body)


def test_a_failed_referral_keeps_both_fields_and_speaks_to_people(http, ports, person):
    _, cookie = signed_in(http, ports, person)
    page = http.post_form("/referrals", urlencode({"friend_name": "Pat", "friend_email": "pat at example"}),
                          headers=as_user(cookie))
    body = page.body.decode()
    assert page.status_code == 400 and "<title>Error: Tell a Friend" in body
    assert 'value="Pat"' in body and 'value="pat at example"' in body
    assert "Enter an email address in the correct format" in body and not machine_words(body)
    own = http.post_form("/referrals", urlencode({"friend_name": "Me", "friend_email": person.email}),
                         headers=as_user(cookie))
    assert own.status_code == 400 and "That is your own address" in own.body.decode()
    assert not machine_words(own.body.decode())


def test_p04_a_failed_account_information_save_keeps_what_was_typed(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    page = http.post_form("/my-account/info", urlencode({"name": "New Name", "email": "nope"}), headers=as_user(cookie))
    body = page.body.decode()
    assert page.status_code == 400 and 'value="New Name"' in body and 'value="nope"' in body
    assert person.email not in body  # the old address is not put back in place of the typed one
    assert not machine_words(body)


def test_closing_without_the_tick_keeps_the_orders_and_the_policy_notice(http, ports, paid_order):
    """The bug: the page said "No orders yet." and dropped the policy notice."""
    order_id, (_, cookie, _) = paid_order
    page = http.post_form("/my-account/deactivate", "", headers=as_user(cookie))
    body = page.body.decode()
    assert page.status_code == 400 and "<title>Error: My Account" in body
    assert ports.commerce.order(order_id).code in body and "No orders yet" not in body
    assert '<a href="#confirm">Tick the box to confirm that you want to close your account</a>' in body
    assert http.get("/my-account", headers=as_user(cookie)).status_code == 200  # still open


def test_the_cart_says_when_a_card_reached_the_most_one_order_holds(http):
    answer = http.post_form("/cart/items", "sku=MX-10&quantity=10")
    cookie = session_cookie(answer)
    assert answer.status_code == 303 and answer.headers["Location"] == "/shop?cart=added#cart"
    again = http.post_form("/cart/items", "sku=MX-10&quantity=1", headers={"Cookie": cookie})
    assert again.headers["Location"] == "/shop?cart=capped#cart"
    shop = http.get(again.headers["Location"], headers={"Cookie": cookie}).body.decode()
    assert "the most of that card one order can hold (10)" in shop and 'value="10"' in shop
    assert "Cart <span class=\"count\">(10)</span>" in shop


def test_the_cart_quantity_form_changes_and_removes_a_card(http):
    cookie = session_cookie(http.post_form("/cart/items", "sku=MX-10&quantity=1"))
    assert http.post_form("/cart/items/MX-10", "quantity=3&action=update", headers={"Cookie": cookie}).status_code == 303
    assert "Total: <span class=\"number\">30.00 USD" in http.get("/shop", headers={"Cookie": cookie}).body.decode()
    wrong = http.post_form("/cart/items/MX-10", "quantity=eleven&action=update", headers={"Cookie": cookie})
    assert wrong.status_code == 400 and "Enter a quantity from 0 to 10" in wrong.body.decode()
    assert 'value="eleven"' in wrong.body.decode()
    http.post_form("/cart/items/MX-10", "action=remove", headers={"Cookie": cookie})
    assert "Your cart is empty." in http.get("/shop", headers={"Cookie": cookie}).body.decode()


def test_p17_checkout_without_javascript_shows_the_processors_notice_and_a_double_press_is_one_order(http, ports,
                                                                                                      person):
    _, cookie = signed_in(http, ports, person)
    cart = session_cookie(http.post_form("/cart/items", "sku=MX-10&quantity=1"))
    both = as_user(f"{cookie}; {cart}")
    shop = http.get("/shop", headers=both).body.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', shop).group(1)
    first = http.post_form("/checkout", urlencode({"idempotency_key": key}), headers=both)
    second = http.post_form("/checkout", urlencode({"idempotency_key": key}), headers=both)
    body = first.body.decode()
    assert first.status_code == 200 and "outside payment service" in body and 'id="continue-to-processor"' in body
    assert second.body == first.body  # the same order, the same processor page
    assert len(http.json(http.get("/account/orders", headers=as_user(cookie)))["orders"]) == 1


def test_a_signed_in_home_page_has_no_signup_form_and_the_header_says_so(http, ports, person):
    assert 'action="/signup"' in http.get("/").body.decode()
    _, cookie = signed_in(http, ports, person)
    home = http.get("/", headers=as_user(cookie)).body.decode()
    assert 'action="/signup"' not in home and 'href="/my-account">My Account' in home and 'action="/logout"' in home
    assert 'href="/login">Sign in' not in home


def test_a_browser_gets_an_html_error_page_and_an_api_client_json(http):
    """On a path that has both a page and the JSON API, the Accept header decides; a path of
    pages only answers pages (the local stage's unknown paths: tests/e2e)."""
    page = http.client.http.request("PUT", "/rates", headers=BROWSER)
    api = http.client.http.request("PUT", "/rates", headers={"Accept": "application/json"})
    assert page.status_code == api.status_code == 405
    assert page.headers["Content-Type"].startswith("text/html") and "<title>Error: " in page.body.decode()
    assert "cannot be used that way" in page.body.decode() and "MethodNotAllowed" not in page.body.decode()
    assert api.headers["Content-Type"] == "application/json" and http.json(api)["error"]["code"] == "method_not_allowed"
    shop = http.client.http.request("DELETE", "/shop", headers=BROWSER)
    assert shop.status_code == 405 and shop.headers["Content-Type"].startswith("text/html")


def test_the_privacy_page_lists_its_versions_as_a_page(http):
    body = http.get("/privacy").body.decode()
    assert 'id="versions"' in body and "Version 1, in effect from" in body


def test_a_sign_in_from_an_order_page_lands_on_the_order(http, ports, paid_order):
    """The PIN mail's order link, opened signed out: the sign-in form remembers the page, the
    path is stored with the link's token (the mailed link carries none), and Continue lands on
    the order."""
    order_id, (_, _, person) = paid_order
    order_path = f"/my-account/orders/{order_id}"
    asked = http.get(order_path).body.decode()
    assert f'name="return_to" value="{order_path}"' in asked
    assert http.post_form("/login", urlencode({"email": person.email, "return_to": order_path})).status_code == 200
    deliver(ports)
    link = link_path(mail_to(person.email)[0]["text"], "/login/")
    assert "orders" not in link and "?" not in link
    used = http.post_form(link, "")
    assert used.status_code == 303 and used.headers["Location"] == order_path
    landed = http.get(order_path, headers={"Cookie": session_cookie(used)})
    assert landed.status_code == 200 and ports.commerce.order(order_id).code in landed.body.decode()


@pytest.mark.parametrize("offered", ["//evil.example/", "https://evil.example/", "/login/xyz", "/my-account?x=1"])
def test_a_sign_in_offered_another_place_goes_to_my_account(http, ports, person, offered):
    signed_in(http, ports, person)
    http.post_form("/login", urlencode({"email": person.email, "return_to": offered}))
    deliver(ports)
    used = http.post_form(link_path(mail_to(person.email)[0]["text"], "/login/"), "")
    assert used.status_code == 303 and used.headers["Location"] == "/my-account"


def test_checking_out_signed_out_asks_to_sign_in_and_comes_back_to_the_shop(http):
    cart = session_cookie(http.post_form("/cart/items", "sku=MX-10&quantity=1"))
    asked = http.post_form("/checkout", "idempotency_key=abcdefgh12345678",
                           headers={"Cookie": cart, "Referer": "http://127.0.0.1:8000/shop"})
    assert asked.status_code == 401 and 'name="return_to" value="/shop"' in asked.body.decode()
