"""Signups never confirmed are deleted 7 days after their last confirm link was sent, with
no mail in between; a confirmed account is never touched."""
from __future__ import annotations

from functions.mail_outbox import sweep
from functions.mail_handlers import MAIL_HANDLERS
from functions.one_time_links import mint
from functions.sign_in_links import use
from functions.signup import SignupRequest, sign_up
from functions.unconfirmed_accounts import UNCONFIRMED_RETENTION_SECONDS, purge_unconfirmed
from shared.clock import FixedClock
from shared.ids import address_hash
from shared.mail.render import SUBJECTS
from shared.ports import Ports
from tests.fakes import RecordingMailer, fake_ports

DAY = 24 * 3600


def signup(ports: Ports, address: str) -> str:
    sign_up(SignupRequest(email=address, name="Someone", promotions=True), ports)
    account_id = ports.accounts.account_id_for(address_hash(address, ports.settings.hash_key()))
    assert account_id is not None
    return account_id


def test_an_unconfirmed_signup_is_deleted_7_days_after_its_last_confirm_link_and_nothing_is_mailed():
    clock = FixedClock(1_800_000_000)
    mailer = RecordingMailer()
    ports = fake_ports(clock, mailer=mailer)
    account_id = signup(ports, "never@example.org")
    sweep(ports, MAIL_HANDLERS)
    mailer.sent.clear()
    clock.advance(UNCONFIRMED_RETENTION_SECONDS - 1)
    assert purge_unconfirmed(ports) == 0
    clock.advance(2)
    assert purge_unconfirmed(ports) == 1
    assert ports.accounts.get(account_id) is None and ports.accounts.preferences(account_id) is None
    assert ports.accounts.account_id_for(address_hash("never@example.org", ports.settings.hash_key())) is None
    assert ports.accounts.consent_history(account_id) == []
    sweep(ports, MAIL_HANDLERS)
    assert mailer.sent == []  # no reminder, no goodbye
    assert signup(ports, "never@example.org") != account_id  # the address can sign up afresh


def test_a_confirm_link_sent_again_restarts_the_wait_and_a_confirmed_account_is_never_purged():
    """The wait restarts when the confirm link is sent, not when signup queued it: the
    sender decides only then that a pending account gets one (here a day later, as after
    an outage of the sender)."""
    clock = FixedClock(1_800_000_000)
    mailer = RecordingMailer()
    ports = fake_ports(clock, mailer=mailer)
    waiting = signup(ports, "slow@example.org")
    confirmed = signup(ports, "quick@example.org")
    sweep(ports, MAIL_HANDLERS)
    use(mint(confirmed, "confirm", ports).rsplit("/", 1)[1], ports)
    clock.advance(5 * DAY)
    sign_up(SignupRequest(email="slow@example.org", name="Someone", promotions=True), ports)  # a new confirm link
    clock.advance(DAY)
    assert sweep(ports, MAIL_HANDLERS) == {"sent": 1}  # ... which goes out now
    assert mailer.to("slow@example.org")[-1].subject == SUBJECTS["confirm_link"]
    clock.advance(UNCONFIRMED_RETENTION_SECONDS - 1)
    assert purge_unconfirmed(ports) == 0  # 13 days since signup, 8 since the re-signup, 7 less 1 s since the link
    clock.advance(2)
    assert purge_unconfirmed(ports) == 1
    assert ports.accounts.get(waiting) is None
    kept = ports.accounts.get(confirmed)
    assert kept is not None and kept.status == "active"


def test_the_wait_starts_when_the_welcome_is_sent_and_a_link_never_sent_restarts_nothing():
    """The welcome's confirm link lives 7 days from its sending, so the account does too.
    A signup again whose link was never sent keeps the account no longer, and its mail,
    once the account is gone, goes to nobody."""
    clock = FixedClock(1_800_000_000)
    mailer = RecordingMailer()
    ports = fake_ports(clock, mailer=mailer)
    account_id = signup(ports, "late@example.org")
    clock.advance(DAY)  # the sender was down for a day
    assert sweep(ports, MAIL_HANDLERS) == {"sent": 1}
    clock.advance(DAY)
    sign_up(SignupRequest(email="late@example.org", name="Someone", promotions=True), ports)  # queued, not sent
    clock.advance(UNCONFIRMED_RETENTION_SECONDS - DAY - 1)
    assert purge_unconfirmed(ports) == 0  # 8 days since signup, 7 less 1 s since the welcome went out
    clock.advance(2)
    assert purge_unconfirmed(ports) == 1
    assert ports.accounts.get(account_id) is None
    assert sweep(ports, MAIL_HANDLERS) == {"skipped:no_recipient": 1}
    assert len(mailer.sent) == 1


def unconfirmed(ports: Ports, count: int) -> list[str]:
    """Signups whose confirm link went out now (minted as the welcome's sender mints it)."""
    account_ids = [signup(ports, f"never{n}@example.org") for n in range(count)]
    for account_id in account_ids:
        mint(account_id, "confirm", ports)
    return account_ids


def test_one_run_pages_until_no_unconfirmed_signup_older_than_7_days_is_left():
    """The bug: a run took one page of 100 per shard (1,600 a day) while signups can come
    faster, so the backlog of names and addresses could grow without end."""
    clock = FixedClock(1_800_000_000)
    ports = fake_ports(clock)
    account_ids = unconfirmed(ports, 1700)
    clock.advance(UNCONFIRMED_RETENTION_SECONDS + 1)
    assert purge_unconfirmed(ports) == 1700
    assert all(ports.accounts.get(account_id) is None for account_id in account_ids)


def test_a_run_short_of_time_stops_between_pages_and_the_next_run_goes_on():
    clock = FixedClock(1_800_000_000)
    ports = fake_ports(clock)
    account_ids = unconfirmed(ports, 40)
    clock.advance(UNCONFIRMED_RETENTION_SECONDS + 1)
    assert purge_unconfirmed(ports, remaining_seconds=lambda: 0) == 0
    pages = iter([60, 60, 60])  # time for three pages, then none
    first = purge_unconfirmed(ports, remaining_seconds=lambda: next(pages, 0))
    assert 0 < first < 40
    assert purge_unconfirmed(ports, remaining_seconds=lambda: 60) == 40 - first
    assert all(ports.accounts.get(account_id) is None for account_id in account_ids)
