"""AccountRepository's reads on both tables: both items at once, many accounts in
batches, the consent history, and the paginated audience and active-account pages."""
from __future__ import annotations


from shared.store.accounts import (
    Account,
    AccountRepository,
    ConsentEvent,
    Preferences,
    active_index_key,
    shard_of,
)
from shared.store.table import Put, Table
from tests.contract.builders import AT, Ids, add_new, new_account


def _consent(account_id: str, topics: dict[str, bool], at: str) -> ConsentEvent:
    return ConsentEvent(account_id, at, f"ev-{at}", "preferences", topics)


# -- reads ----------------------------------------------------------------------------------
def test_with_preferences_reads_both_or_what_exists(table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid)
    add_new(table, accounts, account)
    found_account, found_prefs = accounts.with_preferences(account.account_id)
    assert found_account == account
    assert found_prefs is not None and found_prefs.topics == {"newsletter": True, "promotions": False}
    profile_only = new_account(uid)
    accounts.put(profile_only)
    assert accounts.with_preferences(profile_only.account_id) == (profile_only, None)
    assert accounts.with_preferences(uid()) == (None, None)


def test_many_with_preferences_reads_many_accounts_once_each(table: Table, accounts: AccountRepository,
                                                             uid: Ids) -> None:
    known = [new_account(uid) for _ in range(60)]  # 120 keys: more than one BatchGetItem
    table.put_many([item for a in known for item in (
        a.to_item(), Preferences(a.account_id, {"newsletter": True}, AT).to_item())])
    unknown = uid()
    ids = [a.account_id for a in known] + [known[0].account_id, unknown]
    found = accounts.many_with_preferences(ids)
    assert list(found) == [a.account_id for a in known] + [unknown]
    for account in known:
        profile, prefs = found[account.account_id]
        assert profile == account
        assert prefs is not None and prefs.account_id == account.account_id
    assert found[unknown] == (None, None)


def test_consent_history_lists_events_oldest_first(table: Table, accounts: AccountRepository, uid: Ids) -> None:
    account = new_account(uid)
    add_new(table, accounts, account, {"newsletter": False, "promotions": False})
    for at, on in [("2027-05-01T00:00:00.000+00:00", True), ("2027-04-01T00:00:00.000+00:00", False)]:
        table.put(Put(_consent(account.account_id, {"newsletter": on}, at).to_item()))
    assert [e["at"] for e in accounts.consent_history(account.account_id)] == [
        AT, "2027-04-01T00:00:00.000+00:00", "2027-05-01T00:00:00.000+00:00"]


def test_audience_page_lists_members_and_continues_from_a_key(table: Table, accounts: AccountRepository,
                                                              uid: Ids) -> None:
    topic = f"topic{uid()}"
    members = sorted(uid() for _ in range(3))
    by_shard: dict[int, list[str]] = {}
    for account_id in members:
        table.put(Put({"pk": f"AUDIENCE#{topic}#{shard_of(account_id)}", "sk": f"ACCOUNT#{account_id}",
                       "account_id": account_id}))
        by_shard.setdefault(shard_of(account_id), []).append(account_id)
    for shard, ids in by_shard.items():
        assert accounts.audience_page(topic, shard) == (ids, None)
        assert accounts.audience_page(topic, shard, {"pk": f"AUDIENCE#{topic}#{shard}",
                                                     "sk": f"ACCOUNT#{ids[0]}"}) == (ids[1:], None)
    empty = next(s for s in range(16) if s not in by_shard)
    assert accounts.audience_page(topic, empty) == ([], None)


def test_audience_page_hands_out_the_next_start_when_a_page_is_full(table: Table, accounts: AccountRepository,
                                                                    uid: Ids) -> None:
    """A page stops at DynamoDB's 1 MB; large items make that happen with three members."""
    topic = f"topic{uid()}"
    members = sorted(f"{uid()}" for _ in range(3))
    for account_id in members:
        table.put(Put({"pk": f"AUDIENCE#{topic}#5", "sk": f"ACCOUNT#{account_id}", "account_id": account_id,
                       "padding": "x" * 390_000}))
    first, start = accounts.audience_page(topic, 5)
    assert start is not None and 0 < len(first) < 3
    rest, end = accounts.audience_page(topic, 5, start)
    assert end is None
    assert first + rest == members


def test_active_page_hands_out_the_next_start_and_continues_from_it(accounts: AccountRepository,
                                                                    uid: Ids) -> None:
    shard = 7
    mine: list[Account] = []
    while len(mine) < 3:  # three active accounts in one shard, large enough to fill a page
        candidate = uid()
        if shard_of(candidate) == shard:
            account = new_account(uid, status="active", account_id=candidate)
            account.name = "x" * 390_000
            mine.append(account)
    for account in mine:
        accounts.put(account)
    ids: list[str] = []
    starts = 0
    page, start = accounts.active_page(shard)
    ids += page
    while start is not None:
        starts += 1
        assert set(start) == {"pk", "sk", *active_index_key("x")}
        page, start = accounts.active_page(shard, start)
        ids += page
    assert starts >= 1
    assert sorted(i for i in ids if i in {a.account_id for a in mine}) == sorted(a.account_id for a in mine)
    assert len(ids) == len(set(ids))
