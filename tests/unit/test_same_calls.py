"""No endpoint that takes an address tells, by the calls it makes, whether that address has
an account (of any status), was referred, or was forgotten: for each, the sequence of
DynamoDB operations (names, and a transaction's operation count) is the same for a
customer's, a pending account's, a deactivated account's, a referred, a forgotten and a
fresh address. Answer times follow the calls; the bench's address table measures them."""
from __future__ import annotations

from typing import Callable

import pytest

from functions import accounts, contact, referrals
from functions.sign_in_links import SignInRequest, request_sign_in
from functions.signup import SignupRequest, sign_up
from shared.ids import address_hash
from shared.ports import Ports
from tests.fakes import fake_ports
from tests.unit.people import subscriber

ADDRESSES = {
    "customer": "cust.omer@example.org",
    "pending": "pen.ding@example.org",
    "deactivated": "gone.away@example.org",
    "referred": "re.ferred@example.net",
    "forgotten": "for.gotten@example.net",
    "fresh": "never.seen@example.net",
}


def _world() -> tuple[Ports, object]:
    """One store holding an address of every kind, and a signed-in caller."""
    ports = fake_ports()
    caller, referrer = subscriber(ports, 1), subscriber(ports, 2)
    for kind in ("customer", "pending", "deactivated"):
        sign_up(SignupRequest(email=ADDRESSES[kind]), ports)
    from functions.one_time_links import mint
    from functions.sign_in_links import use

    for kind in ("customer", "deactivated"):
        account_id = ports.accounts.account_id_for(address_hash(ADDRESSES[kind], ports.settings.hash_key()))
        assert account_id is not None
        account = use(mint(account_id, "confirm", ports).rsplit("/", 1)[1], ports).account
        if kind == "deactivated":
            accounts.deactivate(account, ports)
    referrals.refer(referrer, referrals.ReferralRequest(friend_name="Ref", friend_email=ADDRESSES["referred"]), ports)
    referrals.forget(ADDRESSES["forgotten"], ports)
    ports.clock.sleep(3600)  # a new hour: no address starts near its mail cap
    return ports, caller


ENDPOINTS: dict[str, Callable[[str, Ports, object], object]] = {
    "POST /login": lambda address, ports, caller: request_sign_in(SignInRequest(email=address), ports),
    "POST /contact unsubscribe": lambda address, ports, caller: contact.contact(
        contact.ContactRequest(email=address, topic="unsubscribe", message=""), ports),
    "POST /contact forget_friend": lambda address, ports, caller: contact.contact(
        contact.ContactRequest(email=address, topic="forget_friend", message=""), ports),
    "POST /contact question": lambda address, ports, caller: contact.contact(
        contact.ContactRequest(email=address, topic="question", message="Do you sell cards for Peru?"), ports),
    "POST /friends/forget": lambda address, ports, caller: referrals.forget_request(
        referrals.ForgetRequest(email=address), ports),
    "POST /referrals": lambda address, ports, caller: referrals.refer(
        caller, referrals.ReferralRequest(friend_name="Sam", friend_email=address), ports),
    "PATCH /account email (and POST /my-account/info)": lambda address, ports, caller: accounts.update_profile(
        caller, accounts.ProfileUpdate(email=address), ports),
    "POST /signup": lambda address, ports, caller: sign_up(SignupRequest(email=address), ports),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_endpoint_makes_the_same_calls_for_every_kind_of_address(endpoint):
    """P06, P09, P28: the calls do not tell a customer, a pending or a deactivated account,
    a referred, a forgotten or a fresh address apart."""
    calls, answers = {}, {}
    for kind, address in ADDRESSES.items():
        ports, caller = _world()  # a fresh world each: one address's call leaves no trace on another's
        ports.table.start_recording()
        answer = ENDPOINTS[endpoint](address, ports, caller)
        calls[kind] = ports.table.recorded()
        answers[kind] = answer.model_dump(exclude={"account"}) if hasattr(answer, "model_dump") else answer
    assert calls["fresh"], "the recorder saw no call"
    assert {kind: calls[kind] for kind in calls} == {kind: calls["fresh"] for kind in calls}
    assert all(answer == answers["fresh"] for answer in answers.values())


@pytest.mark.parametrize("topic", ["unsubscribe", "forget_friend", "question"])
def test_p12_the_contact_page_form_makes_the_json_posts_calls_and_one_page_for_every_address(topic):
    """P09, P12: POST /contact as the contact page's form post (no JavaScript) makes the calls
    the JSON post makes, and answers the same page, whatever the address."""
    from chalicelib.blueprints.mail_links import contact_form

    message = "Do you sell cards for Peru?"
    calls, pages = {}, {}
    for kind, address in ADDRESSES.items():
        ports, _caller = _world()
        ports.table.start_recording()
        page = contact_form({"email": address, "topic": topic, "message": message}, ports)
        calls[kind] = ports.table.recorded()
        pages[kind] = (page.status_code, page.body)
    ports, caller = _world()
    ports.table.start_recording()
    ENDPOINTS[f"POST /contact {topic}"](ADDRESSES["fresh"], ports, caller)
    json_calls = ports.table.recorded()
    assert json_calls and all(recorded == json_calls for recorded in calls.values())
    assert pages["fresh"][0] == 200 and all(page == pages["fresh"] for page in pages.values())


def test_p15_a_contest_entry_makes_the_same_calls_whatever_the_mailbox_did_before():
    """A fresh mailbox, one whose entry waits for confirmation, one already confirmed, and
    the kinds above: the calls do not tell whether or how an address entered (P14, P15)."""
    from functions.surveys import SubmissionRequest, submit
    from tests.fakes import RecordingMailer
    from tests.unit.contest_helpers import confirm_by_mail
    from tests.unit.test_surveys import define

    kinds = {**ADDRESSES, "entered, confirmed": "conf.irmed@example.net", "entered, pending": "pen.d@example.net"}

    def entry(address: str) -> SubmissionRequest:
        return SubmissionRequest.model_validate({"answers": {"destination": "Mexico"}, "email": address,
                                                 "consent": True})

    calls, answers = {}, {}
    for kind, address in kinds.items():
        ports, _caller = _world()
        mailer = RecordingMailer()
        ports = ports.replace(mailer=mailer)
        contest_id = define(ports, days_open=3)
        submit(contest_id, entry(kinds["entered, pending"]), ports)
        submit(contest_id, entry(kinds["entered, confirmed"]), ports)
        confirm_by_mail(ports, mailer, kinds["entered, confirmed"])
        ports.table.start_recording()
        answers[kind] = submit(contest_id, entry(address), ports).model_dump(exclude={"response_id"})
        calls[kind] = ports.table.recorded()
    assert calls["fresh"] and {k: v for k, v in calls.items()} == {k: calls["fresh"] for k in calls}
    assert all(answer == answers["fresh"] for answer in answers.values())


def test_a_survey_answer_makes_the_same_calls_whoever_sends_it():
    """A plain survey takes no address: its answer is one write, the same for everyone."""
    from functions.surveys import SubmissionRequest, submit
    from tests.unit.test_surveys import define

    ports, _ = _world()
    survey_id = define(ports, kind="survey", days_open=3)
    recorded = []
    for _ in range(2):
        ports.table.start_recording()
        submit(survey_id, SubmissionRequest.model_validate({"answers": {"destination": "Mexico"}, "consent": True}),
               ports)
        recorded.append(ports.table.recorded())
    assert recorded[0] == recorded[1] and recorded[0]
