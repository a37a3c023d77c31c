"""Who receives personal data (P01, P13, P18), on the fake ports."""
from __future__ import annotations

import dataclasses

import pytest
from pydantic import ValidationError

from functions import ops, third_party
from functions.third_party import HandOff, NoChoice
from shared.data_map import PROCESSORS
from tests.fakes import FakeProcessor
from tests.unit.people import subscriber

PARTNER = HandOff("travel-insurance", "Example Insurance Ltd", frozenset({"email", "destination"}),
                  "Example Insurance Ltd would receive your email and destination to send you an offer.")


def test_p18_a_legal_disclosure_is_recorded_with_its_basis_audited_and_kept_after_the_account_closes(ports):
    from functions.accounts import deactivate

    customer = subscriber(ports, 1)
    recorded = ops.run("ops_record_disclosure", {"account_id": customer.account_id, "recipient": "County Court",
                                                 "legal_basis": "Court order 2026-CV-1234", "fields": ["email", "orders"]},
                       ports)
    assert "disclosure_id" in recorded
    [entry] = [e for e in ports.audit.entries_on(ports.clock.iso()[:10]) if e.operation == "ops_record_disclosure"]
    assert entry.account_id == customer.account_id
    deactivate(customer, ports)
    looked_up = ops.run("ops_dispute_lookup", {"account_id": customer.account_id}, ports)
    [kept] = looked_up["legal_disclosures"]
    assert (kept["recipient"], kept["legal_basis"], kept["fields"]) == ("County Court", "Court order 2026-CV-1234",
                                                                       ["email", "orders"])


@pytest.mark.parametrize("body, field", [
    ({"account_id": "no-such-account-1", "recipient": "Court", "legal_basis": "Order 1", "fields": ["email"]},
     "account_id"),
    ({"account_id": "ACCOUNT", "recipient": "Court", "fields": ["email"]}, "legal_basis"),
    ({"account_id": "ACCOUNT", "recipient": "Court", "legal_basis": "Order 1", "fields": []}, "fields"),
])
def test_p18_a_disclosure_for_an_unknown_account_or_without_a_legal_basis_is_refused_and_nothing_written(
        ports, body, field):
    customer = subscriber(ports, 1)
    body = {k: (customer.account_id if v == "ACCOUNT" else v) for k, v in body.items()}
    answer = ops.run("ops_record_disclosure", body, ports)
    assert field in answer["error"]["message"]
    assert ports.audit.disclosures(customer.account_id) == []


def test_p13_a_hand_off_to_a_non_agent_third_party_is_refused_without_the_customers_recorded_choice(ports, clock):
    customer = subscriber(ports, 1)
    sent: list[dict] = []
    with pytest.raises(NoChoice):
        third_party.hand_off(customer, PARTNER, {"email": customer.email}, sent.append, ports)
    third_party.record_choice(customer, PARTNER, False, ports)
    clock.advance(60)
    with pytest.raises(NoChoice):
        third_party.hand_off(customer, PARTNER, {"email": customer.email}, sent.append, ports)
    assert sent == []
    third_party.record_choice(customer, PARTNER, True, ports)
    third_party.hand_off(customer, PARTNER, {"email": customer.email}, sent.append, ports)
    assert sent == [{"email": customer.email}]
    with pytest.raises(ValueError, match="undeclared"):
        third_party.hand_off(customer, PARTNER, {"email": customer.email, "name": customer.name}, sent.append, ports)
    history = ports.accounts.consent_history(customer.account_id)
    assert [e["topics"] for e in history if e["source"] == "notice:travel-insurance"] == [
        {"handoff:travel-insurance": False}, {"handoff:travel-insurance": True}]


class _Recorder:
    """Wraps a port that reaches a third party and keeps the fields of every call."""

    def __init__(self, inner, method: str, calls: list) -> None:
        self._inner, self._calls = inner, calls
        setattr(self, method, self._record(getattr(inner, method)))
        self.name = getattr(inner, "name", "")

    def _record(self, call):
        def record(payload, *args, **kwargs):
            self._calls.append(set(dataclasses.asdict(payload)))
            return call(payload, *args, **kwargs)
        return record

    def __getattr__(self, attribute):
        return getattr(self._inner, attribute)


def test_p01_every_outbound_call_to_a_third_party_carries_only_its_declared_fields(ports, clock, mailer):
    """The whole store on the fake ports, through every path that mails or takes payment:
    signup, confirmation, sign-in, a paid order and its PIN mail, a campaign, an invitation,
    a policy change. The only ports that leave our AWS account are the mailer and the card
    processor, and each gets only its declared fields."""
    from functions import campaigns, checkout, inventory, mail_outbox, notices, referrals
    from functions.mail_handlers import MAIL_HANDLERS
    from functions.processor_callbacks import handle_callback
    from functions.sign_in_links import SignInRequest, request_sign_in

    import json

    mails, checkouts = [], []
    fake = FakeProcessor(ports.settings.webhook_secret())
    store = ports.replace(mailer=_Recorder(ports.mailer, "send", mails),
                                processor=_Recorder(fake, "create_checkout", checkouts))
    customer = subscriber(store, 1)
    request_sign_in(SignInRequest(email=customer.email), store)
    inventory.import_pins(inventory.ImportPinsInput(sku="MX-10", pins=[{"pin": "123456789012",
                                                                        "dialing_instructions": "Dial"}]), store)
    started = checkout.start_checkout(customer, checkout.CheckoutBody(sku="MX-10", quantity=1), {}, "idem-key-0001",
                                      store)
    event = {"id": "evt_1", "object": "event", "type": "checkout.session.completed",
             "data": {"object": {"id": fake.session_id_for(fake.checkouts[0][1]), "payment_status": "paid",
                                 "amount_total": 1000, "currency": "usd"}}}
    payload = json.dumps(event).encode()
    assert handle_callback(payload, fake.signature_header(payload, clock.now()), store)["status"] == "fulfilled"
    assert store.commerce.order(started.order_id).status == "paid"
    campaigns.send_campaign(campaigns.CampaignInput(topic="newsletter", subject="News", text="Hello"), store)
    referrals.refer(customer, referrals.ReferralRequest(friend_name="Pat", friend_email="pat@example.net"), store)
    notices.publish_policy(notices.PublishPolicyInput(version=3, text_markdown="# Version 3 of our policy",
                                                      material=True), store)
    mail_outbox.sweep(store, MAIL_HANDLERS)
    assert len(mails) >= 5 and checkouts
    assert all(fields <= PROCESSORS["email_delivery"].fields for fields in mails)
    assert all(fields <= PROCESSORS["card_processor"].fields for fields in checkouts)
    reaching_out = {name for name in store.parts() if name in ("mailer", "processor")}
    assert reaching_out == {"mailer", "processor"} and set(PROCESSORS) == {"email_delivery", "card_processor"}
