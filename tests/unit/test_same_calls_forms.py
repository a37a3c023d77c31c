"""The pages' plain form posts go through the same equal-call paths as the JSON API: a form
post of any address makes the same DynamoDB calls and answers the same page, byte for byte,
whether the address has an account (of any status), was referred, was forgotten or is new."""
from __future__ import annotations

from typing import Callable

import pytest

from tests.unit.test_same_calls import ADDRESSES, _world


def _signup(address: str, ports, caller):
    from chalicelib.blueprints.accounts import signup_form

    return signup_form({"email": address}, ports)


def _login(address: str, ports, caller):
    from chalicelib.blueprints.accounts import login_request_form

    return login_request_form({"email": address, "return_to": "/my-account/tell-a-friend"}, ports)


def _refer(address: str, ports, caller):
    from chalicelib.blueprints.referrals import refer_form

    return refer_form({"friend_name": "Sam", "friend_email": address}, ports, caller)


FORMS: dict[str, Callable] = {"POST /signup (form)": _signup, "POST /login (form)": _login,
                              "POST /referrals (form)": _refer}


@pytest.mark.parametrize("form", FORMS)
def test_p06_p28_a_form_post_makes_the_same_calls_and_page_for_every_kind_of_address(form):
    """P06 (a referral tells nothing about the friend), P28 (signup and sign-in tell nothing
    about a closed account): the form variant's calls and page are the same for every kind."""
    calls, pages = {}, {}
    for kind, address in ADDRESSES.items():
        ports, caller = _world()
        ports.table.start_recording()
        page = FORMS[form](address, ports, caller)
        calls[kind], pages[kind] = ports.table.recorded(), (page.status_code, page.body)
    assert calls["fresh"] and pages["fresh"][0] == 200, "the form was not taken"
    assert all(c == calls["fresh"] for c in calls.values()), calls
    assert all(p == pages["fresh"] for p in pages.values())
    assert not any(address in pages["fresh"][1] for address in ADDRESSES.values())
