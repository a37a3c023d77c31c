"""CommerceRepository's contract on both tables (P10: the conditions that make fulfilment
exactly-once)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

import pytest

from shared.store.commerce import (
    ORDER_EXISTS,
    KEY_USED,
    NOT_WAITING,
    ORDER_ALREADY_PAID,
    PIN_TAKEN,
    CheckoutSession,
    CommerceRepository,
    Order,
    Pin,
)
from shared.store.table import ConditionFailed, Table, Transaction

Ids = Callable[[], str]
NOW = 1_800_000_000
AT = "2027-01-01T00:00:00.000+00:00"


@pytest.fixture
def commerce(table: Table) -> CommerceRepository:
    return CommerceRepository(table)


def _order(uid: Ids, account_id: str | None = None, status: str = "pending", created_at: str = AT,
           sku: str = "sku") -> Order:
    order_id = uid()
    return Order(order_id=order_id, account_id=account_id or uid(),
                 lines=[{"sku": sku, "quantity": 1, "unit_price_cents": 1000}], amount_cents=1000, currency="USD",
                 description="1 x card", status=status, created_at=created_at, session_id=f"cs_{order_id}")


def _session(order: Order) -> CheckoutSession:
    return CheckoutSession(str(order.session_id), order.order_id, order.account_id, order.amount_cents,
                           order.currency, order.lines)


def _checkout(table: Table, commerce: CommerceRepository, order: Order, key_hash: str, body_hash: str,
              answer: dict[str, Any], now: int = NOW) -> None:
    tx = Transaction()
    commerce.add_checkout(tx, order, _session(order), key_hash, body_hash, answer, now, now + 86_400)
    table.commit(tx)


def _stock(commerce: CommerceRepository, uid: Ids, count: int, sku: str | None = None) -> tuple[str, list[Pin]]:
    sku = sku or f"sku-{uid()}"
    pins = [Pin(sku, f"pin{n:03d}", f"enc:{n}", "Dial 1", f"2027-01-01T00:00:{n:02d}") for n in range(count)]
    commerce.put_pins(pins)
    return sku, pins


def _add_order(table: Table, commerce: CommerceRepository, order: Order) -> None:
    _checkout(table, commerce, order, f"key-{order.order_id}", "body", {"order_id": order.order_id})


# -- checkout -------------------------------------------------------------------------------
def test_add_checkout_writes_order_session_and_idempotency_record(table: Table, commerce: CommerceRepository,
                                                                  uid: Ids) -> None:
    order = _order(uid)
    _checkout(table, commerce, order, uid(), "body-1", {"order_id": order.order_id, "redirect_url": "u"})
    assert commerce.order(order.order_id) == order
    assert commerce.checkout_session(str(order.session_id)) == _session(order)
    assert commerce.checkout_session(uid()) is None
    assert commerce.order(uid()) is None


def test_add_checkout_with_a_used_key_fails_with_the_earlier_request_and_writes_nothing(
        table: Table, commerce: CommerceRepository, uid: Ids) -> None:
    first = _order(uid)
    key_hash = uid()
    answer = {"order_id": first.order_id, "redirect_url": "https://pay/1", "notice": {"processor": "P"}}
    _checkout(table, commerce, first, key_hash, "body-1", answer)
    second = _order(uid, account_id=first.account_id)
    with pytest.raises(ConditionFailed) as failed:
        _checkout(table, commerce, second, key_hash, "body-2", {"order_id": second.order_id}, now=NOW + 3600)
    assert failed.value.tags == frozenset({KEY_USED})
    assert failed.value.old == {KEY_USED: {"body_hash": "body-1", "answer": answer}}
    assert commerce.order(second.order_id) is None
    assert commerce.checkout_session(str(second.session_id)) is None


def test_add_checkout_replaces_an_expired_idempotency_record(table: Table, commerce: CommerceRepository,
                                                             uid: Ids) -> None:
    first = _order(uid)
    key_hash = uid()
    _checkout(table, commerce, first, key_hash, "body-1", {"order_id": first.order_id})
    second = _order(uid, account_id=first.account_id)
    _checkout(table, commerce, second, key_hash, "body-2", {"order_id": second.order_id}, now=NOW + 86_401)
    assert commerce.order(second.order_id) == second
    third = _order(uid, account_id=first.account_id)
    with pytest.raises(ConditionFailed) as failed:  # the replacing record holds for its own window
        _checkout(table, commerce, third, key_hash, "body-3", {}, now=NOW + 86_402)
    assert failed.value.old[KEY_USED] == {"body_hash": "body-2", "answer": {"order_id": second.order_id}}


def test_add_checkout_never_overwrites_an_existing_order(table: Table, commerce: CommerceRepository,
                                                          uid: Ids) -> None:
    """A reused key whose record expired derives the same order id: ORDER_EXISTS, nothing written."""
    first = _order(uid)
    key_hash = uid()
    _checkout(table, commerce, first, key_hash, "body-1", {"order_id": first.order_id})
    assert commerce.set_order_status(first.order_id, "paid", ("pending",)) is True
    again = replace(first, status="pending", created_at="2027-02-01T00:00:00.000+00:00")
    with pytest.raises(ConditionFailed) as failed:
        _checkout(table, commerce, again, key_hash, "body-1", {"order_id": first.order_id}, now=NOW + 86_401)
    assert ORDER_EXISTS in failed.value.tags
    kept = commerce.order(first.order_id)
    assert kept is not None and kept.status == "paid"


def test_the_same_key_of_another_account_is_another_record(table: Table, commerce: CommerceRepository,
                                                           uid: Ids) -> None:
    key_hash = uid()
    first, second = _order(uid), _order(uid)
    _checkout(table, commerce, first, key_hash, "body", {"order_id": first.order_id})
    _checkout(table, commerce, second, key_hash, "body", {"order_id": second.order_id})
    assert commerce.order(second.order_id) == second


# -- payment --------------------------------------------------------------------------------
def test_p10_add_payment_pays_the_order_and_allocates_its_pins(table: Table, commerce: CommerceRepository,
                                                               uid: Ids) -> None:
    sku, pins = _stock(commerce, uid, 3)
    order = _order(uid, sku=sku)
    _add_order(table, commerce, order)
    tx = Transaction()
    commerce.add_payment(tx, order.order_id, [(sku, "pin000"), (sku, "pin001")], "2027-01-02")
    table.commit(tx)
    paid = commerce.order(order.order_id)
    assert paid is not None
    assert (paid.status, paid.pin_ids, paid.paid_at) == ("paid", ["pin000", "pin001"], "2027-01-02")
    allocated = {p.pin_id: p for p in commerce.pins([(sku, "pin000"), (sku, "pin001")])}
    assert {p.status for p in allocated.values()} == {"allocated"}
    assert {p.order_id for p in allocated.values()} == {order.order_id}
    assert commerce.stock_candidates(sku, 10) == ["pin002"]  # allocated pins left the stock index


def test_p10_add_payment_of_a_paid_order_fails_already_paid_and_allocates_nothing(
        table: Table, commerce: CommerceRepository, uid: Ids) -> None:
    sku, _ = _stock(commerce, uid, 2)
    order = _order(uid, sku=sku)
    _add_order(table, commerce, order)
    tx = Transaction()
    commerce.add_payment(tx, order.order_id, [(sku, "pin000")], "2027-01-02")
    table.commit(tx)
    tx = Transaction()
    commerce.add_payment(tx, order.order_id, [(sku, "pin001")], "2027-01-03")
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({ORDER_ALREADY_PAID})
    assert failed.value.old == {ORDER_ALREADY_PAID: True}
    assert commerce.stock_candidates(sku, 10) == ["pin001"]
    paid = commerce.order(order.order_id)
    assert paid is not None and paid.pin_ids == ["pin000"]


def test_add_payment_of_an_unknown_order_fails_with_no_old_value(table: Table, commerce: CommerceRepository,
                                                                 uid: Ids) -> None:
    sku, _ = _stock(commerce, uid, 1)
    order_id = uid()
    tx = Transaction()
    commerce.add_payment(tx, order_id, [(sku, "pin000")], "2027-01-02")
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({ORDER_ALREADY_PAID})
    assert failed.value.old == {ORDER_ALREADY_PAID: None}
    assert commerce.order(order_id) is None
    assert commerce.stock_candidates(sku, 10) == ["pin000"]


@pytest.mark.parametrize("taken_how", ["allocated", "unknown"])
def test_add_payment_with_a_pin_not_available_fails_pin_taken_and_pays_nothing(
        table: Table, commerce: CommerceRepository, uid: Ids, taken_how: str) -> None:
    sku, _ = _stock(commerce, uid, 2)
    if taken_how == "allocated":
        earlier = _order(uid, sku=sku)
        _add_order(table, commerce, earlier)
        tx = Transaction()
        commerce.add_payment(tx, earlier.order_id, [(sku, "pin000")], "2027-01-02")
        table.commit(tx)
        wanted = "pin000"
    else:
        wanted = "pin999"
    order = _order(uid, sku=sku)
    _add_order(table, commerce, order)
    tx = Transaction()
    commerce.add_payment(tx, order.order_id, [(sku, "pin001"), (sku, wanted)], "2027-01-03")
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({PIN_TAKEN})
    unpaid = commerce.order(order.order_id)
    assert unpaid is not None and unpaid.status == "pending"
    assert "pin001" in commerce.stock_candidates(sku, 10)
    assert commerce.pins([(sku, "pin999")]) == []


# -- waiting for stock ----------------------------------------------------------------------
def test_add_awaiting_stock_flags_the_order_and_lists_it_per_sku(table: Table, commerce: CommerceRepository,
                                                                 uid: Ids) -> None:
    sku, other_sku = f"sku-{uid()}", f"sku-{uid()}"
    order = _order(uid, sku=sku)
    _add_order(table, commerce, order)
    tx = Transaction()
    commerce.add_awaiting_stock(tx, order.order_id, [sku, other_sku], "2027-01-02")
    table.commit(tx)
    waiting = commerce.order(order.order_id)
    assert waiting is not None and (waiting.status, waiting.paid_at) == ("paid_awaiting_stock", "2027-01-02")
    assert commerce.orders_awaiting_stock(sku) == [order.order_id]
    assert commerce.orders_awaiting_stock(other_sku) == [order.order_id]
    assert commerce.orders_awaiting_stock(f"sku-{uid()}") == []


@pytest.mark.parametrize("status", ["paid", "paid_awaiting_stock", None])
def test_add_awaiting_stock_of_a_paid_waiting_or_unknown_order_fails_not_waiting(
        table: Table, commerce: CommerceRepository, uid: Ids, status: str | None) -> None:
    sku = f"sku-{uid()}"
    order = _order(uid, sku=sku)
    if status is not None:
        _add_order(table, commerce, order)
        assert commerce.set_order_status(order.order_id, status, ("pending",))
    tx = Transaction()
    commerce.add_awaiting_stock(tx, order.order_id, [sku], "2027-01-02")
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({NOT_WAITING})
    assert commerce.orders_awaiting_stock(sku) == []
    if status is None:
        assert commerce.order(order.order_id) is None


def test_p10_paying_a_waiting_order_takes_it_off_the_waiting_list(table: Table, commerce: CommerceRepository,
                                                                  uid: Ids) -> None:
    sku = f"sku-{uid()}"
    order = _order(uid, sku=sku)
    _add_order(table, commerce, order)
    tx = Transaction()
    commerce.add_awaiting_stock(tx, order.order_id, [sku], "2027-01-02")
    table.commit(tx)
    _stock(commerce, uid, 1, sku=sku)
    tx = Transaction()
    commerce.add_payment(tx, order.order_id, [(sku, "pin000")], "2027-01-03")
    table.commit(tx)
    assert commerce.orders_awaiting_stock(sku) == []
    paid = commerce.order(order.order_id)
    assert paid is not None and paid.status == "paid"


def test_set_order_status_changes_only_from_the_allowed_states(table: Table, commerce: CommerceRepository,
                                                               uid: Ids) -> None:
    order = _order(uid)
    _add_order(table, commerce, order)
    assert commerce.set_order_status(order.order_id, "cancelled", ("paid",)) is False
    unchanged = commerce.order(order.order_id)
    assert unchanged is not None and unchanged.status == "pending" and unchanged.note is None
    assert commerce.set_order_status(order.order_id, "cancelled", ("pending", "failed"), "expired") is True
    changed = commerce.order(order.order_id)
    assert changed is not None and (changed.status, changed.note) == ("cancelled", "expired")
    unknown = uid()
    assert commerce.set_order_status(unknown, "cancelled", ("pending",)) is False
    assert commerce.order(unknown) is None


# -- stock ----------------------------------------------------------------------------------
def test_stock_candidates_are_the_oldest_available_pins_up_to_the_count(commerce: CommerceRepository,
                                                                        uid: Ids) -> None:
    sku, _ = _stock(commerce, uid, 5)
    assert commerce.stock_candidates(sku, 3) == ["pin000", "pin001", "pin002"]
    assert commerce.stock_candidates(sku, 10) == [f"pin{n:03d}" for n in range(5)]
    assert commerce.has_stock(sku) is True
    assert commerce.has_stock(f"sku-{uid()}") is False
    assert commerce.stock_candidates(f"sku-{uid()}", 3) == []


def test_pins_reads_more_than_a_hundred_and_skips_unknown_ones(commerce: CommerceRepository, uid: Ids) -> None:
    sku, pins = _stock(commerce, uid, 120)
    found = commerce.pins([(p.sku, p.pin_id) for p in pins] + [(sku, "pin-unknown")])
    assert sorted(found, key=lambda p: p.pin_id) == pins
    assert sorted(commerce.pins_of_sku(sku), key=lambda p: p.pin_id) == pins


# -- carts and orders -----------------------------------------------------------------------
def test_a_cart_is_read_until_it_expires(commerce: CommerceRepository, uid: Ids) -> None:
    cart_id = uid()
    commerce.put_cart(cart_id, {"sku-a": 2, "sku-b": 1}, NOW + 10)
    assert commerce.cart(cart_id, NOW) == {"sku-a": 2, "sku-b": 1}
    assert commerce.cart(cart_id, NOW + 10) == {}
    assert commerce.cart(uid(), NOW) == {}
    commerce.put_cart(cart_id, {}, NOW + 10)
    assert commerce.cart(cart_id, NOW) == {}


def test_orders_of_lists_an_accounts_orders_oldest_first(table: Table, commerce: CommerceRepository,
                                                         uid: Ids) -> None:
    account_id = uid()
    later = _order(uid, account_id=account_id, created_at="2027-02-01T00:00:00.000+00:00")
    earlier = _order(uid, account_id=account_id, created_at="2027-01-01T00:00:00.000+00:00")
    for order in (later, earlier):
        _add_order(table, commerce, order)
    _add_order(table, commerce, _order(uid))  # another account's
    assert commerce.orders_of(account_id) == [earlier, later]
    assert commerce.orders_of(uid()) == []
