"""Signups never confirmed are deleted 7 days after their last confirm link, with no mail
in between; a confirmed account is never touched."""
from __future__ import annotations

from functions.mail_outbox import sweep
from functions.one_time_links import mint
from functions.sign_in_links import use
from functions.signup import SignupRequest, sign_up
from functions.unconfirmed_accounts import UNCONFIRMED_RETENTION_SECONDS, purge_unconfirmed
from shared.clock import FixedClock
from shared.ids import email_hash
from shared.ports import Ports
from tests.fakes import RecordingMailer, fake_ports

DAY = 24 * 3600


def signup(ports: Ports, address: str) -> str:
    sign_up(SignupRequest(email=address, name="Someone", promotions=True), ports)
    account_id = ports.accounts.account_id_for(email_hash(address, ports.settings.hash_key()))
    assert account_id is not None
    return account_id


def test_an_unconfirmed_signup_is_deleted_7_days_after_its_last_confirm_link_and_nothing_is_mailed():
    clock = FixedClock(1_800_000_000)
    mailer = RecordingMailer()
    ports = fake_ports(clock, mailer=mailer)
    account_id = signup(ports, "never@example.org")
    sweep(ports)
    mailer.sent.clear()
    clock.advance(UNCONFIRMED_RETENTION_SECONDS - 1)
    assert purge_unconfirmed(ports) == 0
    clock.advance(2)
    assert purge_unconfirmed(ports) == 1
    assert ports.accounts.get(account_id) is None and ports.accounts.preferences(account_id) is None
    assert ports.accounts.account_id_for(email_hash("never@example.org", ports.settings.hash_key())) is None
    assert ports.accounts.consent_history(account_id) == []
    sweep(ports)
    assert mailer.sent == []  # no reminder, no goodbye
    assert signup(ports, "never@example.org") != account_id  # the address can sign up afresh


def test_a_confirm_link_sent_again_restarts_the_wait_and_a_confirmed_account_is_never_purged():
    clock = FixedClock(1_800_000_000)
    ports = fake_ports(clock)
    waiting = signup(ports, "slow@example.org")
    confirmed = signup(ports, "quick@example.org")
    use(mint(confirmed, "confirm", ports).rsplit("/", 1)[1], ports)
    clock.advance(5 * DAY)
    sign_up(SignupRequest(email="slow@example.org", name="Someone", promotions=True), ports)  # a new confirm link
    clock.advance(3 * DAY)
    assert purge_unconfirmed(ports) == 0  # 8 days since signup, 3 since the last link
    clock.advance(4 * DAY + 1)
    assert purge_unconfirmed(ports) == 1
    assert ports.accounts.get(waiting) is None
    kept = ports.accounts.get(confirmed)
    assert kept is not None and kept.status == "active"
