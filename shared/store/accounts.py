"""Accounts: profile, address lookup, preferences, consent events and audiences.

Key shapes (ACCESS_PATTERNS.md lists them all): `ACCOUNT#<id>` / `PROFILE`, `PREFS`,
`CONSENT#<at>#<id>`; `EMAIL#<hmac>` / `ACCOUNT`; `AUDIENCE#<topic>#<shard>` /
`ACCOUNT#<id>`; the sparse index `ACTIVE#<shard>` / `ACCOUNT#<id>` of active accounts.
"""
from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from typing import Any, Iterable

from shared.store.expressions import ITEM_ABSENT, ITEM_EXISTS, Attr, Changes, Condition, Item
from shared.store.table import (
    MAX_TRANSACTION_ITEMS,
    Check,
    ConditionFailed,
    Delete,
    Entity,
    ItemNotFound,
    Key,
    Put,
    Table,
    Transaction,
    Update,
    query_all,
)

AUDIENCE_SHARDS = 16
IdPage = tuple[list[str], "Key | None"]  # account ids, and where the next page starts
INDEX = "gsi1"

# Tags of the conditional operations a use case may want to tell apart.
ADDRESS_TAKEN = "address_taken"  # old value: the account id that holds the address
NOT_PENDING = "account_not_pending"
NOT_ACTIVE = "account_not_active"
TOPICS_UNCHANGED = "topics_unchanged"  # old value: None when the account has no preferences
ALREADY_DEACTIVATED = "already_deactivated"  # old value: None when there is no such account
LINKS_RETIRED = "links_retired"  # the account's link generation moved on since the link was minted


def shard_of(account_id: str) -> int:
    return zlib.crc32(account_id.encode()) % AUDIENCE_SHARDS


def audience_key(topic: str, account_id: str) -> Key:
    """Membership of an opted-in, active account in a topic's audience (sharded)."""
    return {"pk": f"AUDIENCE#{topic}#{shard_of(account_id)}", "sk": f"ACCOUNT#{account_id}"}


def active_index_key(account_id: str) -> dict[str, str]:
    """The sparse index entry every active account has: service mail's audience."""
    return {"gsi1pk": f"ACTIVE#{shard_of(account_id)}", "gsi1sk": f"ACCOUNT#{account_id}"}


def pending_index_key(account_id: str, link_sent_at: str) -> dict[str, str]:
    """The sparse index entry of an unconfirmed account, by when its last confirm link went
    out: what the purge of never-confirmed signups reads."""
    return {"gsi1pk": f"PENDING#{shard_of(account_id)}", "gsi1sk": f"{link_sent_at}#{account_id}"}


@dataclass
class Account(Entity):
    account_id: str
    email: str
    email_hash: str
    name: str
    status: str
    created_at: str
    policy_version: int
    # Links of /login/{token} carry the generation they were minted in; completing an address
    # change or deactivating advances it, so no link mailed before either works afterwards.
    link_generation: int = 0

    @staticmethod
    def key(account_id: str) -> Key:
        return {"pk": f"ACCOUNT#{account_id}", "sk": "PROFILE"}

    def to_item(self) -> Item:
        item = {**self.key(self.account_id), "type": "account", **asdict(self)}
        if self.status == "active":
            item.update(active_index_key(self.account_id))
        elif self.status == "pending":  # until its welcome's confirm link is sent
            item.update(pending_index_key(self.account_id, self.created_at))
        return item


@dataclass
class Preferences(Entity):
    account_id: str
    topics: dict[str, bool]
    updated_at: str

    @staticmethod
    def key(account_id: str) -> Key:
        return {"pk": f"ACCOUNT#{account_id}", "sk": "PREFS"}

    def to_item(self) -> Item:
        return {**self.key(self.account_id), "type": "preferences", **asdict(self)}


@dataclass
class ConsentEvent:
    """Append-only record of every preference change: what, when, and through which door."""

    account_id: str
    at: str
    event_id: str
    source: str
    topics: dict[str, bool]

    def to_item(self) -> Item:
        return {"pk": f"ACCOUNT#{self.account_id}", "sk": f"CONSENT#{self.at}#{self.event_id}",
                "type": "consent_event", **asdict(self)}


def links_of_generation(generation: int) -> Condition:
    """The account's links are still those of `generation` (items from before the field: 0)."""
    same = Attr("link_generation") == generation
    return same | Attr("link_generation").absent() if generation == 0 else same


def _lookup_key(email_hash: str) -> Key:
    return {"pk": f"EMAIL#{email_hash}", "sk": "ACCOUNT"}


def _owner(item: Item) -> str:
    return str(item["account_id"])


def _status(item: Item) -> str:
    return str(item["status"])


class AccountRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    # -- reads ----------------------------------------------------------------------------
    def account_id_for(self, email_hash: str) -> str | None:
        item = self._table.get(_lookup_key(email_hash))
        return _owner(item) if item else None

    def get(self, account_id: str) -> Account | None:
        item = self._table.get(Account.key(account_id))
        return Account.from_item(item) if item else None

    def preferences(self, account_id: str) -> Preferences | None:
        item = self._table.get(Preferences.key(account_id))
        return Preferences.from_item(item) if item else None

    def with_preferences(self, account_id: str) -> tuple[Account | None, Preferences | None]:
        """Both items of an account in one round trip."""
        found = {i["sk"]: i for i in self._table.get_many([Account.key(account_id), Preferences.key(account_id)])}
        return (Account.from_item(found["PROFILE"]) if "PROFILE" in found else None,
                Preferences.from_item(found["PREFS"]) if "PREFS" in found else None)

    def many_with_preferences(self, account_ids: Iterable[str]) -> dict[str, tuple[Account | None, Preferences | None]]:
        """Profiles and preferences of many accounts in as few round trips as DynamoDB allows."""
        ids = list(dict.fromkeys(account_ids))
        keys = [k for a in ids for k in (Account.key(a), Preferences.key(a))]
        found = {(i["pk"], i["sk"]): i for i in self._table.get_many(keys)}
        result = {}
        for account_id in ids:
            profile = found.get((f"ACCOUNT#{account_id}", "PROFILE"))
            prefs = found.get((f"ACCOUNT#{account_id}", "PREFS"))
            result[account_id] = (Account.from_item(profile) if profile else None,
                                  Preferences.from_item(prefs) if prefs else None)
        return result

    def consent_history(self, account_id: str) -> list[dict[str, Any]]:
        items = query_all(self._table, f"ACCOUNT#{account_id}", prefix="CONSENT#")
        return [{k: i[k] for k in ("at", "source", "topics")} for i in items]

    def audience_page(self, topic: str, shard: int, start: Key | None = None) -> IdPage:
        """One page of a topic's audience shard (account ids) and where the next starts."""
        page = self._table.query(f"AUDIENCE#{topic}#{shard}", start=start)
        return [i["account_id"] for i in page.items], page.next

    def active_page(self, shard: int, start: Key | None = None) -> IdPage:
        """One page of a shard of the active-accounts index (service mail's audience)."""
        page = self._table.query(f"ACTIVE#{shard}", index=INDEX, start=start)
        return [i["account_id"] for i in page.items], page.next

    def in_audience(self, topic: str, account_id: str) -> bool:
        return self._table.get(audience_key(topic, account_id)) is not None

    def in_active_index(self, account_id: str) -> bool:
        item = self._table.get(Account.key(account_id))
        return bool(item and str(item.get("gsi1pk", "")).startswith("ACTIVE#"))

    # -- writes ---------------------------------------------------------------------------
    def add_new(self, tx: Transaction, account: Account, preferences: Preferences, consent: ConsentEvent) -> None:
        """A new account under an address no account holds yet (ADDRESS_TAKEN otherwise)."""
        tx.add(
            Put({**_lookup_key(account.email_hash), "type": "email_lookup", "account_id": account.account_id},
                ITEM_ABSENT, tag=ADDRESS_TAKEN, decode=_owner),
            Put(account.to_item(), ITEM_ABSENT, tag="account_id_taken"),
            Put(preferences.to_item()),
            Put(consent.to_item()),
        )

    def put(self, account: Account) -> None:
        """Write a profile as it is (operators' repairs and test set-ups)."""
        self._table.put(Put(account.to_item()))

    def add_activation(self, tx: Transaction, account_id: str, topics_on: Iterable[str], generation: int = 0,
                       name: str | None = None, consent: ConsentEvent | None = None) -> None:
        """pending → active, joining the active index and the audiences of the topics on; with
        the name and the topics the person chose (`consent`, recorded in the ledger) when
        given. NOT_PENDING fails unless the account is pending and its links are still of
        `generation` (one operation per item: the caller reads the account again to tell)."""
        index = active_index_key(account_id)
        changes = {"status": "active", **index, **({"name": name} if name is not None else {})}
        tx.add(
            Update(Account.key(account_id), Changes(set=changes),
                   (Attr("status") == "pending") & links_of_generation(generation), tag=NOT_PENDING),
            *[Put({**audience_key(t, account_id), "account_id": account_id}) for t in topics_on],
        )
        if consent is not None:
            tx.add(Update(Preferences.key(account_id), Changes(set={**{f"topics.{t}": on for t, on in
                                                                      consent.topics.items()},
                                                                   "updated_at": consent.at}), ITEM_EXISTS),
                   Put(consent.to_item(), ITEM_ABSENT))

    def add_address_free_check(self, tx: Transaction, email_hash: str) -> None:
        """The address has no account (ADDRESS_TAKEN fails otherwise)."""
        tx.add(Check(_lookup_key(email_hash), ITEM_ABSENT, tag=ADDRESS_TAKEN))

    def add_exists_check(self, tx: Transaction, account_id: str) -> None:
        tx.add(Check(Account.key(account_id), ITEM_EXISTS, tag="account_missing"))

    def add_active_check(self, tx: Transaction, account_id: str) -> None:
        """The account exists and is active (NOT_ACTIVE fails otherwise)."""
        tx.add(Check(Account.key(account_id), Attr("status") == "active", tag=NOT_ACTIVE))

    def add_sign_in_check(self, tx: Transaction, account_id: str, generation: int) -> None:
        """A link signs in only while the account is active and its links are of `generation`
        (LINKS_RETIRED fails otherwise)."""
        tx.add(Check(Account.key(account_id), (Attr("status") == "active") & links_of_generation(generation),
                     tag=LINKS_RETIRED))

    def update_name(self, account_id: str, name: str) -> None:
        try:
            self._table.update(Update(Account.key(account_id), Changes(set={"name": name}), ITEM_EXISTS))
        except ConditionFailed:
            raise ItemNotFound("no such account") from None

    def add_consent_event(self, tx: Transaction, consent: ConsentEvent) -> None:
        """A choice the customer made (P13), appended to their consent history."""
        tx.add(Put(consent.to_item(), ITEM_ABSENT))

    def accept_policy(self, account_id: str, version: int) -> None:
        """The customer has seen this policy version (never lowered: an older tab's click)."""
        try:
            self._table.update(Update(Account.key(account_id), Changes(set={"policy_version": version}),
                                      ITEM_EXISTS & (Attr("policy_version") < version)))
        except ConditionFailed:
            pass

    def add_confirm_link_sent(self, tx: Transaction, account_id: str, at: str) -> None:
        """A pending account's confirm link went out again: its purge waits from now."""
        tx.add(Update(Account.key(account_id), Changes(set=pending_index_key(account_id, at)),
                      Attr("status") == "pending", tag=NOT_PENDING))

    def unconfirmed_before(self, shard: int, before: str, start: Key | None = None, limit: int = 100) -> IdPage:
        """One page of the pending accounts whose last confirm link went out before `before`,
        oldest first, and where the next page starts (None: no more)."""
        page = self._table.query(f"PENDING#{shard}", index=INDEX, upper=before, limit=limit, start=start)
        return [i["account_id"] for i in page.items], page.next

    def delete_unconfirmed(self, account: Account) -> bool:
        """Delete everything held about an account that never confirmed its address: profile,
        address lookup, preferences and consent events, in one transaction, and only while
        it is still pending. False when it was confirmed (or changed) meanwhile."""
        consents = [i["sk"] for i in query_all(self._table, f"ACCOUNT#{account.account_id}", prefix="CONSENT#")]
        tx = Transaction([
            Delete(Account.key(account.account_id), Attr("status") == "pending", tag=NOT_PENDING),
            Delete(_lookup_key(account.email_hash), Attr("account_id") == account.account_id),
            Delete(Preferences.key(account.account_id)),
            *[Delete({"pk": f"ACCOUNT#{account.account_id}", "sk": sk}) for sk in consents[:MAX_TRANSACTION_ITEMS - 3]],
        ])
        try:
            self._table.commit(tx)
        except ConditionFailed:
            return False
        return True

    def add_deactivation(self, tx: Transaction, account_id: str, at: str, topics: Iterable[str]) -> None:
        """Out of the active index and every audience; the data stays (P28)."""
        tx.add(
            Update(Account.key(account_id),
                   Changes(set={"status": "deactivated", "deactivated_at": at}, remove=("gsi1pk", "gsi1sk"),
                           add={"link_generation": 1}),
                   ITEM_EXISTS & (Attr("status") != "deactivated"), tag=ALREADY_DEACTIVATED, decode=_status),
            *[Delete(audience_key(t, account_id)) for t in topics],
        )

    def add_topic_changes(self, tx: Transaction, consent: ConsentEvent, join_audiences: bool) -> None:
        """Set topics with their consent event and audience membership. TOPICS_UNCHANGED
        fails when every topic already had its value (old value None: no such account)."""
        account_id, changes = consent.account_id, consent.topics
        differs: Condition | None = None
        for topic, on in changes.items():
            one = Attr(f"topics.{topic}") != on
            differs = one if differs is None else differs | one
        condition = ITEM_EXISTS if differs is None else ITEM_EXISTS & differs
        tx.add(
            Update(Preferences.key(account_id),
                   Changes(set={**{f"topics.{t}": on for t, on in changes.items()}, "updated_at": consent.at}),
                   condition, tag=TOPICS_UNCHANGED, decode=lambda item: item),
            Put(consent.to_item()),
        )
        for topic, on in changes.items():
            if on and join_audiences:
                tx.add(Put({**audience_key(topic, account_id), "account_id": account_id}))
            elif not on:
                tx.add(Delete(audience_key(topic, account_id)))
        if join_audiences and any(changes.values()):  # joining needs the account active when it lands
            tx.add(Check(Account.key(account_id), Attr("status") == "active", tag=NOT_ACTIVE))

    def add_address_change(self, tx: Transaction, account: Account, new_email: str, new_hash: str) -> None:
        """Move the account to a new address: the new lookup must be free, the old one its own.
        Every link minted before (to the old address) is retired with the move."""
        tx.add(
            Put({**_lookup_key(new_hash), "type": "email_lookup", "account_id": account.account_id},
                ITEM_ABSENT, tag=ADDRESS_TAKEN, decode=_owner),
            Delete(_lookup_key(account.email_hash), Attr("account_id") == account.account_id, tag="lookup_moved"),
            Update(Account.key(account.account_id), Changes(set={"email": new_email, "email_hash": new_hash},
                                                            add={"link_generation": 1}),
                   (Attr("email_hash") == account.email_hash) & links_of_generation(account.link_generation),
                   tag="address_moved"),
        )
