"""AccountRepository's contract on both tables: every conditional path passing and failing.
(Its reads and pages: test_repositories_account_reads.py; the other repositories:
test_repositories_*.py beside this file.)"""
from __future__ import annotations

import pytest

from shared.store.accounts import (
    ADDRESS_TAKEN,
    ALREADY_DEACTIVATED,
    NOT_ACTIVE,
    NOT_PENDING,
    TOPICS_UNCHANGED,
    Account,
    AccountRepository,
    ConsentEvent,
    Preferences,
    shard_of,
)
from shared.store.table import ConditionFailed, ItemNotFound, Put, Table, Transaction
from tests.contract.builders import AT, Ids, add_new, new_account


def _consent(account_id: str, topics: dict[str, bool], at: str = "2027-02-01T00:00:00.000+00:00",
             source: str = "preferences") -> ConsentEvent:
    return ConsentEvent(account_id, at, f"ev-{at}", source, topics)


# -- add_new --------------------------------------------------------------------------------
def test_add_new_under_a_free_address_writes_lookup_profile_prefs_and_consent(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid)
    add_new(table, accounts, account)
    assert accounts.account_id_for(account.email_hash) == account.account_id
    assert accounts.get(account.account_id) == account
    assert accounts.preferences(account.account_id) == Preferences(
        account.account_id, {"newsletter": True, "promotions": False}, AT)
    assert accounts.consent_history(account.account_id) == [
        {"at": AT, "source": "signup", "topics": {"newsletter": True, "promotions": False}}]
    assert not accounts.in_active_index(account.account_id)  # pending accounts are not in the index


def test_p11_add_new_under_a_taken_address_fails_naming_the_holder_and_writes_nothing(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    holder = new_account(uid)
    add_new(table, accounts, holder)
    newcomer = new_account(uid)
    newcomer.email_hash = holder.email_hash
    with pytest.raises(ConditionFailed) as failed:
        add_new(table, accounts, newcomer)
    assert failed.value.tags == frozenset({ADDRESS_TAKEN})
    assert failed.value.old == {ADDRESS_TAKEN: holder.account_id}
    assert accounts.get(newcomer.account_id) is None
    assert accounts.preferences(newcomer.account_id) is None
    assert accounts.consent_history(newcomer.account_id) == []
    assert accounts.account_id_for(holder.email_hash) == holder.account_id


def test_add_new_with_an_account_id_in_use_fails(table: Table, accounts: AccountRepository, uid: Ids) -> None:
    first = new_account(uid)
    add_new(table, accounts, first)
    second = new_account(uid, account_id=first.account_id)
    with pytest.raises(ConditionFailed) as failed:
        add_new(table, accounts, second)
    assert failed.value.tags == frozenset({"account_id_taken"})
    assert accounts.account_id_for(second.email_hash) is None


def test_put_writes_a_profile_as_it_is_with_the_index_entry_of_an_active_account(
        accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid, status="active")
    accounts.put(account)
    assert accounts.get(account.account_id) == account
    assert accounts.in_active_index(account.account_id)


# -- activation -----------------------------------------------------------------------------
def test_add_activation_makes_a_pending_account_active_in_the_index_and_audiences(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid)
    add_new(table, accounts, account)
    tx = Transaction()
    accounts.add_activation(tx, account.account_id, ["newsletter"])
    table.commit(tx)
    stored = accounts.get(account.account_id)
    assert stored is not None and stored.status == "active"
    assert accounts.in_active_index(account.account_id)
    assert accounts.in_audience("newsletter", account.account_id)
    assert not accounts.in_audience("promotions", account.account_id)
    ids: list[str] = []
    start = None
    while True:  # the whole shard, whatever else the shared table holds
        page, start = accounts.active_page(shard_of(account.account_id), start)
        ids += page
        if start is None:
            break
    assert ids.count(account.account_id) == 1


@pytest.mark.parametrize("status", ["active", "deactivated"])
def test_add_activation_of_an_account_that_is_not_pending_fails_and_joins_nothing(
        table: Table, accounts: AccountRepository, uid: Ids, status: str) -> None:
    account = new_account(uid, status=status)
    accounts.put(account)
    tx = Transaction()
    accounts.add_activation(tx, account.account_id, ["newsletter"])
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({NOT_PENDING})
    assert not accounts.in_audience("newsletter", account.account_id)
    assert accounts.get(account.account_id) == account


def test_add_activation_of_an_unknown_account_fails_and_creates_nothing(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account_id = uid()
    tx = Transaction()
    accounts.add_activation(tx, account_id, [])
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({NOT_PENDING})
    assert accounts.get(account_id) is None


# -- name -----------------------------------------------------------------------------------
def test_update_name_changes_only_the_name(accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid, status="active")
    accounts.put(account)
    accounts.update_name(account.account_id, "Bea Example")
    stored = accounts.get(account.account_id)
    assert stored is not None
    assert stored.name == "Bea Example"
    assert (stored.email, stored.status) == (account.email, "active")


def test_update_name_of_an_unknown_account_raises_item_not_found_and_creates_nothing(
        accounts: AccountRepository, uid: Ids) -> None:
    account_id = uid()
    with pytest.raises(ItemNotFound):
        accounts.update_name(account_id, "Nobody")
    assert accounts.get(account_id) is None


# -- deactivation ---------------------------------------------------------------------------
def test_p28_add_deactivation_leaves_index_and_audiences_and_keeps_the_data(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid)
    add_new(table, accounts, account)
    tx = Transaction()
    accounts.add_activation(tx, account.account_id, ["newsletter", "promotions"])
    table.commit(tx)
    tx = Transaction()
    accounts.add_deactivation(tx, account.account_id, "2027-03-01T00:00:00.000+00:00", ["newsletter", "promotions"])
    table.commit(tx)
    stored = accounts.get(account.account_id)
    assert stored is not None and stored.status == "deactivated"
    assert not accounts.in_active_index(account.account_id)
    assert not accounts.in_audience("newsletter", account.account_id)
    assert not accounts.in_audience("promotions", account.account_id)
    assert accounts.account_id_for(account.email_hash) == account.account_id  # the data stays
    assert accounts.preferences(account.account_id) is not None


def test_add_deactivation_twice_fails_already_deactivated(table: Table, accounts: AccountRepository,
                                                          uid: Ids) -> None:
    account = new_account(uid, status="deactivated")
    accounts.put(account)
    tx = Transaction()
    accounts.add_deactivation(tx, account.account_id, "2027-03-01T00:00:00.000+00:00", ["newsletter"])
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({ALREADY_DEACTIVATED})


def test_add_deactivation_of_an_unknown_account_fails_and_creates_nothing(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account_id = uid()
    tx = Transaction()
    accounts.add_deactivation(tx, account_id, "2027-03-01T00:00:00.000+00:00", [])
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({ALREADY_DEACTIVATED})
    assert accounts.get(account_id) is None


# -- topics ---------------------------------------------------------------------------------
def test_add_topic_changes_with_a_changed_topic_passes_and_joins_its_audience(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid, status="active")
    accounts.put(account)
    table.put(Put(Preferences(account.account_id, {"newsletter": False, "promotions": False}, AT).to_item()))
    tx = Transaction()
    consent = _consent(account.account_id, {"newsletter": True, "promotions": False})
    accounts.add_topic_changes(tx, consent, join_audiences=True)
    table.commit(tx)
    assert accounts.preferences(account.account_id) == Preferences(
        account.account_id, {"newsletter": True, "promotions": False}, consent.at)
    assert accounts.in_audience("newsletter", account.account_id)
    assert not accounts.in_audience("promotions", account.account_id)
    assert accounts.consent_history(account.account_id) == [
        {"at": consent.at, "source": "preferences", "topics": {"newsletter": True, "promotions": False}}]


def test_add_topic_changes_switching_off_leaves_the_audience(table: Table, accounts: AccountRepository,
                                                             uid: Ids) -> None:
    account = new_account(uid)
    add_new(table, accounts, account, {"newsletter": True, "promotions": True})
    tx = Transaction()
    accounts.add_activation(tx, account.account_id, ["newsletter", "promotions"])
    table.commit(tx)
    tx = Transaction()
    accounts.add_topic_changes(tx, _consent(account.account_id, {"promotions": False}, source="unsubscribe"),
                               join_audiences=False)
    table.commit(tx)
    assert not accounts.in_audience("promotions", account.account_id)
    assert accounts.in_audience("newsletter", account.account_id)
    prefs = accounts.preferences(account.account_id)
    assert prefs is not None and prefs.topics == {"newsletter": True, "promotions": False}


def test_add_topic_changes_for_a_topic_missing_from_the_map_passes(table: Table, accounts: AccountRepository,
                                                                   uid: Ids) -> None:
    """`topics.x <> value` passes on a missing key, and SET reaches into the existing map."""
    account = new_account(uid)
    add_new(table, accounts, account, {})
    tx = Transaction()
    accounts.add_topic_changes(tx, _consent(account.account_id, {"newsletter": False}), join_audiences=False)
    table.commit(tx)
    prefs = accounts.preferences(account.account_id)
    assert prefs is not None and prefs.topics == {"newsletter": False}


def test_add_topic_changes_with_every_topic_unchanged_fails_with_the_preferences_item(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid)
    add_new(table, accounts, account, {"newsletter": True, "promotions": False})
    tx = Transaction()
    accounts.add_topic_changes(tx, _consent(account.account_id, {"newsletter": True, "promotions": False}),
                               join_audiences=False)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({TOPICS_UNCHANGED})
    old = failed.value.old[TOPICS_UNCHANGED]
    assert old is not None
    assert (old["pk"], old["sk"], old["topics"]) == (f"ACCOUNT#{account.account_id}", "PREFS",
                                                    {"newsletter": True, "promotions": False})
    assert len(accounts.consent_history(account.account_id)) == 1  # no consent event written


def test_add_topic_changes_for_an_unknown_account_fails_with_no_old_item(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account_id = uid()
    tx = Transaction()
    accounts.add_topic_changes(tx, _consent(account_id, {"newsletter": False}), join_audiences=False)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({TOPICS_UNCHANGED})
    assert failed.value.old == {TOPICS_UNCHANGED: None}
    assert accounts.preferences(account_id) is None
    assert accounts.consent_history(account_id) == []


@pytest.mark.parametrize("status", ["pending", "deactivated"])
def test_add_topic_changes_joining_audiences_of_an_account_not_active_fails(
        table: Table, accounts: AccountRepository, uid: Ids, status: str) -> None:
    account = new_account(uid)
    add_new(table, accounts, account, {"newsletter": False, "promotions": False})
    if status == "deactivated":
        tx = Transaction()
        accounts.add_deactivation(tx, account.account_id, AT, [])
        table.commit(tx)
    tx = Transaction()
    accounts.add_topic_changes(tx, _consent(account.account_id, {"newsletter": True}), join_audiences=True)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({NOT_ACTIVE})
    assert not accounts.in_audience("newsletter", account.account_id)
    prefs = accounts.preferences(account.account_id)
    assert prefs is not None and prefs.topics["newsletter"] is False


# -- address change -------------------------------------------------------------------------
def test_p04_add_address_change_moves_the_lookup_and_the_profile(table: Table, accounts: AccountRepository,
                                                                 uid: Ids) -> None:
    account = new_account(uid, status="active")
    add_new(table, accounts, account)
    new_hash = f"hash-{uid()}"
    tx = Transaction()
    accounts.add_address_change(tx, account, "new@example.org", new_hash)
    table.commit(tx)
    assert accounts.account_id_for(new_hash) == account.account_id
    assert accounts.account_id_for(account.email_hash) is None
    stored = accounts.get(account.account_id)
    assert stored is not None and (stored.email, stored.email_hash) == ("new@example.org", new_hash)


def test_add_address_change_to_a_taken_address_fails_naming_the_holder(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account, holder = new_account(uid, status="active"), new_account(uid, status="active")
    add_new(table, accounts, account)
    add_new(table, accounts, holder)
    tx = Transaction()
    accounts.add_address_change(tx, account, holder.email, holder.email_hash)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({ADDRESS_TAKEN})
    assert failed.value.old == {ADDRESS_TAKEN: holder.account_id}
    assert accounts.account_id_for(account.email_hash) == account.account_id
    assert accounts.get(account.account_id) == account


def test_add_address_change_fails_when_the_old_lookup_is_not_the_accounts(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid, status="active")
    accounts.put(account)  # a profile whose address lookup is missing
    new_hash = f"hash-{uid()}"
    tx = Transaction()
    accounts.add_address_change(tx, account, "new@example.org", new_hash)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({"lookup_moved"})
    assert accounts.account_id_for(new_hash) is None


def test_add_address_change_fails_when_the_profile_moved_meanwhile(
        table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid, status="active")
    add_new(table, accounts, account)
    moved = Account(**{**account.__dict__, "email_hash": f"hash-{uid()}"})
    accounts.put(moved)  # the profile now names another address; `account` is stale
    new_hash = f"hash-{uid()}"
    tx = Transaction()
    accounts.add_address_change(tx, account, "new@example.org", new_hash)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({"address_moved"})
    assert accounts.account_id_for(new_hash) is None
    assert accounts.account_id_for(account.email_hash) == account.account_id
