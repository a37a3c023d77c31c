"""P27: a link from our mail acts only from our own pages. Another site cannot post its own
sign-in link for a visitor and give them a session in the sender's account (login CSRF);
only the RFC 8058 one-click post, which mail providers send with no Origin, is exempt."""
from __future__ import annotations

import pytest

from tests.integration.accounts_helpers import session_cookie
from tests.integration.conftest import deliver, link_path, mail_to
from tests.integration.test_signup import sign_up

EVIL = "https://evil.example"


def confirm_link(http, ports, person) -> str:
    sign_up(http, person)
    deliver(ports)
    return link_path(mail_to(person.email)[0]["text"], "/login/")


@pytest.mark.parametrize("headers", [
    {"Origin": EVIL},
    {"Origin": "null"},  # a sandboxed frame on another site
    {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    {},  # no browser page at all (a script replaying the link)
    {"Referer": "http://127.0.0.1:8000/"},  # a Referer alone proves nothing
])
def test_p27_a_sign_in_link_posted_from_anywhere_but_our_page_is_refused_and_stays_usable(http, ports, person, headers):
    path = confirm_link(http, ports, person)
    refused = http.client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
                                    body="")
    assert refused.status_code == 403 and "Set-Cookie" not in refused.headers
    used = http.post_form(path, "")  # the visitor's own click on our page still works
    assert used.status_code == 303 and session_cookie(used).startswith("__Host-session=")


def test_p27_a_browser_that_sends_origin_null_from_our_own_page_is_let_through(http, ports, person):
    path = confirm_link(http, ports, person)
    used = http.client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": "null",
                                                "Sec-Fetch-Site": "same-origin"}, body="")
    assert used.status_code == 303


def test_p27_token_pages_send_a_same_origin_referrer_policy(http, ports, person):
    path = confirm_link(http, ports, person)
    page = http.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "same-origin"


def test_p12_the_unsubscribe_page_form_is_checked_but_one_click_from_a_mail_provider_is_not(http, ports, person):
    sign_up(http, person, promotions=True)
    deliver(ports)
    path = link_path(mail_to(person.email)[0]["text"], "/unsubscribe/")
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": EVIL}
    assert http.client.http.post(path, headers=form, body="scope=all").status_code == 403
    assert http.client.http.post(path, headers=form, body="List-Unsubscribe=One-Click").status_code == 200
