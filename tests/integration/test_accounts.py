"""Passwordless sign-in, sessions and My Account (P04, P20, P21, P28)."""
from __future__ import annotations

import json

import pytest

from functions import ops
from shared.ids import address_hash, token_hash
from shared.store.sign_in import Session
from tests.integration.accounts_helpers import as_user, session_cookie, signed_in
from tests.integration.conftest import deliver, link_path, mail_to
from tests.integration.test_signup import account_of, sign_up
from tests.integration.test_unsubscribe import promotional_job


def get_json(http, path, cookie):
    return http.client.http.get(path, headers=as_user(cookie))


def send_json(http, method, path, cookie, body, **headers):
    call = getattr(http.client.http, method)
    return call(path, headers=as_user(cookie, **{"Content-Type": "application/json", **headers}), body=json.dumps(body))


# -- sign-in ---------------------------------------------------------------------------

def test_sign_in_link_by_email_starts_a_session(http, ports, person):
    account, _ = signed_in(http, ports, person)
    assert http.post_json("/login", {"email": person.email}).status_code == 202
    deliver(ports)
    mail = mail_to(person.email)[0]
    assert mail["subject"] == "Your Calling Card Store sign-in link"
    path = link_path(mail["text"], "/login/")
    assert http.get(path).status_code == 200  # a prefetch uses nothing
    used = http.post_form(path, "")
    assert used.status_code == 303 and used.headers["Location"] == "/my-account"
    me = get_json(http, "/account", session_cookie(used))
    assert me.status_code == 200
    assert json.loads(me.body)["account_id"] == account.account_id
    assert http.post_form(path, "").status_code == 400  # single use


@pytest.mark.parametrize("state", ["unknown", "pending", "deactivated"])
def test_only_an_active_account_gets_a_sign_in_link_and_every_address_the_same_answer(http, ports, make_person, state):
    person = make_person()
    if state == "pending":
        sign_up(http, person)
    elif state == "deactivated":
        _, cookie = signed_in(http, ports, person)
        http.client.http.post("/account/deactivate", headers=as_user(cookie))
    deliver(ports)
    before = len(mail_to(person.email))
    answer = http.post_json("/login", {"email": person.email})
    assert answer.status_code == 202 and http.json(answer) == {"status": "check_your_email"}
    deliver(ports)
    assert len(mail_to(person.email)) == before


def test_link_mails_are_capped_across_signup_and_login(http, ports, person):
    signed_in(http, ports, person)  # welcome: 1 link mail this hour
    for _ in range(3):
        sign_up(http, person)
    for _ in range(5):
        assert http.post_json("/login", {"email": person.email}).status_code == 202
    deliver(ports)
    assert len(mail_to(person.email)) == 5


def test_p21_session_cookie_is_httponly_secure_lax_and_ends_with_the_browser(http, ports, person):
    sign_up(http, person)
    deliver(ports)
    used = http.post_form(link_path(mail_to(person.email)[-1]["text"], "/login/"), "")
    attributes = [part.strip().lower() for part in used.headers["Set-Cookie"].split(";")]
    assert {"httponly", "secure", "samesite=lax", "path=/"} <= set(attributes)
    assert not any(a.startswith(("expires", "max-age")) for a in attributes)


def test_p20_session_token_is_random_stored_only_as_a_hash_and_says_nothing_about_the_person(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    token = cookie.split("=", 1)[1]
    assert len(token) >= 32  # 256 bits, base64url
    assert ports.table.get(Session.key(token)) is None
    stored = ports.table.get(Session.key(token_hash(token)))
    assert stored["account_id"] == account.account_id
    assert person.email not in token and account.account_id not in token


def test_signing_in_again_rotates_the_session(http, ports, person):
    _, old_cookie = signed_in(http, ports, person)
    http.post_json("/login", {"email": person.email})
    deliver(ports)
    path = link_path(mail_to(person.email)[0]["text"], "/login/")
    used = http.post_form(path, "", headers={"Cookie": old_cookie})
    assert get_json(http, "/account", old_cookie).status_code == 401
    assert get_json(http, "/account", session_cookie(used)).status_code == 200


def test_logout_ends_the_session(http, ports, person):
    _, cookie = signed_in(http, ports, person)
    out = http.client.http.post("/logout", headers=as_user(cookie, **{"Content-Type": "application/json"}), body="")
    assert out.status_code == 200 and "Max-Age=0" in out.headers["Set-Cookie"]
    assert get_json(http, "/account", cookie).status_code == 401


def test_an_expired_session_is_refused(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    token = cookie.split("=", 1)[1]
    ports.sign_in.put_session(Session(token_hash(token), account.account_id, ports.clock.iso(), int(ports.clock.now()) - 1))
    response = get_json(http, "/account", cookie)
    assert response.status_code == 401 and json.loads(response.body)["error"]["code"] == "not_signed_in"


@pytest.mark.parametrize("cookie", [None, "__Host-session=made-up", "__Host-session=", "garbage;;=="])
def test_account_routes_need_a_valid_session(http, cookie):
    headers = {"Cookie": cookie} if cookie else {}
    for path in ("/account", "/account/preferences", "/account/export"):
        response = http.client.http.get(path, headers=headers)
        assert response.status_code == 401
    page = http.client.http.get("/my-account", headers=headers)
    assert page.status_code == 401 and b"Sign in" in page.body


def test_cross_site_form_posts_are_refused_but_mail_links_are_not(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    evil = {"Origin": "https://evil.example"}
    response = send_json(http, "put", "/account/preferences", cookie,
                         {"topics": {"newsletter": False, "promotions": False}}, **evil)
    assert response.status_code == 403 and json.loads(response.body)["error"]["code"] == "cross_site_request"
    opaque = send_json(http, "put", "/account/preferences", cookie,
                       {"topics": {"newsletter": False, "promotions": False}}, Origin="null")
    assert opaque.status_code == 403
    assert ports.accounts.preferences(account.account_id).topics["newsletter"] is True
    assert http.get("/my-account/email-preferences", headers=as_user(cookie)).headers["Referrer-Policy"] == "same-origin"
    same_site = send_json(http, "put", "/account/preferences", cookie,
                          {"topics": {"newsletter": False, "promotions": True}}, Origin=ports.settings.base_url)
    assert same_site.status_code == 200
    unsubscribe = link_path(mail_to(person.email)[-1]["text"], "/unsubscribe/")
    one_click = http.client.http.post(unsubscribe, headers={"Content-Type": "application/x-www-form-urlencoded", **evil},
                                      body="List-Unsubscribe=One-Click")
    assert one_click.status_code == 200


# -- P04: the profile ------------------------------------------------------------------

def test_p04_customer_reads_and_changes_their_name(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    me = json.loads(get_json(http, "/account", cookie).body)
    assert me == {"account_id": account.account_id, "email": person.email, "name": person.name, "status": "active",
                  "policy_version": 1, "preferences": {"topics": {"newsletter": True, "promotions": True}}}
    changed = send_json(http, "patch", "/account", cookie, {"name": person.name + " Jr"})
    assert changed.status_code == 200
    assert json.loads(get_json(http, "/account", cookie).body)["name"] == person.name + " Jr"


def test_p04_a_new_email_takes_effect_only_through_its_link_and_the_old_address_is_told(http, ports, make_person):
    person, new = make_person(), make_person()
    account, cookie = signed_in(http, ports, person)
    http.post_json("/login", {"email": person.email})  # a second browser signs in too
    deliver(ports)
    elsewhere = session_cookie(http.post_form(link_path(mail_to(person.email)[0]["text"], "/login/"), ""))
    answer = send_json(http, "patch", "/account", cookie, {"email": new.email})
    assert answer.status_code == 200 and json.loads(answer.body)["email_change"] == "check_your_email"
    assert json.loads(get_json(http, "/account", cookie).body)["email"] == person.email
    deliver(ports)
    confirm = mail_to(new.email)
    assert [m["subject"] for m in confirm] == ["Confirm your new address for the Calling Card Store"]
    used = http.post_form(link_path(confirm[0]["text"], "/login/"), "", headers={"Cookie": cookie})  # first browser
    assert used.status_code == 200 and "Set-Cookie" not in used.headers  # confirms; signs nobody in
    assert b"new address is confirmed" in used.body
    assert json.loads(get_json(http, "/account", cookie).body)["email"] == new.email  # the session carries on
    assert get_json(http, "/account", elsewhere).status_code == 401  # every other session of the account ends
    assert account_of(ports, new.email).account_id == account.account_id
    assert ports.accounts.account_id_for(address_hash(person.email, ports.settings.hash_key())) is None
    deliver(ports)
    assert mail_to(person.email)[0]["subject"] == "Your Calling Card Store address was changed"


def test_p04_changing_to_an_address_in_use_answers_the_same_and_reveals_nothing(http, ports, make_person):
    person, other, free = make_person(), make_person(), make_person()
    signed_in(http, ports, other)
    _, cookie = signed_in(http, ports, person)
    taken = send_json(http, "patch", "/account", cookie, {"email": other.email})
    available = send_json(http, "patch", "/account", cookie, {"email": free.email})
    assert taken.status_code == available.status_code == 200
    assert json.loads(taken.body)["email_change"] == json.loads(available.body)["email_change"]
    before = len(mail_to(other.email))
    deliver(ports)
    assert len(mail_to(other.email)) == before
    assert json.loads(get_json(http, "/account", cookie).body)["email"] == person.email


@pytest.mark.parametrize("body", [{}, {"email": "nope"}, {"name": ""}, {"name": "A", "status": "active"}, {"name": 5}])
def test_bad_profile_updates_get_400_and_change_nothing(http, ports, person, body):
    _, cookie = signed_in(http, ports, person)
    assert send_json(http, "patch", "/account", cookie, body).status_code == 400
    assert json.loads(get_json(http, "/account", cookie).body)["name"] == person.name


# -- preferences -----------------------------------------------------------------------

def test_p03_signed_in_customer_switches_each_topic_off_and_on(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    off = send_json(http, "put", "/account/preferences", cookie, {"topics": {"newsletter": False, "promotions": True}})
    assert json.loads(off.body) == {"topics": {"newsletter": False, "promotions": True}}
    assert not ports.accounts.in_audience("newsletter", account.account_id)
    on = send_json(http, "put", "/account/preferences", cookie, {"topics": {"newsletter": True, "promotions": True}})
    assert json.loads(on.body)["topics"]["newsletter"] is True
    assert ports.accounts.in_audience("newsletter", account.account_id)
    history = ports.accounts.consent_history(account.account_id)
    assert [e["source"] for e in history].count("preferences_api") == 2


@pytest.mark.parametrize("body", [
    {"topics": {"newsletter": True}},
    {"topics": {"newsletter": "yes", "promotions": True}},
    {"topics": {"newsletter": True, "promotions": True, "service": False}},
    {"topics": []},
    {},
])
def test_bad_preference_bodies_get_400_and_change_nothing(http, ports, person, body):
    account, cookie = signed_in(http, ports, person)
    assert send_json(http, "put", "/account/preferences", cookie, body).status_code == 400
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": True, "promotions": True}


def test_the_email_preferences_page_switches_topics_and_stops_all(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    saved = http.client.http.post("/my-account/email-preferences", headers=form, body="promotions=on&action=save")
    assert saved.status_code == 200 and b"Saved." in saved.body
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": False, "promotions": True}
    http.client.http.post("/my-account/email-preferences", headers=form, body="newsletter=on&promotions=on&action=stop_all")
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": False, "promotions": False}


# -- P28: deactivation -----------------------------------------------------------------

def test_p28_deactivation_ends_sessions_sign_in_mail_and_audiences_but_deletes_nothing(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    second_browser = session_cookie(http.post_form(*_fresh_sign_in_link(http, ports, person)))
    response = http.client.http.post("/account/deactivate", headers=as_user(cookie))
    assert response.status_code == 200 and "Max-Age=0" in response.headers["Set-Cookie"]
    for browser in (cookie, second_browser):
        assert get_json(http, "/account", browser).status_code == 401
    stored = ports.accounts.get(account.account_id)
    assert stored.status == "deactivated" and stored.email == person.email and stored.name == person.name
    for topic in ("newsletter", "promotions"):
        assert not ports.accounts.in_audience(topic, account.account_id)
    assert not ports.accounts.in_active_index(account.account_id)
    before = len(mail_to(person.email))
    http.post_json("/login", {"email": person.email})
    sign_up(http, person)
    job = promotional_job(ports, account.account_id)
    deliver(ports)
    assert len(mail_to(person.email)) == before
    assert ports.outbox.job(job.job_id).status == "skipped"


def _fresh_sign_in_link(http, ports, person):
    http.post_json("/login", {"email": person.email})
    deliver(ports)
    return link_path(mail_to(person.email)[0]["text"], "/login/"), ""


def test_p28_only_the_audited_dispute_lookup_reads_a_deactivated_account(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    http.client.http.post("/account/deactivate", headers=as_user(cookie))
    found = ops.run("ops_dispute_lookup", {"account_id": account.account_id}, ports)
    assert found["profile"]["email"] == person.email and found["profile"]["status"] == "deactivated"
    today = ports.clock.iso()[:10]
    entries = ports.audit.entries_on(today)
    assert any(e.operation == "ops_dispute_lookup" and e.account_id == account.account_id for e in entries)
    assert ops.run("ops_dispute_lookup", {}, ports)["error"]["code"] == "validation_error"


def test_deactivation_from_the_page_needs_a_confirming_tick(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    refused = http.client.http.post("/my-account/deactivate", headers=form, body="")
    assert refused.status_code == 400 and ports.accounts.get(account.account_id).status == "active"
    closed = http.client.http.post("/my-account/deactivate", headers=form, body="confirm=yes")
    assert closed.status_code == 200 and ports.accounts.get(account.account_id).status == "deactivated"


def test_export_holds_profile_preferences_and_consent_history(http, ports, person):
    account, cookie = signed_in(http, ports, person)
    send_json(http, "put", "/account/preferences", cookie, {"topics": {"newsletter": False, "promotions": True}})
    exported = json.loads(get_json(http, "/account/export", cookie).body)
    assert exported["profile"]["email"] == person.email and exported["profile"]["name"] == person.name
    assert exported["preferences"] == {"topics": {"newsletter": False, "promotions": True}}
    assert [e["source"] for e in exported["consent_history"]] == ["signup", "confirm_page", "preferences_api"]
    assert exported["orders"] == [] and exported["referrals"] == []


def test_active_accounts_are_indexed_for_service_mail_and_pending_ones_are_not(http, ports, make_person):
    pending, active = make_person(), make_person()
    sign_up(http, pending)
    account, _ = signed_in(http, ports, active)
    assert ports.accounts.in_active_index(account.account_id)
    assert not ports.accounts.in_active_index(account_of(ports, pending.email).account_id)


def test_p04_a_replaced_address_change_link_changes_nothing_and_signs_nobody_in(http, ports, make_person):
    """An owner asks to move to a mistyped address, then corrects it: whoever holds the
    first link gets neither the address change nor a session."""
    person, mistyped, right = make_person(), make_person(), make_person()
    account, cookie = signed_in(http, ports, person)
    send_json(http, "patch", "/account", cookie, {"email": mistyped.email})
    send_json(http, "patch", "/account", cookie, {"email": right.email})
    deliver(ports)
    stale = http.post_form(link_path(mail_to(mistyped.email)[0]["text"], "/login/"), "")
    assert stale.status_code == 400 and "Set-Cookie" not in stale.headers
    assert json.loads(get_json(http, "/account", cookie).body)["email"] == person.email
    fresh = http.post_form(link_path(mail_to(right.email)[0]["text"], "/login/"), "")
    assert fresh.status_code == 200 and "Set-Cookie" not in fresh.headers
    assert account_of(ports, right.email).account_id == account.account_id
