"""Paying again (functions/payments.py) on the fake ports: a retry expires the old session
before it makes a new one, so one order never has two sessions that can be paid; a second
payment all the same (a race, or an asynchronous success after the retry) is recorded once,
refunded and raised, and never delivers a second set of PINs (P10, P17, P19)."""
from __future__ import annotations

import json
import threading

import pytest

from functions import ops
from functions.checkout import CheckoutBody, start_checkout
from functions.orders import STATUS_WORDS, list_orders
from functions.payments import retry_payment
from functions.processor_callbacks import handle_callback
from shared.errors import Conflict, NotFound
from shared.processor import SESSION_LIFETIME_SECONDS
from shared.store.accounts import Account
from shared.store.commerce import Pin
from tests.fakes import FakePinVault, FakeProcessor, fake_ports, fake_settings

ANN = Account("acc_1", "ann@example.org", "hash", "Ann", "active", "2027-01-01", 1)
BOB = Account("acc_2", "bob@example.org", "hash2", "Bob", "active", "2027-01-01", 1)


def _store(pins: int = 2):
    processor = FakeProcessor(fake_settings().webhook_secret())
    ports = fake_ports(processor=processor)
    vault = FakePinVault()
    ports.commerce.put_pins([Pin("MX-10", f"p{n}", vault.encrypt(f"12345678901{n}", "MX-10", f"p{n}"), "Dial",
                                 f"2027-01-0{n + 1}") for n in range(pins)])
    started = start_checkout(ANN, CheckoutBody(sku="MX-10", quantity=1), {}, "idem-key-0001", ports)
    return ports, processor, started.order_id


def _callback(ports, processor: FakeProcessor, session_id: str, kind: str, paid: bool = True) -> dict:
    event = {"id": "evt_" + session_id[-6:], "object": "event", "type": kind,
             "data": {"object": {"id": session_id, "payment_status": "paid" if paid else "unpaid",
                                 "amount_total": 1000, "currency": "usd"}}}
    payload = json.dumps(event).encode()
    return handle_callback(payload, processor.signature_header(payload, ports.clock.now()), ports)


def test_p17_p19_a_failed_order_is_paid_again_through_a_new_session_with_the_same_notice_and_fields():
    ports, processor, order_id = _store()
    first = ports.commerce.order(order_id).session_id
    _callback(ports, processor, first, "checkout.session.async_payment_failed", paid=False)
    assert ports.commerce.order(order_id).status == "failed"
    again = retry_payment(ANN, order_id, ports)
    order = ports.commerce.order(order_id)
    assert processor.statuses[first] == "expired"  # the old session ended before the new one was made
    assert order.status == "pending" and order.attempt == 1 and order.session_id != first
    assert again.notice.processor == processor.name and "outside payment service" in again.notice.text
    (before, _), (after, key) = processor.checkouts
    assert after == before and key == f"{order_id}:attempt:1"  # P19: the same minimal fields, nothing more
    assert _callback(ports, processor, order.session_id, "checkout.session.completed")["status"] == "fulfilled"
    assert ports.commerce.order(order_id).paid_session_id == order.session_id


def test_an_old_sessions_expiry_or_failure_leaves_the_retried_order_alone():
    ports, processor, order_id = _store()
    first = ports.commerce.order(order_id).session_id
    retry_payment(ANN, order_id, ports)
    for kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        _callback(ports, processor, first, kind, paid=False)
        assert ports.commerce.order(order_id).status == "pending"


def test_a_retry_of_a_session_that_was_paid_meanwhile_is_refused_and_makes_nothing():
    ports, processor, order_id = _store()
    processor.statuses[ports.commerce.order(order_id).session_id] = "complete"  # paying right now
    with pytest.raises(Conflict) as refused:
        retry_payment(ANN, order_id, ports)
    assert refused.value.code == "payment_under_way" and len(processor.checkouts) == 1


def test_a_paid_order_cannot_be_paid_again_and_another_customers_order_is_not_found():
    ports, processor, order_id = _store()
    _callback(ports, processor, ports.commerce.order(order_id).session_id, "checkout.session.completed")
    with pytest.raises(Conflict):
        retry_payment(ANN, order_id, ports)
    with pytest.raises(NotFound):
        retry_payment(BOB, order_id, ports)


def test_p10_however_often_it_is_pressed_one_order_has_at_most_one_session_that_can_be_paid():
    ports, processor, order_id = _store()
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(retry_payment(ANN, order_id, ports))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    open_sessions = [s for s, status in processor.statuses.items() if status == "open"]
    assert len(answers) == 3 and open_sessions == [ports.commerce.order(order_id).session_id]


def test_p10_two_sessions_of_one_order_racing_to_success_deliver_once_and_refund_the_other():
    """The race: the first session's asynchronous payment succeeds after the retry replaced
    it, at the same moment as the new one's. One fulfils; the other is recorded, refunded
    once (a redelivered callback refunds nothing more) and listed for operators."""
    ports, processor, order_id = _store()
    first = ports.commerce.order(order_id).session_id
    retry_payment(ANN, order_id, ports)
    second = ports.commerce.order(order_id).session_id
    outcomes: dict[str, str] = {}
    kinds = {first: "checkout.session.async_payment_succeeded", second: "checkout.session.completed"}
    threads = [threading.Thread(target=lambda s=s: outcomes.__setitem__(s, _callback(ports, processor, s, kinds[s])["status"]))
               for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["fulfilled", "second_payment_refunded"], outcomes
    order = ports.commerce.order(order_id)
    assert order.status == "paid" and len(order.pins) == 1
    refunded = next(s for s, outcome in outcomes.items() if outcome == "second_payment_refunded")
    assert refunded != order.paid_session_id and list(processor.refunds.values()) == [(refunded, 1000)]
    assert _callback(ports, processor, refunded, kinds[refunded])["status"] == "second_payment_already_recorded"
    assert len(processor.refunds) == 1
    [listed] = ops.run("ops_payment_exceptions", {}, ports)["exceptions"]
    assert (listed["order_id"], listed["session_id"], listed["outcome"]) == (order_id, refunded, "refunded")
    assert len(ports.outbox.unsent_job_ids(10)) == 1  # one PIN mail


def test_a_refund_the_processor_refuses_is_left_for_an_operator():
    ports, processor, order_id = _store()
    first = ports.commerce.order(order_id).session_id
    retry_payment(ANN, order_id, ports)
    _callback(ports, processor, ports.commerce.order(order_id).session_id, "checkout.session.completed")
    processor.fail_next()
    assert _callback(ports, processor, first, "checkout.session.completed")["status"] == "second_payment_refund_failed"
    [listed] = ops.run("ops_payment_exceptions", {}, ports)["exceptions"]
    assert listed["outcome"] == "refund_failed" and listed["refund_id"] is None


def test_an_order_left_pending_past_its_session_reads_not_paid_and_can_be_paid_again():
    ports, processor, order_id = _store()
    assert list_orders(ANN, ports).orders[0].status == "pending"
    ports.clock.sleep(SESSION_LIFETIME_SECONDS + 1)
    [shown] = list_orders(ANN, ports).orders
    assert shown.status == "expired" and STATUS_WORDS["expired"].startswith("Not paid")
    assert len(set(STATUS_WORDS.values())) == len(STATUS_WORDS)  # each status in its own words
    retry_payment(ANN, order_id, ports)
    assert list_orders(ANN, ports).orders[0].status == "pending"


def test_a_second_payment_is_raised_by_an_alarm_on_the_metric_the_code_counts():
    import inspect
    from pathlib import Path

    import yaml

    from functions import payments

    assert 'metrics.count("SecondPayments")' in inspect.getsource(payments.settle_second_payment)
    template = Path(__file__).resolve().parents[2] / "infra" / "stateful.yaml"
    loader = type("Loader", (yaml.SafeLoader,), {})
    loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    alarm = yaml.load(template.read_text(), Loader=loader)["Resources"]["SecondPaymentsAlarm"]["Properties"]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "SecondPayments", 0, "GreaterThanThreshold")


def test_p28_a_replaced_session_stays_findable_from_its_order_for_the_export():
    """A retry's replaced session (its order, account and amount) is data about the customer:
    the order names it, so the export and the dispute lookup list it."""
    from functions.accounts import export

    ports, processor, order_id = _store()
    first = ports.commerce.order(order_id).session_id
    retry_payment(ANN, order_id, ports)
    retry_payment(ANN, order_id, ports)
    order = ports.commerce.order(order_id)
    assert order.earlier_session_ids[0] == first and len(order.earlier_session_ids) == 2
    listed = {s["session_id"] for s in export(ANN, ports)["checkout_sessions"]}
    assert listed == {*order.earlier_session_ids, order.session_id}
