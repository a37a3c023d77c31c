"""The mail sender (functions/mail_outbox) and processor callbacks
(functions/processor_callbacks) on the fake ports: nothing lost, nothing twice (P10, P11)."""
from __future__ import annotations

import json

import pytest

from functions.checkout import CheckoutBody, start_checkout
from functions.mail_outbox import MAX_ATTEMPTS, RETRY_CAP_SECONDS, send_job, sweep
from functions.mail_handlers import MAIL_HANDLERS
from functions.processor_callbacks import handle_callback
from functions.signup import SignupRequest, sign_up
from shared.clock import FixedClock
from shared.processor import BadCallback
from shared.store.accounts import Account
from shared.store.commerce import Pin
from tests.fakes import FakePinVault, FakeProcessor, RecordingDeadLetters, RecordingMailer, fake_ports, fake_settings


def test_p11_the_sweeper_sends_the_welcome_once_with_a_working_confirm_link() -> None:
    mailer = RecordingMailer()
    ports = fake_ports(mailer=mailer)
    sign_up(SignupRequest(email="ann@example.org", name="Ann", promotions=False), ports)
    assert sweep(ports, MAIL_HANDLERS) == {"sent": 1}
    assert sweep(ports, MAIL_HANDLERS) == {}
    [mail] = mailer.sent
    assert mail.to == "ann@example.org" and mail.kind == "transactional"
    assert "List-Unsubscribe" in mail.headers
    assert "http://store.test/login/" in mail.text


def test_a_mail_that_keeps_failing_by_its_own_fault_backs_off_then_reports_a_dead_letter() -> None:
    clock = FixedClock(1_800_000_000)
    mailer, dead_letters = RecordingMailer(), RecordingDeadLetters()
    ports = fake_ports(clock, mailer=mailer, dead_letters=dead_letters)
    sign_up(SignupRequest(email="ann@example.org", name="Ann", promotions=False), ports)
    [job_id] = ports.outbox.unsent_job_ids()
    mailer.fail_next(MAX_ATTEMPTS)
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        outcomes.append(send_job(job_id, ports, MAIL_HANDLERS))
        assert send_job(job_id, ports, MAIL_HANDLERS) == "not_claimed"  # backing off meanwhile
        clock.advance(RETRY_CAP_SECONDS + 1)
    assert outcomes == ["retry_later"] * (MAX_ATTEMPTS - 1) + ["failed"]
    assert dead_letters.reported == [job_id]
    assert mailer.sent == []
    assert ports.outbox.unsent_job_ids() == []


def _signed(processor: FakeProcessor, event: dict[str, object], at: float) -> tuple[bytes, str]:
    payload = json.dumps(event).encode()
    return payload, processor.signature_header(payload, at)


def test_p10_a_signed_paid_callback_fulfils_once_and_a_forged_one_is_refused() -> None:
    ports = fake_ports(processor=FakeProcessor(fake_settings().webhook_secret()))
    processor = ports.processor
    assert isinstance(processor, FakeProcessor)
    account = Account("acc_1", "ann@example.org", "hash", "Ann", "active", "2027-01-01", 1)
    started = start_checkout(account, CheckoutBody(sku="MX-10", quantity=1), {}, "idem-key-0001", ports)
    vault = FakePinVault()
    ports.commerce.put_pins([Pin("MX-10", p, vault.encrypt("1234", "MX-10", p), "Dial", f"2027-01-0{n}")
                             for n, p in enumerate(["p1", "p2"], start=1)])
    session_id = processor.session_id_for(processor.checkouts[0][1])
    event: dict[str, object] = {"id": "evt_1", "object": "event", "type": "checkout.session.completed",
             "data": {"object": {"id": session_id, "payment_status": "paid", "amount_total": 1000, "currency": "usd"}}}
    payload, header = _signed(processor, event, ports.clock.now())
    assert handle_callback(payload, header, ports) == {"status": "fulfilled", "order_id": started.order_id}
    assert handle_callback(payload, header, ports) == {"status": "already_paid", "order_id": started.order_id}
    assert ports.commerce.stock_candidates("MX-10", 5) == ["p2"]
    assert len([j for j in ports.outbox.unsent_job_ids() if (job := ports.outbox.job(j)) and job.template == "pin"]) == 1
    with pytest.raises(BadCallback):
        handle_callback(payload, header.replace("v1=", "v1=0"), ports)
    forged = FakeProcessor("whsec_someone_else")
    with pytest.raises(BadCallback):
        handle_callback(payload, forged.signature_header(payload, ports.clock.now()), ports)
