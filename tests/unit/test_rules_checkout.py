"""Checkout's idempotency (functions/checkout.start_checkout) on the fake ports: the same
Idempotency-Key and body give the same order; the same key with another body is refused."""
from __future__ import annotations

import pytest

from functions.checkout import CheckoutBody, start_checkout
from shared.errors import Conflict, InvalidInput
from shared.store.accounts import Account
from tests.fakes import FakeProcessor, fake_ports, fake_settings

ACCOUNT = Account("acc_1", "ann@example.org", "hash", "Ann", "active", "2027-01-01", 1)
KEY = "idem-key-0001"


def test_p19_the_same_key_and_body_give_the_same_answer_and_one_order() -> None:
    processor = FakeProcessor(fake_settings().webhook_secret())
    ports = fake_ports(processor=processor)
    first = start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=2), {}, KEY, ports)
    again = start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=2), {}, KEY, ports)
    assert again == first
    [order] = ports.commerce.orders_of(ACCOUNT.account_id)
    assert order.order_id == first.order_id
    assert (order.amount_cents, order.status) == (2000, "pending")
    assert first.notice.processor == processor.name
    request, key = processor.checkouts[0]
    assert (request.order_id, request.amount_cents, request.customer_email) == (order.order_id, 2000, ACCOUNT.email)
    session = ports.commerce.checkout_session(processor.session_id_for(key))
    assert session is not None and session.order_id == order.order_id


def test_the_same_key_with_another_body_is_a_conflict() -> None:
    ports = fake_ports()
    first = start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=1), {}, KEY, ports)
    with pytest.raises(Conflict):
        start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=2), {}, KEY, ports)
    assert [o.order_id for o in ports.commerce.orders_of(ACCOUNT.account_id)] == [first.order_id]


def test_another_key_gives_another_order() -> None:
    ports = fake_ports()
    first = start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=1), {}, KEY, ports)
    second = start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=1), {}, "idem-key-0002", ports)
    assert first.order_id != second.order_id
    assert len(ports.commerce.orders_of(ACCOUNT.account_id)) == 2


def test_a_missing_key_is_refused_before_anything_is_written() -> None:
    processor = FakeProcessor(fake_settings().webhook_secret())
    ports = fake_ports(processor=processor)
    with pytest.raises(InvalidInput):
        start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=1), {}, None, ports)
    assert processor.checkouts == []
    assert ports.commerce.orders_of(ACCOUNT.account_id) == []


def test_p10_a_reused_key_whose_record_expired_never_overwrites_its_paid_order() -> None:
    """The idempotency record lives 24 h; the order it made lives on. Checking out again with
    that key later must not replace a paid order with a new pending one."""
    from functions.checkout import IDEMPOTENCY_WINDOW_SECONDS
    from functions.fulfilment import fulfil
    from shared.clock import FixedClock
    from shared.store.commerce import Pin

    clock = FixedClock(1_800_000_000)
    ports = fake_ports(clock)
    ports.commerce.put_pins([Pin("MX-10", "p1", ports.pin_vault.encrypt("123456789012", "MX-10", "p1"), "Dial", "2027")])
    first = start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=1), {}, KEY, ports)
    order = ports.commerce.order(first.order_id)
    assert order is not None and fulfil(order.order_id, ACCOUNT.account_id, order.lines, ports) == "fulfilled"
    clock.advance(IDEMPOTENCY_WINDOW_SECONDS + 1)
    with pytest.raises(Conflict):
        start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=1), {}, KEY, ports)
    kept = ports.commerce.order(first.order_id)
    assert kept is not None and kept.status == "paid" and kept.pin_ids == ["p1"]
