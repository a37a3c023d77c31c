"""Exactly-once fulfilment (P10, functions/fulfilment.fulfil) on the fake ports: an order
gets its PINs and its PIN mail once, however often it is asked; without stock it waits."""
from __future__ import annotations

import pytest

from functions.fulfilment import fulfil, fulfil_waiting_orders
from shared.errors import NotFound
from shared.ports import Ports
from shared.store.commerce import CheckoutSession, Order, Pin
from shared.store.mail import MailJob
from shared.store.table import Put, Transaction
from tests.fakes import FakePinVault, PinRefused, fake_ports

SKU = "MX-10"
LINES = [{"sku": SKU, "quantity": 2, "unit_price_cents": 1000}]


def pending_order(ports: Ports, order_id: str = "ord_1") -> Order:
    order = Order(order_id=order_id, account_id="acc_1", lines=LINES, amount_cents=2000, currency="USD",
                  description="2 x Mexico 10 calling card", status="pending", created_at=ports.clock.iso(),
                  session_id=f"cs_{order_id}")
    session = CheckoutSession(f"cs_{order_id}", order_id, "acc_1", 2000, "USD", LINES)
    tx = Transaction()
    now = int(ports.clock.now())
    ports.commerce.add_checkout(tx, order, session, f"key_{order_id}", "body", {}, now, now + 86_400)
    ports.table.commit(tx)
    return order


def import_pins(ports: Ports, count: int, first: int = 0) -> list[str]:
    vault = FakePinVault()
    ids = [f"pin{n:03d}" for n in range(first, first + count)]
    ports.commerce.put_pins([Pin(SKU, pin_id, vault.encrypt(f"9{n:09d}", SKU, pin_id), "Dial 1",
                                 f"2027-01-01T00:00:{n:02d}") for n, pin_id in enumerate(ids, start=first)])
    return ids


def pin_jobs(ports: Ports) -> list[MailJob]:
    jobs = [ports.outbox.job(job_id) for job_id in ports.outbox.unsent_job_ids(limit=1000)]
    return [job for job in jobs if job is not None and job.template == "pin"]


def test_p10_an_order_is_fulfilled_once_with_its_pins_and_one_pin_mail() -> None:
    ports = fake_ports()
    order = pending_order(ports)
    import_pins(ports, 3)
    assert fulfil(order.order_id, order.account_id, LINES, ports) == "fulfilled"
    paid = ports.commerce.order(order.order_id)
    assert paid is not None and paid.status == "paid" and paid.pin_ids == ["pin000", "pin001"]
    assert {p.order_id for p in ports.commerce.pins([(SKU, "pin000"), (SKU, "pin001")])} == {order.order_id}
    assert ports.commerce.stock_candidates(SKU, 10) == ["pin002"]
    [job] = pin_jobs(ports)
    assert job.context == {"order_id": order.order_id} and job.account_id == order.account_id


def test_p10_a_second_fulfilment_is_already_paid_and_changes_nothing() -> None:
    ports = fake_ports()
    order = pending_order(ports)
    import_pins(ports, 4)
    fulfil(order.order_id, order.account_id, LINES, ports)
    assert fulfil(order.order_id, order.account_id, LINES, ports) == "already_paid"
    assert len(pin_jobs(ports)) == 1
    assert ports.commerce.stock_candidates(SKU, 10) == ["pin002", "pin003"]
    paid = ports.commerce.order(order.order_id)
    assert paid is not None and paid.pin_ids == ["pin000", "pin001"]


def test_p10_without_stock_a_paid_order_waits_and_the_next_import_fulfils_it() -> None:
    ports = fake_ports()
    order = pending_order(ports)
    import_pins(ports, 1)  # one PIN, the order needs two
    assert fulfil(order.order_id, order.account_id, LINES, ports) == "awaiting_stock"
    waiting = ports.commerce.order(order.order_id)
    assert waiting is not None and waiting.status == "paid_awaiting_stock"
    assert ports.commerce.orders_awaiting_stock(SKU) == [order.order_id]
    assert pin_jobs(ports) == []
    assert fulfil(order.order_id, order.account_id, LINES, ports) == "awaiting_stock"  # asked again: still waiting
    import_pins(ports, 2, first=1)
    assert fulfil_waiting_orders(SKU, ports) == 1
    assert ports.commerce.orders_awaiting_stock(SKU) == []
    paid = ports.commerce.order(order.order_id)
    assert paid is not None and paid.status == "paid"
    assert len(pin_jobs(ports)) == 1


def test_p10_a_paid_order_asked_again_after_the_stock_ran_out_is_already_paid() -> None:
    ports = fake_ports()
    order = pending_order(ports)
    import_pins(ports, 2)  # exactly the order's two PINs
    assert fulfil(order.order_id, order.account_id, LINES, ports) == "fulfilled"
    assert fulfil(order.order_id, order.account_id, LINES, ports) == "already_paid"


def test_an_unknown_order_is_not_found_and_takes_no_pin() -> None:
    ports = fake_ports()
    import_pins(ports, 2)
    with pytest.raises(NotFound):
        fulfil("ord_unknown", "acc_1", LINES, ports)
    assert ports.commerce.stock_candidates(SKU, 10) == ["pin000", "pin001"]
    assert pin_jobs(ports) == []


def test_an_unknown_order_is_not_found_even_without_stock() -> None:
    ports = fake_ports()
    with pytest.raises(NotFound):
        fulfil("ord_unknown", "acc_1", LINES, ports)


def test_p27_a_pin_decrypts_only_for_its_own_sku_and_id() -> None:
    vault = FakePinVault()
    cipher = vault.encrypt("1234", SKU, "pin000")
    assert vault.decrypt(cipher, SKU, "pin000") == "1234"
    with pytest.raises(PinRefused):
        vault.decrypt(cipher, SKU, "pin001")
    with pytest.raises(PinRefused):
        vault.decrypt(cipher, "IN-10", "pin000")


def test_p10_a_pin_mail_is_never_sent_with_fewer_pins_than_the_order_has() -> None:
    from dataclasses import replace

    from functions.mail_outbox import sweep
    from functions.mail_handlers import MAIL_HANDLERS
    from tests.fakes import RecordingMailer
    from tests.unit.people import subscriber

    mailer = RecordingMailer()
    ports = fake_ports(mailer=mailer)
    buyer = subscriber(ports, 1)
    sweep(ports, MAIL_HANDLERS)  # the welcome
    order = replace(pending_order(ports, "ord_9"), account_id=buyer.account_id)
    ports.table.put(Put(order.to_item()))
    import_pins(ports, 2)
    assert fulfil(order.order_id, buyer.account_id, LINES, ports) == "fulfilled"
    [taken] = ports.commerce.pins([(SKU, "pin001")])
    ports.commerce.put_pins([replace(taken, order_id="ord_other")])  # one PIN no longer reads as this order's
    assert sweep(ports, MAIL_HANDLERS) == {"retry_later": 1}
    assert [m for m in mailer.sent if m.subject.startswith("Your calling card")] == []


def test_p10_a_write_conflict_in_fulfilment_is_retried_and_the_order_is_fulfilled() -> None:
    from tests.fakes import MemoryTable

    table = MemoryTable()
    ports = fake_ports(table=table)
    order = pending_order(ports)
    import_pins(ports, 2)
    table.inject_conflicts(2)
    assert fulfil(order.order_id, order.account_id, LINES, ports) == "fulfilled"


def test_p10_conflicts_that_persist_answer_a_conflict_and_never_park_the_order_as_out_of_stock() -> None:
    from functions.fulfilment import ALLOCATION_ATTEMPTS
    from shared.errors import Conflict
    from tests.fakes import MemoryTable

    table = MemoryTable()
    ports = fake_ports(table=table)
    order = pending_order(ports)
    import_pins(ports, 2)
    table.inject_conflicts(ALLOCATION_ATTEMPTS)
    with pytest.raises(Conflict):
        fulfil(order.order_id, order.account_id, LINES, ports)
    stored = ports.commerce.order(order.order_id)
    assert stored is not None and stored.status == "pending" and ports.commerce.orders_awaiting_stock(SKU) == []
    assert fulfil(order.order_id, order.account_id, LINES, ports) == "fulfilled"  # the processor's retry


def test_p10_the_schedule_fulfils_an_order_waiting_for_stock_as_soon_as_its_sku_has_stock() -> None:
    from functions.fulfilment import fulfil_orders_waiting_for_stock

    ports = fake_ports()
    order = pending_order(ports)
    assert fulfil(order.order_id, order.account_id, LINES, ports) == "awaiting_stock"
    assert fulfil_orders_waiting_for_stock(ports) == 0  # still nothing in stock
    import_pins(ports, 2)  # stock that arrived some other way than an import run
    assert fulfil_orders_waiting_for_stock(ports) == 1
    paid = ports.commerce.order(order.order_id)
    assert paid is not None and paid.status == "paid" and ports.commerce.orders_awaiting_stock(SKU) == []
