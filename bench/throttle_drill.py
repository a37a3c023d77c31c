"""Figure 5: the throttling drill. SES refuses 80% of sends for ten simulated minutes while
a campaign to 1,000 readers and 50 PIN mails are due; the outbox must send every job
exactly once in the end, fail none, and send every PIN mail before the last promotion.

It runs the real sender (functions.mail_outbox: stream fast path, paced sweeper, backoff)
over the in-memory table of the unit tests with a simulated clock: each SES call takes
50 ms, the sweeper runs once a simulated minute with a 60 s invocation, and PIN mails reach
the stream path as soon as their orders are paid, 30 s after the campaign starts.
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

READERS, PIN_ORDERS = 1_000, 50
THROTTLED_SECONDS, REFUSED_SHARE = 600, 0.8
SES_CALL_SECONDS = 0.05
MAX_MINUTES = 240


@dataclass
class DrillResult:
    jobs: int
    refused: int
    sends: Counter  # (to, subject) -> mails SES accepted
    failed: int
    unsent: int
    minutes: int
    last_pin_minute: float
    last_promotion_minute: float

    @property
    def exactly_once(self) -> bool:
        return len(self.sends) == self.jobs and set(self.sends.values()) == {1} and not self.unsent


def run() -> DrillResult:
    from functions.campaigns import CampaignInput, send_campaign
    from functions.checkout import CheckoutBody, start_checkout
    from functions.fulfilment import fulfil
    from functions.mail_outbox import handle_stream_records, sweep
    from functions.mail_handlers import MAIL_HANDLERS
    from shared.clock import FixedClock
    from shared.mail.ses import OutgoingMail, SendDeferred
    from shared.store.accounts import Account, ConsentEvent, Preferences
    from shared.store.commerce import Pin
    from shared.store.table import Transaction
    from tests.fakes import RecordingMailer, fake_ports

    start = 1_800_000_000.0
    clock = FixedClock(start)
    chance = random.Random(8058)

    class ThrottledSes(RecordingMailer):
        """Refuses 80% of sends while the throttle lasts, as SES's TooManyRequests would."""

        def __init__(self) -> None:
            super().__init__()
            self.refused = 0
            self.minutes: list[tuple[str, float]] = []

        def send(self, mail: OutgoingMail) -> str:
            clock.advance(SES_CALL_SECONDS)
            if clock.now() < start + THROTTLED_SECONDS and chance.random() < REFUSED_SHARE:
                self.refused += 1
                raise SendDeferred("TooManyRequestsException")
            self.minutes.append((mail.kind, (clock.now() - start) / 60))
            return super().send(mail)

    ses = ThrottledSes()
    ports = fake_ports(clock, mailer=ses)
    at = clock.iso()
    for n in range(READERS):  # readers, active and opted in (no welcome mail: it is not part of the drill)
        account = Account(f"reader{n:05d}", f"reader{n}@example.org", f"hash{n}", f"Reader {n}", "pending", at, 1)
        topics = {"newsletter": True, "promotions": False}
        tx = Transaction()
        ports.accounts.add_new(tx, account, Preferences(account.account_id, topics, at),
                               ConsentEvent(account.account_id, at, f"e{n}", "signup", topics))
        ports.table.commit(tx)
        tx = Transaction()
        ports.accounts.add_activation(tx, account.account_id, ["newsletter"])
        ports.table.commit(tx)
    ports.commerce.put_pins([Pin("MX-10", f"pin{n:03d}", ports.pin_vault.encrypt(f"{n:012d}", "MX-10", f"pin{n:03d}"),
                                 "Dial 1-800-555-0100", at) for n in range(PIN_ORDERS)])

    send_campaign(CampaignInput(topic="newsletter", subject="Spring letterpress", text="New cards are in."), ports)
    clock.advance(30)
    for n in range(PIN_ORDERS):  # orders paid during the throttle: their PIN mails go to the stream path
        buyer = ports.accounts.get(f"reader{n:05d}")
        assert buyer is not None
        started = start_checkout(buyer, CheckoutBody(sku="MX-10", quantity=1), {}, f"drill-order-{n:04d}", ports)
        order = ports.commerce.order(started.order_id)
        assert order is not None and fulfil(order.order_id, order.account_id, order.lines, ports) == "fulfilled"
    pin_jobs = [j for j in (ports.outbox.job(i) for i in ports.outbox.unsent_job_ids(limit=10_000)) if j and j.template == "pin"]
    handle_stream_records([{"eventName": "INSERT", "dynamodb": {"NewImage": {
        "type": {"S": "mail_job"}, "kind": {"S": j.kind}, "job_id": {"S": j.job_id}}}} for j in pin_jobs], ports, MAIL_HANDLERS)

    minute = 0
    while ports.outbox.unsent_job_ids(limit=1) and minute < MAX_MINUTES:
        minute += 1
        begins = start + minute * 60
        clock.advance(max(0.0, begins - clock.now()))  # the schedule fires once a minute
        sweep(ports, MAIL_HANDLERS, remaining_seconds=lambda: begins + 60 - clock.now())
    return DrillResult(
        jobs=READERS + PIN_ORDERS,
        refused=ses.refused,
        sends=Counter((m.to, m.subject) for m in ses.sent),
        failed=len(ports.outbox.failed_job_ids("")),
        unsent=len(ports.outbox.unsent_job_ids(limit=10_000)),
        minutes=minute,
        last_pin_minute=max(t for kind, t in ses.minutes if kind == "transactional"),
        last_promotion_minute=max(t for kind, t in ses.minutes if kind == "promotional"),
    )
