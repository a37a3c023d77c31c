"""What the contract tests build items from: random ids, one moment, a made-up account."""
from __future__ import annotations

from typing import Callable

from shared.store.accounts import Account, AccountRepository, ConsentEvent, Preferences
from shared.store.table import Table, Transaction

Ids = Callable[[], str]
AT = "2027-01-15T10:00:00.000+00:00"


def new_account(uid: Ids, status: str = "pending", account_id: str | None = None) -> Account:
    account_id = account_id or uid()
    return Account(account_id, f"{account_id}@example.org", f"hash-{uid()}", "Ann Example", status, AT, 1)


def add_new(table: Table, accounts: AccountRepository, account: Account, topics: dict[str, bool] | None = None,
            at: str = AT) -> None:
    """Commit a new account as signup does (lookup, profile, preferences, consent event)."""
    topics = {"newsletter": True, "promotions": False} if topics is None else topics
    tx = Transaction()
    accounts.add_new(tx, account, Preferences(account.account_id, topics, at),
                     ConsentEvent(account.account_id, at, f"ev-{account.account_id}", "signup", topics))
    table.commit(tx)
