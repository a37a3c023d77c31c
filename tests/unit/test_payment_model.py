"""A stateful model of paying for one order, whatever the customer, the processor and the
network do and in whatever order: "Try paying again" pressed at any moment, and any
session's success, failure or expiry delivered late, twice, or never (P10, P17).

Whatever happens: at most one of the order's sessions can be paid at the processor; once
paid the order holds exactly its PINs, paid by one session; every other session that was
charged is refunded exactly once, and no refund ever touches the session that paid."""
from __future__ import annotations

import json

from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from hypothesis import strategies as st

from functions.checkout import CheckoutBody, start_checkout
from functions.payments import retry_payment
from functions.processor_callbacks import handle_callback
from shared.errors import Conflict
from shared.store.accounts import Account
from shared.store.commerce import Pin
from tests.fakes import FakePinVault, FakeProcessor, fake_ports, fake_settings

ANN = Account("acc_1", "ann@example.org", "hash", "Ann", "active", "2027-01-01", 1)
EVENTS = {"paid": "checkout.session.completed", "async_paid": "checkout.session.async_payment_succeeded",
          "failed": "checkout.session.async_payment_failed", "expired": "checkout.session.expired"}


class PayingForAnOrder(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.processor = FakeProcessor(fake_settings().webhook_secret())
        self.ports = fake_ports(processor=self.processor)
        vault = FakePinVault()
        self.ports.commerce.put_pins([Pin("MX-10", f"p{n}", vault.encrypt(f"12345678901{n}", "MX-10", f"p{n}"),
                                          "Dial", f"2027-01-0{n + 1}") for n in range(4)])
        self.order_id = start_checkout(ANN, CheckoutBody(sku="MX-10", quantity=2), {}, "idem-key-0001",
                                       self.ports).order_id
        self.charged: set[str] = set()  # sessions whose payment the processor took

    def _sessions(self) -> list[str]:
        return sorted(self.processor.statuses)

    @rule()
    def try_paying_again(self) -> None:
        try:
            retry_payment(ANN, self.order_id, self.ports)
        except Conflict:  # paid, or a payment under way: nothing made
            pass

    @rule(pick=st.integers(min_value=0), outcome=st.sampled_from(sorted(EVENTS)))
    def the_processor_settles_a_session(self, pick: int, outcome: str) -> None:
        """The processor decides a session it still holds open (as its page's buttons do)."""
        open_sessions = [s for s in self._sessions() if self.processor.statuses[s] == "open"]
        if not open_sessions:
            return
        session = open_sessions[pick % len(open_sessions)]
        self.processor.statuses[session] = "complete" if outcome in ("paid", "async_paid") else "expired"
        if outcome in ("paid", "async_paid"):
            self.charged.add(session)
        self._deliver(session, outcome)

    @rule(pick=st.integers(min_value=0), outcome=st.sampled_from(sorted(EVENTS)))
    def a_callback_arrives_late_or_again(self, pick: int, outcome: str) -> None:
        """A redelivery, or a late event for any session ever made, consistent with what the
        processor knows of it: successes only for a charged one."""
        sessions = self._sessions()
        session = sessions[pick % len(sessions)]
        if (outcome in ("paid", "async_paid")) != (session in self.charged):
            return
        self._deliver(session, outcome)

    @precondition(lambda self: bool(self.processor.statuses))
    @rule(pick=st.integers(min_value=0))
    def an_asynchronous_payment_succeeds_after_its_session_was_replaced(self, pick: int) -> None:
        """A bank debit started on a session that has since been expired by a retry."""
        expired = [s for s in self._sessions() if self.processor.statuses[s] == "expired" and s not in self.charged]
        if expired:
            session = expired[pick % len(expired)]
            self.charged.add(session)
            self._deliver(session, "async_paid")

    def _deliver(self, session: str, outcome: str) -> None:
        event = {"id": f"evt_{session[-6:]}_{outcome}", "object": "event", "type": EVENTS[outcome],
                 "data": {"object": {"id": session, "amount_total": 2000, "currency": "usd",
                                     "payment_status": "paid" if outcome in ("paid", "async_paid") else "unpaid"}}}
        payload = json.dumps(event).encode()
        handle_callback(payload, self.processor.signature_header(payload, self.ports.clock.now()), self.ports)

    @invariant()
    def at_most_one_session_can_be_paid(self) -> None:
        assert sum(status == "open" for status in self.processor.statuses.values()) <= 1

    @invariant()
    def a_paid_order_has_its_pins_once_and_every_other_charge_is_refunded_once(self) -> None:
        order = self.ports.commerce.order(self.order_id)
        refunded = [session for session, _ in self.processor.refunds.values()]
        assert len(refunded) == len(set(refunded))
        if order.status == "paid":
            assert len(order.pins) == 2 and order.paid_session_id in self.charged
            assert set(refunded) == self.charged - {order.paid_session_id}
        else:
            assert not order.pins and not refunded and not self.charged


PayingForAnOrder.TestCase.settings = settings(max_examples=150, stateful_step_count=25, deadline=None)
test_p10_paying_for_an_order_charges_once_whatever_happens = PayingForAnOrder.TestCase
