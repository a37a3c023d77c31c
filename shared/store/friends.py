"""Friend data from Tell-A-Friend (P06-P09): the friend's name and address, kept only to
run and monitor the referral program.

Purpose-limited: this repository is no field of `Ports`; an import-linter contract lets
only the referral use cases import it, and its key prefix appears in no other module
(tests check both). Key shape: `REFERRAL#<hmac>` / `FRIEND`, one per friend address ever.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.store.expressions import ITEM_ABSENT, ITEM_EXISTS, Changes, Item
from shared.store.table import ConditionFailed, Entity, Key, Put, Table, Transaction, Update

ALREADY_INVITED = "friend_already_invited"


@dataclass
class FriendRecord(Entity):
    friend_hash: str
    referral_id: str
    referrer_id: str
    invited_at: str
    status: str = "invited"
    friend_name: str | None = None
    friend_email: str | None = None

    @staticmethod
    def key(friend_hash: str) -> Key:
        return {"pk": f"REFERRAL#{friend_hash}", "sk": "FRIEND"}

    def to_item(self) -> Item:
        item = {**self.key(self.friend_hash), "type": "friend", **asdict(self)}
        return {k: v for k, v in item.items() if v is not None}


class FriendRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def add_invitation(self, tx: Transaction, record: FriendRecord) -> None:
        """One record per friend address, ever: ALREADY_INVITED fails for a known hash."""
        tx.add(Put(record.to_item(), ITEM_ABSENT, tag=ALREADY_INVITED))

    def get(self, friend_hash: str) -> FriendRecord | None:
        item = self._table.get(FriendRecord.key(friend_hash))
        return FriendRecord.from_item(item) if item else None

    def drop_personal_data(self, friend_hash: str, status: str) -> bool:
        """Delete the friend's name and address, keeping only the hash and the new status;
        False when there was no record."""
        try:
            self._table.update(Update(FriendRecord.key(friend_hash),
                                      Changes(set={"status": status}, remove=("friend_name", "friend_email")),
                                      ITEM_EXISTS))
        except ConditionFailed:
            return False
        return True
