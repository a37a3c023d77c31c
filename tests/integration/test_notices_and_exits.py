"""Notices at the edge (P21, P25, P26) and who may see what each route returns (P16)."""
from __future__ import annotations

import json

import pytest

from functions import ops
from shared.data_map import EXITS, OPERATOR, OWN, PUBLIC
from tests.integration.accounts_helpers import as_user, signed_in

def new_policy(ports) -> dict:
    from functions.notices import current

    version = current(ports).version + 1
    return {"version": version, "text_markdown": f"# Version {version}\n\nWe keep access trends for a year.",
            "material": True}


def test_p25_a_material_change_shows_on_the_home_page_until_hidden_by_the_display_cookie(http, ports):
    published = ops.run("ops_publish_policy", new_policy(ports), ports)
    home = http.get("/")
    assert b"Our privacy policy has changed" in home.body and b'href="/privacy"' in home.body
    assert b"We keep access trends for a year" in http.get("/privacy").body
    assert [v["version"] for v in http.json(http.get("/privacy.json"))["versions"]][-1] == published["version"]
    notice_id = f"policy-v{published['version']:03d}"
    hidden = http.post_form(f"/notices/{notice_id}/hide", "")
    assert hidden.status_code == 303
    cookie = hidden.headers["Set-Cookie"]
    assert cookie.startswith(f"__Host-display={notice_id};") and "Max-Age=31536000" in cookie  # persistent: P21
    assert b"Our privacy policy has changed" not in http.get("/", headers={"Cookie": cookie.split(";")[0]}).body


def test_p25_my_account_shows_an_unseen_material_change_until_the_customer_has_read_it(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    assert b'id="policy-notice"' not in http.get("/my-account", headers=as_user(cookie)).body
    published = ops.run("ops_publish_policy", new_policy(ports), ports)
    assert b'id="policy-notice"' in http.get("/my-account", headers=as_user(cookie)).body
    seen = http.post_form("/my-account/policy-notice", f"version={published['version']}", headers=as_user(cookie))
    assert seen.status_code == 303
    assert b'id="policy-notice"' not in http.get("/my-account", headers=as_user(cookie)).body
    assert ports.accounts.get(account.account_id).policy_version == published["version"]


def test_p26_a_business_transition_notice_is_on_the_home_page(http, ports):
    ops.run("ops_post_notice", {"kind": "business_transition", "text": "The store joins Example Telecom."}, ports)
    assert b"The store joins Example Telecom." in http.get("/").body


@pytest.mark.parametrize("bad", ["%20", "a" * 65, "x.y"])
def test_a_garbage_notice_id_to_hide_is_refused(http, bad):
    assert http.post_form(f"/notices/{bad}/hide", "").status_code in (400, 404)


def test_p16_every_route_and_operator_function_says_who_may_see_the_personal_data_it_returns():
    """A route or operator function that would hand personal data to someone other than the
    person it is about must not exist: each is classified, and only as public (no personal
    data), the customer's own, a mailed link's holder, or an audited operator function."""
    import app
    from chalicelib.events import OPERATOR_FUNCTIONS

    routes = set(app.app.routes)
    unclassified = sorted(r for r in routes if r not in EXITS and r != "/favicon.ico")
    assert unclassified == []
    stale = sorted(r for r in EXITS if r.startswith("/") and r not in routes)
    assert stale == []
    assert EXITS["ops_*"] == OPERATOR and all(name.startswith("ops_") for name in OPERATOR_FUNCTIONS)


def test_p16_no_route_shows_one_person_another_persons_data(http, ports, make_person):
    """Two customers with orders, referrals and preferences: every GET route, anonymous and as
    the first customer, answers without the second's address or name."""
    import app

    first, second = make_person(), make_person()
    _, cookie = signed_in(http, ports, first)
    _, other_cookie = signed_in(http, ports, second)
    http.post_json("/referrals", {"friend_name": "Pat", "friend_email": "pat.x@example.net"},
                   headers=as_user(other_cookie))
    ops.run("ops_record_disclosure", {"account_id": signed_in_id(ports, second), "recipient": "Court",
                                      "legal_basis": "Order 7", "fields": ["email"]}, ports)
    leaks = []
    for path, methods in app.app.routes.items():
        if "GET" not in methods or "{" in path or EXITS.get(path) not in (PUBLIC, OWN):
            continue
        for headers in ({}, as_user(cookie)):
            body = http.get(path, headers=headers).body.decode("utf-8", "replace")
            leaks += [(path, what) for what in (second.email, second.name, "pat.x@example.net") if what in body]
    assert leaks == []


def signed_in_id(ports, person) -> str:
    from tests.integration.test_signup import account_of

    return account_of(ports, person.email).account_id
