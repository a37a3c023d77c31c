"""Using a one-time link (functions/sign_in_links.use) on the fake ports: a confirm link
activates a pending account (P11), a link never revives a deactivated one (P28), a sign-in
link needs an active account, and a link works once."""
from __future__ import annotations

import pytest

from functions import accounts as my_account
from functions.one_time_links import LIFETIMES, mint
from functions.sign_in_links import ConfirmChoice, use
from functions.signup import SignupRequest, sign_up
from shared.clock import FixedClock
from shared.errors import InvalidToken
from shared.ids import address_hash
from shared.ports import Ports
from shared.store.accounts import Account
from tests.fakes import fake_ports


def signed_up(ports: Ports, address: str = "ann@example.org", promotions: bool = True) -> Account:
    sign_up(SignupRequest(email=address, name="Ann", promotions=promotions), ports)
    account_id = ports.accounts.account_id_for(address_hash(address, ports.settings.hash_key()))
    assert account_id is not None
    account = ports.accounts.get(account_id)
    assert account is not None
    return account


def token_in(url: str) -> str:
    return url.rsplit("/login/", 1)[1]


def test_p02_p11_a_confirm_link_activates_with_the_topics_ticked_on_its_page_and_records_them() -> None:
    ports = fake_ports()
    account = signed_up(ports, promotions=False)
    choice = ConfirmChoice(name="Ann", topics={"newsletter": True, "promotions": True})
    signed_in = use(token_in(mint(account.account_id, "confirm", ports)), ports, choice=choice).account
    assert signed_in.account_id == account.account_id and signed_in.status == "active"
    stored = ports.accounts.get(account.account_id)
    assert stored is not None and stored.status == "active"
    assert ports.accounts.in_active_index(account.account_id)
    assert ports.accounts.in_audience("newsletter", account.account_id)
    assert ports.accounts.in_audience("promotions", account.account_id)
    assert stored.name == "Ann"
    history = {event["source"]: event["topics"] for event in ports.accounts.consent_history(account.account_id)}
    assert history == {"signup": {"newsletter": False, "promotions": False},
                       "confirm_page": {"newsletter": True, "promotions": True}}


def test_p02_nothing_ticked_on_the_confirm_page_joins_no_audience_whatever_the_signup_asked() -> None:
    ports = fake_ports()
    account = signed_up(ports, promotions=True)
    use(token_in(mint(account.account_id, "confirm", ports)), ports)
    assert ports.accounts.in_active_index(account.account_id)
    assert not ports.accounts.in_audience("newsletter", account.account_id)
    assert not ports.accounts.in_audience("promotions", account.account_id)


def test_p02_a_strangers_signup_decides_neither_the_owners_name_nor_consent() -> None:
    """Finding: a stranger signed the owner's address up with a name and promotions on; the
    owner's own signup only queued a "signup again"; the owner's confirm link then activated
    the stranger's name and opt-in."""
    ports = fake_ports()
    sign_up(SignupRequest(email="vera@example.org", name="Claim your prize at evil.example", promotions=True),
            ports)
    sign_up(SignupRequest(email="vera@example.org", name="Vera", promotions=False), ports)
    account_id = ports.accounts.account_id_for(address_hash("vera@example.org", ports.settings.hash_key()))
    assert account_id is not None
    confirmed = use(token_in(mint(account_id, "confirm", ports)), ports).account
    stored = ports.accounts.get(account_id)
    assert stored is not None and "prize" not in stored.name and confirmed.name == ""
    preferences = ports.accounts.preferences(account_id)
    assert preferences is not None and not any(preferences.topics.values())
    assert not ports.accounts.in_audience("promotions", account_id)


def test_p04_a_confirm_link_of_an_active_account_is_refused() -> None:
    """Finding: a confirm link worked as a 7-day sign-in link once the account was active."""
    ports = fake_ports()
    account = signed_up(ports)
    first, second = mint(account.account_id, "confirm", ports), mint(account.account_id, "confirm", ports)
    use(token_in(first), ports)
    with pytest.raises(InvalidToken):
        use(token_in(second), ports)


def test_p04_p28_a_sign_in_link_to_the_old_address_dies_when_the_address_changes() -> None:
    """Finding (account takeover): a sign-in link mailed to the old address still signed in
    after the owner moved the account to a new address; whoever reads the old mailbox got
    the account. Completing the change advances the account's link generation."""
    from functions import email_change

    ports = fake_ports()
    account = signed_up(ports, "old@example.org")
    account = use(token_in(mint(account.account_id, "confirm", ports)), ports).account
    old_sign_in = mint(account.account_id, "signin", ports)  # in the old mailbox
    email_change.request_change(account, "new@example.org", ports)
    change = ports.sign_in.email_change(account.account_id, ports.clock.now())
    assert change is not None
    moved = use(token_in(mint(account.account_id, "email_change", ports, ref=change.change_id)), ports).account
    assert moved.email == "new@example.org"
    with pytest.raises(InvalidToken):
        use(token_in(old_sign_in), ports)
    assert use(token_in(mint(account.account_id, "signin", ports)), ports).account.email == "new@example.org"


@pytest.mark.parametrize("purpose", ["confirm", "signin"])
def test_p28_a_link_never_revives_a_deactivated_account(purpose: str) -> None:
    ports = fake_ports()
    account = signed_up(ports)
    link = mint(account.account_id, purpose, ports)  # minted before the account closed
    assert my_account.deactivate(account, ports) is True
    with pytest.raises(InvalidToken):
        use(token_in(link), ports)
    stored = ports.accounts.get(account.account_id)
    assert stored is not None and stored.status == "deactivated"
    assert not ports.accounts.in_active_index(account.account_id)


def test_a_sign_in_link_for_a_pending_account_is_refused() -> None:
    ports = fake_ports()
    account = signed_up(ports)
    with pytest.raises(InvalidToken):
        use(token_in(mint(account.account_id, "signin", ports)), ports)
    stored = ports.accounts.get(account.account_id)
    assert stored is not None and stored.status == "pending"


def test_a_used_link_is_refused() -> None:
    ports = fake_ports()
    account = signed_up(ports)
    token = token_in(mint(account.account_id, "confirm", ports))
    use(token, ports)
    with pytest.raises(InvalidToken):
        use(token, ports)


def test_an_expired_link_is_refused_and_an_unknown_one_too() -> None:
    clock = FixedClock(1_800_000_000)
    ports = fake_ports(clock)
    account = signed_up(ports)
    token = token_in(mint(account.account_id, "confirm", ports))
    clock.advance(LIFETIMES["confirm"])
    with pytest.raises(InvalidToken):
        use(token, ports)
    with pytest.raises(InvalidToken):
        use("not-a-token-that-was-ever-minted", ports)
    stored = ports.accounts.get(account.account_id)
    assert stored is not None and stored.status == "pending"


def test_p11_a_write_conflict_while_confirming_burns_no_link_and_activates_nothing() -> None:
    """Using the token and activating the account are one transaction: when it meets a
    concurrent write every time, the link is still good and the account still pending."""
    from shared.errors import Conflict
    from tests.fakes import MemoryTable

    table = MemoryTable()
    ports = fake_ports(table=table)
    account = signed_up(ports)
    token = token_in(mint(account.account_id, "confirm", ports))
    table.inject_conflicts(3)
    with pytest.raises(Conflict):
        use(token, ports)
    stored = ports.accounts.get(account.account_id)
    assert stored is not None and stored.status == "pending"
    assert use(token, ports).account.status == "active"  # pressed again: it works


def test_p11_a_conflict_once_is_retried_and_the_link_works_at_the_first_press() -> None:
    from tests.fakes import MemoryTable

    table = MemoryTable()
    ports = fake_ports(table=table)
    account = signed_up(ports)
    token = token_in(mint(account.account_id, "confirm", ports))
    table.inject_conflicts(1)
    assert use(token, ports).account.status == "active"
