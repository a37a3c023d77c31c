"""Deactivation (P28, functions/accounts.deactivate) on the fake ports: no more sign-in or
mail, out of every audience and index, every session ended; the data stays."""
from __future__ import annotations

import pytest

from functions.accounts import deactivate
from functions.one_time_links import mint
from functions.sign_in_links import use
from functions.signup import SignupRequest, sign_up
from shared.errors import NotFound
from shared.ids import address_hash
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.sign_in import Session
from tests.fakes import fake_ports
from tests.unit.people import EVERY_TOPIC


def active_account(ports: Ports) -> Account:
    sign_up(SignupRequest(email="ann@example.org", name="Ann", promotions=True), ports)
    account_id = ports.accounts.account_id_for(address_hash("ann@example.org", ports.settings.hash_key()))
    assert account_id is not None
    return use(mint(account_id, "confirm", ports).rsplit("/", 1)[1], ports, choice=EVERY_TOPIC).account


def test_p28_deactivation_ends_sessions_and_leaves_audiences_and_index() -> None:
    ports = fake_ports()
    account = active_account(ports)
    now = int(ports.clock.now())
    for token_hash in ("s1", "s2"):
        ports.sign_in.put_session(Session(token_hash, account.account_id, ports.clock.iso(), now + 3600))
    ports.sign_in.put_session(Session("other", "someone-else", ports.clock.iso(), now + 3600))
    assert ports.accounts.in_audience("newsletter", account.account_id)

    assert deactivate(account, ports) is True
    assert ports.sign_in.session("s1", now) is None and ports.sign_in.session("s2", now) is None
    assert ports.sign_in.session("other", now) is not None
    assert not ports.accounts.in_audience("newsletter", account.account_id)
    assert not ports.accounts.in_audience("promotions", account.account_id)
    assert not ports.accounts.in_active_index(account.account_id)
    stored = ports.accounts.get(account.account_id)
    assert stored is not None and stored.status == "deactivated"  # the data stays
    assert ports.accounts.account_id_for(account.email_hash) == account.account_id


def test_p28_deactivating_twice_answers_false_and_still_ends_sessions() -> None:
    ports = fake_ports()
    account = active_account(ports)
    assert deactivate(account, ports) is True
    ports.sign_in.put_session(Session("late", account.account_id, ports.clock.iso(), int(ports.clock.now()) + 60))
    assert deactivate(account, ports) is False
    assert ports.sign_in.session("late", ports.clock.now()) is None


def test_deactivating_an_account_that_does_not_exist_is_not_found() -> None:
    ports = fake_ports()
    ghost = Account("ghost", "ghost@example.org", "h", "Ghost", "active", ports.clock.iso(), 1)
    with pytest.raises(NotFound):
        deactivate(ghost, ports)
