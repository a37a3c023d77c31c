"""A complete export (P04, P14, P15, P28): one customer with a record of every kind the table
can hold about a person, made through the real use cases on the fake ports; their export,
and ops_dispute_lookup's, list each kind's data or name it with its retention. A second set
of tests fails when the repositories write a kind that `shared.data_kinds` does not classify."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from functions import contests, mail_outbox, ops, referrals, sessions
from functions.accounts import export
from functions.checkout import CheckoutBody, start_checkout
from functions.contact import ContactRequest, contact
from functions.email_change import request_change
from functions.mail_handlers import MAIL_HANDLERS
from functions.one_time_links import mint
from functions.payments import retry_payment
from functions.processor_callbacks import handle_callback
from functions.referrals import ReferralRequest, refer
from shared import data_kinds
from shared.ids import address_hash
from shared.store.commerce import Pin
from tests.fakes import FakePinVault, FakeProcessor, RecordingMailer, fake_ports, fake_settings
from tests.unit.contest_helpers import DETAILS, confirm_by_mail
from tests.unit.people import subscriber
from tests.unit.test_contests import enter
from tests.unit.test_surveys import define

ROOT = Path(__file__).resolve().parents[2]

# Items written without a `type` attribute: the first word of their partition key (and of
# their sort key, where one partition holds two) gives their kind's name.
UNTYPED = {"AUDIENCE": "audience_member", "CHANGEREQUESTS": "email_change_counter",
           "LINKMAIL": "link_mail_counter", "ACCESS": "access_counter", ("SUPPRESS", "SOFT_BOUNCES"): "soft_bounce_counter",
           ("REFERRER", "COUNTS"): "referrer_counts", ("REFERRER", "DAY"): "referrer_cap",
           ("REFERRER", "WEEK"): "referrer_cap"}

# Every word the repositories use as a key prefix (`WORD#...`), with the kinds whose keys or
# index keys it starts. A new prefix fails test_every_key_prefix_of_the_repositories_is_classified
# until it is added here with its kinds, and each kind is classified in shared/data_kinds.py.
KEY_WORDS = {
    "ACCOUNT": {"account", "preferences", "consent_event", "email_change", "audience_member"},
    "EMAIL": {"email_lookup"}, "CONSENT": {"consent_event"}, "AUDIENCE": {"audience_member"},
    "ACTIVE": {"account"}, "PENDING": {"account"}, "LOGIN": {"login_token"}, "SESSION": {"session"},
    "SESSIONS": {"session"}, "CHANGEREQUESTS": {"email_change_counter"}, "LINKMAIL": {"link_mail_counter"},
    "HOUR": {"email_change_counter", "link_mail_counter"}, "MAIL": {"mail_job"}, "UNSENT": {"mail_job"},
    "FAILED": {"mail_job"}, "SUPPRESS": {"suppression", "soft_bounce_counter"}, "FRIEND": {"forgotten_friend"},
    "CAMPAIGN": {"campaign"}, "PINS": {"pin"}, "PIN": {"pin"}, "STOCK": {"pin"}, "PINMAC": {"pin_marker"},
    "ORDER": {"order", "awaiting_stock"}, "ORDERS": {"order"}, "ORDERCODE": {"order_code"},
    "CHECKOUT": {"checkout_session"}, "PAYMENT_EXCEPTION": {"payment_exception"}, "AWAITING": {"awaiting_stock"},
    "CART": {"cart"}, "IDEMPOTENCY": {"idempotency"}, "SANDBOX": {"sandbox_session"},
    "REFERRAL": {"invitation", "referral", "friend_address"}, "BY": {"referral"},
    "REFERRER": {"referral", "referrer_counts", "referrer_cap"}, "DAY": {"referrer_cap"}, "WEEK": {"referrer_cap"},
    "FRIENDDATA": {"friend_address"}, "SURVEY": {"survey", "survey_response", "draw_seed", "contest_entry_ids",
                                                  "contest_draw"},
    "RESPONSE": {"survey_response"}, "ENTRIES": {"contest_entry_ids"},
    "ENTRANT": {"contest_entrant", "contest_entrant_index", "contest_confirmation_link"},
    "MAILBOX": {"contest_entrant"}, "PERSON": {"contest_entrant_index"}, "LINK": {"contest_confirmation_link"},
    "CONTESTPENDING": {"contest_entrant", "contest_confirmation_link"},
    "CONTACT": {"contact_question", "contact_question_index"}, "ASKER": {"contact_question_index"},
    "AUDIT": {"audit"}, "DISCLOSURE": {"disclosure"}, "VERSION": {"policy_version"}, "NOTICE": {"notice"},
    "ACCESS": {"access_counter"},
}


def kind_of(item: dict) -> str:
    if "type" in item:
        return str(item["type"])
    pk_word, sk_word = str(item["pk"]).split("#")[0], re.split(r"[#]", str(item["sk"]))[0]
    found = UNTYPED.get(pk_word) or UNTYPED.get((pk_word, sk_word))
    assert found, f"an item without a type that no kind names: {pk_word}#… / {sk_word}…"
    return found


def _store_sources() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "shared" / "store").glob("*.py")))


def _pay(ports, processor: FakeProcessor, session_id: str, kind: str = "checkout.session.completed") -> dict:
    event = {"id": "evt_" + session_id[-6:] + kind[-4:], "object": "event", "type": kind,
             "data": {"object": {"id": session_id, "payment_status": "paid", "amount_total": 1000, "currency": "usd"}}}
    payload = json.dumps(event).encode()
    return handle_callback(payload, processor.signature_header(payload, ports.clock.now()), ports)


@pytest.fixture
def everything():
    """reader1@example.org, with one record of every kind the table holds about a person."""
    mailer, processor = RecordingMailer(), FakeProcessor(fake_settings().webhook_secret())
    ports = fake_ports(mailer=mailer, processor=processor)
    vault = FakePinVault()
    ports.commerce.put_pins([Pin("MX-10", "p1", vault.encrypt("123456789012", "MX-10", "p1"), "Dial", "2027-01-01")])
    account = subscriber(ports, 1)  # account, lookup, preferences, consents, audiences
    sessions.start(account.account_id, ports)
    mint(account.account_id, "signin", ports)  # a sign-in link's token
    drawn, waiting = define(ports, days_open=5), define(ports, days_open=5)
    enter(drawn, account.email, ports)
    confirm_by_mail(ports, mailer, account.email)  # confirmed: name, shipping address, zip
    enter(waiting, account.email, ports)
    mail_outbox.sweep(ports, MAIL_HANDLERS)  # its confirmation link, pending
    contact(ContactRequest(email=account.email, topic="question", message="Where is my card?"), ports)
    order_id = start_checkout(account, CheckoutBody(sku="MX-10", quantity=1), {}, "idem-key-0001", ports).order_id
    first = ports.commerce.order(order_id).session_id
    retry_payment(account, order_id, ports)
    assert _pay(ports, processor, ports.commerce.order(order_id).session_id)["status"] == "fulfilled"
    assert _pay(ports, processor, first, "checkout.session.async_payment_succeeded")["status"] == \
        "second_payment_refunded"
    waits = start_checkout(account, CheckoutBody(sku="MX-10", quantity=1), {}, "idem-key-0002", ports).order_id
    _pay(ports, processor, ports.commerce.order(waits).session_id)  # no PIN left: it waits for stock
    refer(account, ReferralRequest(friend_name="Pat Example", friend_email="pat@example.org"), ports)
    request_change(account, "reader1.new@example.org", ports)
    referrals.forget(account.email, ports)  # the customer's own mailbox asked never to be invited
    ports.outbox.suppress(account.email_hash, "complaint", ports.clock.iso())
    ports.outbox.count_soft_bounce(account.email_hash, ports.clock.now(), 3600)
    ops.run("ops_record_disclosure", {"account_id": account.account_id, "recipient": "A court",
                                      "legal_basis": "Order 1", "fields": ["email"]}, ports)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    return ports, account


def test_p04_p15_p28_the_export_lists_or_names_every_kind_held_about_the_customer(everything):
    """Every kind about a person is in the table (the set-up is complete), named in the
    export's `data_held` with its retention, and each listed kind's section holds its data."""
    ports, account = everything
    held = {kind_of(i) for i in ports.table.all_items()}
    assert held <= set(data_kinds.BY_NAME), held - set(data_kinds.BY_NAME)
    person_kinds = {k.name for k in data_kinds.ABOUT_A_PERSON}
    assert person_kinds <= held, f"the set-up lacks {person_kinds - held}"
    exported = export(account, ports)
    named = {row["kind"]: row for row in exported["data_held"]}
    assert set(named) == person_kinds and all(row["kept"] and row["shown"] for row in named.values())
    for kind in data_kinds.ABOUT_A_PERSON:
        if kind.shown == data_kinds.EXPORT:
            assert exported[kind.section], f"{kind.name}: nothing under {kind.section}"
        elif kind.shown == data_kinds.DISPUTE:
            assert kind.section not in exported  # the dispute lookup's alone
    assert exported["profile"]["email"] == account.email and exported["audiences"] == ["newsletter", "promotions"]
    assert exported["pending_email_change"]["new_email"] == "reader1.new@example.org"
    assert exported["suppression"] == {"reason": "complaint"} and exported["forgotten_as_friend"] is True
    assert [s.keys() for s in exported["sessions"]] == [{"started_at", "expires_at"}]  # never a token or its hash
    paid, waiting = sorted(exported["orders"], key=lambda o: o["status"])
    assert paid["paid_at"] and paid["lines"] and paid["pins"] == [["MX-10", "p1"]] and paid["attempt"] == 1
    assert waiting["status"] == "paid_awaiting_stock"
    assert [p["order_id"] for p in exported["pins"]] == [paid["order_id"]]
    assert [e["outcome"] for e in exported["payment_exceptions"]] == ["refunded"]
    assert {s["order_id"] for s in exported["checkout_sessions"]} == {paid["order_id"], waiting["order_id"]}
    # its own referrals; never how many sent an invitation (that would tell about the friend, P08)
    assert [r["status"] for r in exported["referrals"]] == ["invited"] and "referrer_counts" not in exported
    confirmed, pending = sorted(exported["contest_entries"], key=lambda e: e["status"])
    assert (confirmed["name"], confirmed["shipping_address"], confirmed["zip"]) == \
        (DETAILS["name"], DETAILS["shipping_address"], DETAILS["zip"])
    assert pending["status"] == "pending" and pending["email"] == account.email and confirmed["kept_until"]
    [question] = exported["contact_questions"]
    assert (question["email"], question["message"]) == (account.email, "Where is my card?") and question["kept_until"]


def test_p28_the_dispute_lookup_shows_a_deactivated_accounts_complete_export_and_its_disclosures(everything):
    ports, account = everything
    from functions.accounts import deactivate

    deactivate(account, ports)
    looked_up = ops.run("ops_dispute_lookup", {"account_id": account.account_id}, ports)
    assert looked_up["profile"]["status"] == "deactivated"
    assert looked_up["contest_entries"] and looked_up["contact_questions"] and looked_up["orders"]
    assert [d["legal_basis"] for d in looked_up["legal_disclosures"]] == ["Order 1"]
    assert {row["kind"] for row in looked_up["data_held"]} == {k.name for k in data_kinds.ABOUT_A_PERSON}


def test_p15_another_spelling_of_the_same_mailbox_sees_no_contest_entry_or_question(ports, mailer):
    """Found by the exact address's keyed hash, never by the canonical mailbox: one spelling's
    export never shows what another spelling entered or asked."""
    contest_id = define(ports, days_open=5)
    enter(contest_id, "ann.smith@gmail.com", ports)
    confirm_by_mail(ports, mailer, "ann.smith@gmail.com")
    contact(ContactRequest(email="ann.smith@gmail.com", topic="question", message="Hello"), ports)
    account = subscriber(ports, 7)
    other = ports.accounts.get(account.account_id)
    assert other is not None
    other.email, other.email_hash = "annsmith@gmail.com", address_hash("annsmith@gmail.com", ports.settings.hash_key())
    exported = export(other, ports)
    assert exported["contest_entries"] == [] and exported["contact_questions"] == []
    own = address_hash("ann.smith@gmail.com", ports.settings.hash_key())
    assert [e["email"] for e in contests.entries_of(own, ports)] == ["ann.smith@gmail.com"]


def test_every_item_type_the_repositories_write_is_classified():
    """A `type` a repository writes, and no kind is classified that nothing writes."""
    written = set(re.findall(r'"type": "([a-z_]+)"', _store_sources()))
    assert written - set(data_kinds.BY_NAME) == set(), "classify these in shared/data_kinds.py"
    assert set(data_kinds.BY_NAME) == written | set(UNTYPED.values())


def test_every_key_prefix_of_the_repositories_is_classified():
    """Each `WORD#` the repositories put in a key belongs to classified kinds: a new prefix
    fails here until its kinds are named above and classified in shared/data_kinds.py."""
    words = set(re.findall(r"\b([A-Z][A-Z_]*)#", _store_sources()))
    assert words == set(KEY_WORDS), (words - set(KEY_WORDS), set(KEY_WORDS) - words)
    assert set().union(*KEY_WORDS.values()) <= set(data_kinds.BY_NAME)


def test_each_kind_is_classified_with_a_reason_and_listed_kinds_name_their_section():
    for kind in data_kinds.KINDS:
        assert kind.shown in (data_kinds.EXPORT, data_kinds.NAMED, data_kinds.DISPUTE, data_kinds.NOT_PERSONAL)
        assert kind.holds and kind.why and kind.kept and kind.deleted
        assert bool(kind.section) == (kind.shown in (data_kinds.EXPORT, data_kinds.DISPUTE)), kind.name
        assert kind.note or kind.shown == data_kinds.EXPORT, f"{kind.name}: say why"
