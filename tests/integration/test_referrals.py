"""Tell-A-Friend through the HTTP contract on the emulator (P06-P09): the uniform 202, the
invitation mail and its forget-me link, the listing, the export, and bad input that
writes nothing."""
from __future__ import annotations

import json

import pytest

from shared.ids import mailbox_key
from tests.integration.accounts_helpers import as_user, signed_in
from tests.integration.conftest import deliver, link_path, mail_to

INVITATION = "thinks you would like the Calling Card Store"


def refer(http, cookie, friend, name="Pat Friend"):
    return http.post_json("/referrals", {"friend_name": name, "friend_email": friend.email}, headers=as_user(cookie))


def invited_forget_path(http, ports, cookie, friend) -> str:
    """Refer the friend, send the invitation, and return the path of its forget-me link."""
    refer(http, cookie, friend)
    deliver(ports)
    return link_path(mail_to(friend.email)[0]["headers"]["List-Unsubscribe"].strip("<>"), "/friends/forget/")


@pytest.fixture
def customer(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    return account, cookie


def test_p06_a_referral_is_accepted_and_the_friend_gets_one_invitation_with_a_forget_link(http, ports, customer,
                                                                                         make_person):
    _, cookie = customer
    friend = make_person("friend")
    response = refer(http, cookie, friend)
    assert (response.status_code, http.json(response)) == (202, {"status": "accepted"})
    assert refer(http, cookie, friend).status_code == 202  # again: the same answer, no second mail
    deliver(ports)
    [mail] = mail_to(friend.email)
    assert INVITATION in mail["subject"] and "Pat Friend" not in mail["text"]
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/friends/forget/" in mail["headers"]["List-Unsubscribe"]


def test_p06_the_answer_is_the_same_for_a_customer_a_forgotten_address_and_a_new_one(http, ports, customer,
                                                                                    make_person):
    _, cookie = customer
    existing, forgotten, new = make_person(), make_person("friend"), make_person("friend")
    signed_in(http, ports, existing)
    assert http.post_json("/friends/forget", {"email": forgotten.email}).status_code == 202
    answers = {refer(http, cookie, someone).body for someone in (existing, forgotten, new)}
    assert len(answers) == 1
    deliver(ports)
    assert mail_to(forgotten.email) == []
    assert not [m for m in mail_to(existing.email) if INVITATION in m["subject"]]
    assert len(mail_to(new.email)) == 1
    listing = http.json(http.get("/referrals", headers=as_user(cookie)))["referrals"]
    assert [(r["status"], r["friend"]) for r in listing] == [("invited", "A friend")] * 3
    assert all("friend_name" not in r for r in listing)  # asked, never stored


def test_p09_the_invitations_one_click_post_forgets_the_friend_and_no_invitation_follows(http, ports, customer,
                                                                                        make_person):
    _, cookie = customer
    friend = make_person("friend")
    path = invited_forget_path(http, ports, cookie, friend)
    page = http.get(path)
    assert page.status_code == 200 and b"Forget my address" in page.body
    # as a mail provider posts it: no Origin, no cookies
    done = http.client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                 body="List-Unsubscribe=One-Click")
    assert done.status_code == 200
    assert ports.outbox.is_forgotten(mailbox_key(friend.email, ports.settings.hash_key()))
    listing = http.json(http.get("/referrals", headers=as_user(cookie)))["referrals"]
    assert (listing[0]["friend"], listing[0]["status"]) == ("A friend", "invited")  # the referrer sees no change
    refer(http, signed_in(http, ports, make_person())[1], friend)
    deliver(ports)
    assert len(mail_to(friend.email)) == 1  # still only the first invitation


def test_p09_a_cross_site_form_post_to_the_forget_link_is_refused_and_forgets_nothing(http, ports, customer,
                                                                                      make_person):
    _, cookie = customer
    friend = make_person("friend")
    path = invited_forget_path(http, ports, cookie, friend)
    refused = http.client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                   "Origin": "https://evil.example"}, body="")
    assert refused.status_code == 403
    assert not ports.outbox.is_forgotten(mailbox_key(friend.email, ports.settings.hash_key()))


@pytest.mark.parametrize("token", ["nonsense", "eyJoIjoiMDAifQ.AAAA"])
def test_p09_a_tampered_or_foreign_forget_token_is_a_400_page(http, token):
    assert http.get(f"/friends/forget/{token}").status_code == 400


def test_p09_the_contact_forms_forget_friend_topic_forgets_the_friend(http, ports, customer, make_person):
    _, cookie = customer
    friend = make_person("friend")
    refer(http, cookie, friend)
    assert http.post_json("/contact", {"email": friend.email, "topic": "forget_friend"}).status_code == 202
    deliver(ports)
    assert mail_to(friend.email) == []  # the pending invitation was cancelled


@pytest.mark.parametrize("body", [
    {}, {"friend_name": "Pat"}, {"friend_email": "pat@example.net"},
    {"friend_name": "", "friend_email": "pat@example.net"},
    {"friend_name": "Pat", "friend_email": "not-an-address"},
    {"friend_name": "x" * 61, "friend_email": "pat@example.net"},
    {"friend_name": "see http://spam.example", "friend_email": "pat@example.net"},
    {"friend_name": "Pat", "friend_email": "pat@example.net", "extra": 1},
    {"friend_name": "Pat", "friend_email": "pät@example.net"},
])
def test_bad_referrals_get_400_and_write_nothing(http, ports, customer, body):
    _, cookie = customer
    response = http.post_json("/referrals", body, headers=as_user(cookie))
    assert response.status_code == 400 and "error" in http.json(response)
    assert http.json(http.get("/referrals", headers=as_user(cookie)))["referrals"] == []


def test_referring_your_own_address_is_a_400_and_writes_nothing(http, ports, customer, person):
    _, cookie = customer
    response = http.post_json("/referrals", {"friend_name": "Me", "friend_email": person.email.upper()},
                              headers=as_user(cookie))
    assert response.status_code == 400 and "friend_email" in http.json(response)["error"]["message"]
    assert http.json(http.get("/referrals", headers=as_user(cookie)))["referrals"] == []


def test_referrals_need_a_signed_in_account_and_a_deactivated_one_has_no_session(http, ports, customer, make_person):
    _, cookie = customer
    friend = make_person("friend")
    anonymous = http.post_json("/referrals", {"friend_name": "Pat", "friend_email": friend.email})
    assert anonymous.status_code == 401
    http.client.http.post("/account/deactivate", headers=as_user(cookie, **{"Content-Type": "application/json"}),
                          body=json.dumps({}))
    assert refer(http, cookie, friend).status_code == 401
    deliver(ports)
    assert mail_to(friend.email) == []


def test_p08_the_export_lists_the_callers_referrals_but_never_a_friends_address(http, ports, customer, make_person):
    _, cookie = customer
    friend = make_person("friend")
    refer(http, cookie, friend)
    exported = http.json(http.get("/account/export", headers=as_user(cookie)))
    [referral] = exported["referrals"]
    assert referral["status"] == "invited" and referral["referred_at"]
    assert friend.email not in json.dumps(exported)
