"""Signup's decisions on the fake ports: one welcome, then only the mail the address's
state allows (P11)."""
from __future__ import annotations

import pytest

from functions.one_time_links import LINK_MAILS_PER_HOUR
from functions.signup import SignupRequest, sign_up
from shared.clock import FixedClock
from shared.ids import email_hash
from shared.ports import Ports
from shared.store.accounts import Account, ConsentEvent, Preferences
from shared.store.mail import MailJob
from shared.store.table import Transaction
from tests.fakes import fake_ports

ADDRESS = "New.Person@Example.org"


def run(ports: Ports) -> None:
    answer = sign_up(SignupRequest(email=ADDRESS, name="New Person", promotions=True), ports)
    assert answer.status == "check_your_email"


def unsent_jobs(ports: Ports) -> list[MailJob]:
    """Oldest first (the outbox keeps them in shards, in no global order)."""
    jobs = [ports.mail.job(job_id) for job_id in ports.mail.unsent_job_ids(limit=1000)]
    return sorted((job for job in jobs if job is not None), key=lambda job: job.created_at)


def account_at(address: str, ports: Ports) -> Account | None:
    account_id = ports.accounts.account_id_for(email_hash(address, ports.settings.hash_key()))
    return ports.accounts.get(account_id) if account_id else None


def existing(status: str, ports: Ports) -> Account:
    """An account under ADDRESS in the given state, written as signup writes one."""
    account = Account("acc", "new.person@example.org", email_hash(ADDRESS, ports.settings.hash_key()), "X", status,
                      "2026-01-01", 1)
    topics = {"newsletter": True, "promotions": True}
    tx = Transaction()
    ports.accounts.add_new(tx, account, Preferences("acc", topics, "2026-01-01"),
                           ConsentEvent("acc", "2026-01-01", "ev", "signup", topics))
    ports.table.commit(tx)
    return account


def test_p11_a_new_address_gets_a_pending_account_and_one_welcome_job() -> None:
    ports = fake_ports()
    run(ports)
    account = account_at(ADDRESS, ports)
    assert account is not None
    assert account.status == "pending"
    assert account.email == "New.Person@example.org"
    preferences = ports.accounts.preferences(account.account_id)
    assert preferences is not None and preferences.topics == {"newsletter": True, "promotions": True}
    assert [event["source"] for event in ports.accounts.consent_history(account.account_id)] == ["signup"]
    [welcome] = unsent_jobs(ports)
    assert (welcome.kind, welcome.template) == ("transactional", "welcome")
    assert welcome.account_id == account.account_id
    assert welcome.context["unsubscribe_topics"] == ["newsletter", "promotions"]
    assert welcome.to_address is None
    assert "new.person" not in str(welcome).lower()  # the job holds no address


@pytest.mark.parametrize("status, template", [("pending", "confirm_link"), ("active", "signin_link"), ("deactivated", None)])
def test_p11_a_known_address_never_gets_a_second_welcome(status: str, template: str | None) -> None:
    ports = fake_ports()
    holder = existing(status, ports)
    run(ports)
    assert [job.template for job in unsent_jobs(ports)] == ([template] if template else [])
    assert all(job.account_id == holder.account_id for job in unsent_jobs(ports))
    assert account_at(ADDRESS, ports) == holder  # no second account, the holder unchanged


def test_p11_signing_up_again_sends_the_confirm_link_again_never_a_welcome() -> None:
    clock = FixedClock(1_800_000_000)
    ports = fake_ports(clock)
    run(ports)
    clock.advance(60)
    run(ports)
    assert [job.template for job in unsent_jobs(ports)] == ["welcome", "confirm_link"]  # oldest first


def test_link_mails_to_one_address_stop_at_the_hourly_cap() -> None:
    ports = fake_ports()
    for _ in range(LINK_MAILS_PER_HOUR + 2):
        run(ports)
    assert len(unsent_jobs(ports)) == LINK_MAILS_PER_HOUR
