"""Changing the address (P04, functions/email_change) on the fake ports: only using the
link sent to the new address moves the account, and the old address is told."""
from __future__ import annotations

import pytest

from functions import email_change
from functions.one_time_links import mint
from functions.sign_in_links import use
from functions.signup import SignupRequest, sign_up
from shared.errors import InvalidToken
from shared.ids import address_hash
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.mail import MailJob
from tests.fakes import fake_ports


def active_account(ports: Ports, address: str) -> Account:
    sign_up(SignupRequest(email=address, name="Ann", promotions=False), ports)
    account_id = ports.accounts.account_id_for(address_hash(address, ports.settings.hash_key()))
    assert account_id is not None
    return use(mint(account_id, "confirm", ports).rsplit("/", 1)[1], ports).account


def jobs(ports: Ports, template: str) -> list[MailJob]:
    found = [ports.outbox.job(job_id) for job_id in ports.outbox.unsent_job_ids(limit=1000)]
    return [job for job in found if job is not None and job.template == template]


def hash_of(address: str, ports: Ports) -> str:
    return address_hash(address, ports.settings.hash_key())


def test_p04_request_then_complete_moves_the_address_and_tells_the_old_one() -> None:
    ports = fake_ports()
    account = active_account(ports, "old@example.org")
    email_change.request_change(account, "new@example.org", ports)
    [confirm] = jobs(ports, "email_change_confirm")
    assert confirm.to_address == "new@example.org" and confirm.context["login_link"] == "email_change"
    assert ports.accounts.account_id_for(hash_of("new@example.org", ports)) is None  # nothing moved yet

    used = use(link_of(confirm, ports), ports)
    moved = used.account
    assert not used.starts_session  # an address-change link confirms; it signs nobody in
    assert (moved.email, moved.email_hash) == ("new@example.org", hash_of("new@example.org", ports))
    assert ports.accounts.account_id_for(hash_of("new@example.org", ports)) == account.account_id
    assert ports.accounts.account_id_for(hash_of("old@example.org", ports)) is None
    stored = ports.accounts.get(account.account_id)
    assert stored is not None and stored.email == "new@example.org"
    [notice] = jobs(ports, "email_changed_notice")
    assert notice.to_address == "old@example.org" and notice.account_id == account.account_id
    assert ports.sign_in.email_change(account.account_id, ports.clock.now()) is None


def test_p04_a_taken_new_address_gets_nothing_and_the_earlier_link_ends_all_the_same() -> None:
    """Finding (address-change oracle): a change to a taken address left the earlier pending
    change in place, so using the earlier link told whether the address had an account."""
    ports = fake_ports()
    account = active_account(ports, "old@example.org")
    active_account(ports, "taken@example.org")
    email_change.request_change(account, "free@example.org", ports)
    [earlier] = jobs(ports, "email_change_confirm")
    before = ports.outbox.unsent_job_ids(limit=1000)
    email_change.request_change(account, "taken@example.org", ports)
    assert ports.outbox.unsent_job_ids(limit=1000) == before  # no mail to the taken address
    pending = ports.sign_in.email_change(account.account_id, ports.clock.now())
    assert pending is not None and pending.new_email == "taken@example.org"  # replaced, as for a free one
    with pytest.raises(InvalidToken):
        use(link_of(earlier, ports), ports)


def test_p04_an_address_change_makes_the_same_calls_for_a_taken_and_a_free_address() -> None:
    """The calls (operation names and count) do not tell whether the address has an account."""
    calls: dict[str, list[str]] = {}
    for new in ("taken@example.org", "free@example.org"):
        ports = fake_ports()
        account = active_account(ports, "old@example.org")
        active_account(ports, "taken@example.org")
        ports.table.start_recording()
        email_change.request_change(account, new, ports)
        calls[new] = ports.table.recorded()
    assert calls["taken@example.org"] == calls["free@example.org"] and calls["free@example.org"]


def test_address_change_mail_to_one_address_is_capped_per_hour() -> None:
    """Finding (unbounded mail): twelve changes to a stranger's address delivered twelve mails."""
    ports = fake_ports()
    account = active_account(ports, "old@example.org")
    for _ in range(12):
        email_change.request_change(account, "victim@example.org", ports)
    assert len(jobs(ports, "email_change_confirm")) == email_change.CHANGE_REQUESTS_PER_HOUR
    ports.clock.sleep(3600)
    email_change.request_change(account, "victim@example.org", ports)
    assert len(jobs(ports, "email_change_confirm")) == email_change.CHANGE_REQUESTS_PER_HOUR + 1


def test_p04_completing_after_the_new_address_was_taken_meanwhile_changes_nothing() -> None:
    ports = fake_ports()
    account = active_account(ports, "old@example.org")
    email_change.request_change(account, "new@example.org", ports)
    other = active_account(ports, "new@example.org")  # signed up under the new address meanwhile
    [confirm] = jobs(ports, "email_change_confirm")
    with pytest.raises(InvalidToken):
        use(link_of(confirm, ports), ports)
    assert ports.accounts.account_id_for(hash_of("new@example.org", ports)) == other.account_id
    assert ports.accounts.account_id_for(hash_of("old@example.org", ports)) == account.account_id
    assert jobs(ports, "email_changed_notice") == []


def test_p04_completing_without_a_pending_change_is_refused() -> None:
    ports = fake_ports()
    account = active_account(ports, "old@example.org")
    with pytest.raises(InvalidToken):
        use(mint(account.account_id, "email_change", ports, ref="no-such-request").rsplit("/", 1)[1], ports)


def test_p04_a_replaced_address_change_link_neither_changes_the_address_nor_confirms_anything() -> None:
    """The owner asks to move to a mistyped address B, then corrects it to C: B's link is
    dead, and C's link moves the account to C."""
    ports = fake_ports()
    account = active_account(ports, "old@example.org")
    email_change.request_change(account, "mistyped@example.org", ports)
    [to_b] = jobs(ports, "email_change_confirm")
    link_b = link_of(to_b, ports)
    email_change.request_change(account, "right@example.org", ports)
    [to_c] = [j for j in jobs(ports, "email_change_confirm") if j.to_address == "right@example.org"]
    with pytest.raises(InvalidToken):
        use(link_b, ports)
    stored = ports.accounts.get(account.account_id)
    assert stored is not None and stored.email == "old@example.org"
    assert use(link_of(to_c, ports), ports).account.email == "right@example.org"
    assert ports.accounts.account_id_for(hash_of("mistyped@example.org", ports)) is None


def link_of(job: MailJob, ports: Ports) -> str:
    """The token the job's mail would carry, minted as the sender mints it."""
    return mint(job.account_id or "", job.context["login_link"], ports, ref=job.context.get("link_ref")).rsplit("/", 1)[1]


def test_p04_the_change_request_cap_counts_every_request_so_its_own_mails_tell_nothing() -> None:
    """Found by the adversary model: the per-account cap counted only requests that mailed
    their link, so after a change to a taken address the next ones mailed one more time
    than after a change to a free one; a customer counting their own mails learned which
    addresses have accounts."""
    mailed = {}
    for probe_taken in (True, False):
        ports = fake_ports()
        account = active_account(ports, "old@example.org")
        if probe_taken:
            active_account(ports, "probe@example.org")
        email_change.request_change(account, "probe@example.org", ports)
        for _ in range(email_change.CHANGE_REQUESTS_PER_HOUR):
            email_change.request_change(account, "mine@example.org", ports)
        mailed[probe_taken] = len([j for j in jobs(ports, "email_change_confirm") if j.to_address == "mine@example.org"])
    assert mailed[True] == mailed[False] == email_change.CHANGE_REQUESTS_PER_HOUR - 1
