"""Signup (P11): one welcome per account, no enumeration, confirm links that a GET never uses."""
from __future__ import annotations

import pytest

from shared.ids import address_hash, token_hash
from shared.store.accounts import Account
from shared.store.sign_in import LoginToken
from tests.integration.conftest import deliver, link_path, mail_to

WELCOME = "Welcome to the Calling Card Store: please confirm your address"


def sign_up(http, person, promotions=True, email=None):
    return http.post_json("/signup", {"email": email or person.email, "name": person.name, "promotions": promotions})


def account_of(ports, address: str) -> Account:
    account_id = ports.accounts.account_id_for(address_hash(address, ports.settings.hash_key()))
    assert account_id, "no account for the address"
    return ports.accounts.get(account_id)


def test_p11_new_account_gets_exactly_one_welcome_with_confirm_and_unsubscribe_links(http, ports, person):
    response = sign_up(http, person)
    assert response.status_code == 202
    assert http.json(response) == {"status": "check_your_email"}
    deliver(ports)
    mails = mail_to(person.email)
    assert [m["subject"] for m in mails] == [WELCOME]
    welcome = mails[0]
    assert person.name not in welcome["text"]  # the address is not proven yet: no text the customer typed
    assert link_path(welcome["text"], "/login/")
    assert link_path(welcome["text"], "/unsubscribe/")
    assert "/unsubscribe/" in welcome["html"]
    assert welcome["headers"]["List-Unsubscribe"].startswith("<http")
    assert welcome["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert account_of(ports, person.email).status == "pending"


def test_p11_signing_up_again_never_sends_a_second_welcome_and_answers_the_same(http, ports, person):
    first = sign_up(http, person)
    again = sign_up(http, person, email=person.email.upper(), promotions=False)
    assert (again.status_code, again.body) == (first.status_code, first.body)
    deliver(ports)
    subjects = [m["subject"] for m in mail_to(person.email)]
    assert subjects.count(WELCOME) == 1
    assert "Your link to confirm your Calling Card Store address" in subjects
    assert len(subjects) == 2


def test_signup_answer_is_identical_for_new_and_known_addresses(http, make_person):
    known, new = make_person(), make_person()
    sign_up(http, known)
    for_known, for_new = sign_up(http, known), sign_up(http, new)
    assert for_known.status_code == for_new.status_code == 202
    assert for_known.body == for_new.body


def test_active_address_signing_up_again_gets_a_sign_in_link(http, ports, person):
    sign_up(http, person)
    deliver(ports)
    confirm = link_path(mail_to(person.email)[0]["text"], "/login/")
    assert http.post_form(confirm, "").status_code == 303
    sign_up(http, person)
    deliver(ports)
    subjects = [m["subject"] for m in mail_to(person.email)]
    assert subjects[0] == "Your Calling Card Store sign-in link"
    assert subjects.count(WELCOME) == 1


def test_deactivated_address_signing_up_again_gets_nothing(http, ports, person):
    sign_up(http, person)
    deliver(ports)
    account = account_of(ports, person.email)
    account.status = "deactivated"
    ports.accounts.put(account)
    assert sign_up(http, person).status_code == 202
    deliver(ports)
    assert len(mail_to(person.email)) == 1


def test_link_mails_to_one_address_are_capped_per_hour_silently(http, ports, person):
    answers = {sign_up(http, person).body for _ in range(8)}
    assert len(answers) == 1
    deliver(ports)
    assert len(mail_to(person.email)) == 5  # UNPROVEN_MAILS_PER_HOUR, welcome included


def test_p02_the_confirm_pages_choice_is_recorded_as_a_consent_event_with_time_and_source(http, ports, person):
    """Signup records every topic off, whatever it asked; the confirm page's Continue records
    what its reader ticked, as the confirm page's."""
    from tests.integration.accounts_helpers import confirm_page_form

    sign_up(http, person, promotions=True)
    account = account_of(ports, person.email)
    [signed_up] = ports.accounts.consent_history(account.account_id)
    assert (signed_up["source"], signed_up["topics"]) == ("signup", {"newsletter": False, "promotions": False})
    deliver(ports)
    page = http.get(link_path(mail_to(person.email)[0]["text"], "/login/"))
    body = page.body.decode()
    assert 'name="newsletter"' in body and 'name="promotions"' in body and "checked" not in body
    assert person.name not in body  # nothing typed at signup reaches the page
    http.post_form(link_path(mail_to(person.email)[0]["text"], "/login/"), confirm_page_form(person, True))
    confirmed = [e for e in ports.accounts.consent_history(account.account_id) if e["source"] == "confirm_page"]
    assert [e["topics"] for e in confirmed] == [{"newsletter": True, "promotions": True}]
    assert confirmed[0]["at"].startswith("20")
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": True, "promotions": True}
    assert account_of(ports, person.email).name == person.name


def test_confirm_link_get_shows_a_button_and_changes_nothing_post_confirms_once(http, ports, person):
    sign_up(http, person)
    deliver(ports)
    path = link_path(mail_to(person.email)[0]["text"], "/login/")
    for _ in range(2):  # a mail scanner's prefetch, then the person
        page = http.get(path)
        assert page.status_code == 200
        assert b"Continue" in page.body
    assert account_of(ports, person.email).status == "pending"
    used = http.post_form(path, "")
    assert used.status_code == 303 and used.headers["Location"] == "/my-account"
    assert used.headers["Set-Cookie"].startswith("__Host-session=")
    assert account_of(ports, person.email).status == "active"
    reused = http.post_form(path, "")
    assert reused.status_code == 400
    assert reused.headers["Content-Type"].startswith("text/html")
    assert http.get(path).status_code == 400


def test_expired_confirm_link_is_refused_and_changes_nothing(http, ports, person):
    sign_up(http, person)
    account = account_of(ports, person.email)
    token = "expired-token-made-up-for-this-test-0123456789"
    ports.sign_in.put_login_token(LoginToken(token_hash(token), account.account_id, "confirm", int(ports.clock.now()) - 1))
    assert http.post_form(f"/login/{token}", "").status_code == 400
    assert account_of(ports, person.email).status == "pending"


@pytest.mark.parametrize("promotions", [True, False])
def test_confirming_joins_only_the_audiences_of_topics_switched_on(http, ports, make_person, promotions):
    person = make_person()
    sign_up(http, person, promotions=promotions)
    deliver(ports)
    account = account_of(ports, person.email)
    from tests.integration.accounts_helpers import confirm_page_form

    http.post_form(link_path(mail_to(person.email)[0]["text"], "/login/"), confirm_page_form(person, promotions))
    for topic in ("newsletter", "promotions"):
        assert ports.accounts.in_audience(topic, account.account_id) is promotions


def test_mail_to_an_unconfirmed_address_carries_no_text_the_customer_typed(http, ports, person):
    """Signup must not mail anyone's words to anyone from our domain: the welcome to an
    address not yet proven leaves the name out; once confirmed, mail greets by name."""
    http.post_json("/signup", {"email": person.email, "name": "Win money at bad.example now", "promotions": False})
    deliver(ports)
    [welcome] = mail_to(person.email)
    assert "bad.example" not in welcome["text"] and "bad.example" not in welcome["html"]
    assert welcome["text"].startswith("Hello,")
    http.post_form(link_path(welcome["text"], "/login/"), "name=Vera")
    http.post_json("/login", {"email": person.email})
    deliver(ports)
    sign_in = mail_to(person.email)[0]  # newest first
    assert sign_in["text"].startswith("Hello Vera,")  # the name given on the confirm page, never the signup's
