"""Friend data from Tell-A-Friend (P06-P09): the friend's address, kept only to send the one
invitation and monitor the referral program. The friend's name is asked (the invitation is
personal) but never stored: the invitation names only the referrer, and a referrer's
listing shows "A friend", so nothing a referrer sees changes when the friend is erased.

Purpose-limited: this repository is no field of `Ports`; an import-linter contract lets
only the referral use cases import it, and its key prefix appears in no other module
(tests check both).

Key shapes, all in the friend mailbox's own partition `REFERRAL#<mailbox key>` (the keyed
hash of the canonical mailbox, shared.ids.mailbox_key: every spelling of one mailbox is one
friend), so forgetting an address reaches everything held about it with one query:

| sort key           | what                                                 | personal data     |
|--------------------|------------------------------------------------------|-------------------|
| `FRIEND`           | the one invitation ever sent to the mailbox: status  | none              |
| `ADDRESS`          | the address, until it is mailed out, joins or expires | the friend's email |
| `BY#<referral id>` | one referral of the mailbox by a customer (listed by `gsi1` `REFERRER#<id>`) | none |

Items holding personal data carry `expires_at` (DynamoDB's TTL deletes them) and a sparse
`gsi1` key `FRIENDDATA#<expiry day>`, by which the daily purge deletes them on time; reads
treat an expired item as gone. A referrer's counts live at `REFERRER#<id>` (`COUNTS`, and
`DAY#`/`WEEK#` for the caps), listed for the report by `gsi1` `REFERRERS`.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from shared.store.expressions import ITEM_ABSENT, ITEM_EXISTS, Attr, Changes, Item
from shared.store.table import (ConditionFailed, Delete, Entity, Key, Put, Table, Transaction, Update, in_force,
                                query_all)

ALREADY_INVITED = "friend_already_invited"
OVER_CAP = "referral_cap_reached"
NOT_INVITED = "friend_not_invited"


def _partition(friend_hash: str) -> str:
    return f"REFERRAL#{friend_hash}"


def _day(epoch: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


def _data_index(expires_at: int, key: Key) -> dict[str, str]:
    return {"gsi1pk": f"FRIENDDATA#{_day(expires_at)}", "gsi1sk": f"{key['pk']}#{key['sk']}"}


@dataclass
class Invitation(Entity):
    """The one invitation an address ever gets: who caused it, and what became of it."""

    friend_hash: str
    referral_id: str
    referrer_id: str
    invited_at: str
    status: str = "invited"  # invited | joined | forgotten

    @staticmethod
    def key(friend_hash: str) -> Key:
        return {"pk": _partition(friend_hash), "sk": "FRIEND"}

    def to_item(self) -> Item:
        return {**self.key(self.friend_hash), "type": "invitation", **asdict(self)}


@dataclass
class Referral(Entity):
    """One customer's referral of a mailbox. Whether it caused the invitation is the
    invitation's to say (its referral id), never the customer's to see: a referral that sent
    nothing lists the same."""

    referral_id: str
    referrer_id: str
    friend_hash: str
    created_at: str
    status: str = "invited"  # invited | joined

    @staticmethod
    def key(friend_hash: str, referral_id: str) -> Key:
        return {"pk": _partition(friend_hash), "sk": f"BY#{referral_id}"}

    def to_item(self) -> Item:
        return {**self.key(self.friend_hash, self.referral_id), "type": "referral", **asdict(self),
                "gsi1pk": f"REFERRER#{self.referrer_id}", "gsi1sk": f"{self.created_at}#{self.referral_id}"}


@dataclass
class ReferrerCounts(Entity):
    referrer_id: str
    referrals: int = 0
    invitations: int = 0
    joined: int = 0


def _address_key(friend_hash: str) -> Key:
    return {"pk": _partition(friend_hash), "sk": "ADDRESS"}


def _counts_key(referrer_id: str) -> Key:
    return {"pk": f"REFERRER#{referrer_id}", "sk": "COUNTS"}


def _counted(referrer_id: str, **add: int) -> Update:
    key = _counts_key(referrer_id)
    return Update(key, Changes(set={"referrer_id": referrer_id, "gsi1pk": "REFERRERS", "gsi1sk": referrer_id},
                               add=add))


class FriendRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    # -- referring --------------------------------------------------------------------------

    def add_within_caps(self, tx: Transaction, referrer_id: str, caps: dict[str, tuple[str, int, int]]) -> None:
        """Count a referral against each cap (name -> (period, limit, expires_at)); the
        transaction fails with OVER_CAP when one is full."""
        for name, (period, limit, expires_at) in caps.items():
            key = {"pk": f"REFERRER#{referrer_id}", "sk": f"{name}#{period}"}
            tx.add(Update(key, Changes(set={"expires_at": expires_at}, add={"count": 1}),
                          Attr("count").absent() | (Attr("count") < limit), tag=OVER_CAP))

    def add_referral(self, tx: Transaction, referral: Referral) -> None:
        tx.add(Put(referral.to_item(), ITEM_ABSENT))
        tx.add(_counted(referral.referrer_id, referrals=1))

    def add_invitation(self, tx: Transaction, invitation: Invitation, friend_email: str, expires_at: int) -> None:
        """One invitation per mailbox, ever: ALREADY_INVITED fails for a known one."""
        tx.add(Put(invitation.to_item(), ITEM_ABSENT, tag=ALREADY_INVITED))
        address_key = _address_key(invitation.friend_hash)
        tx.add(Put({**address_key, "type": "friend_address", "friend_email": friend_email, "expires_at": expires_at,
                    **_data_index(expires_at, address_key)}))
        tx.add(_counted(invitation.referrer_id, invitations=1))

    # -- reading ----------------------------------------------------------------------------

    def invitation(self, friend_hash: str) -> Invitation | None:
        item = self._table.get(Invitation.key(friend_hash))
        return Invitation.from_item(item) if item else None

    def address(self, friend_hash: str, now: float) -> str | None:
        """The friend's address while it is held."""
        item = self._table.get(_address_key(friend_hash))
        return item["friend_email"] if item and in_force(item, now) else None

    def referrals_by(self, referrer_id: str) -> list[Referral]:
        """A customer's referrals, oldest first."""
        return [Referral.from_item(i) for i in query_all(self._table, f"REFERRER#{referrer_id}", index="gsi1")]

    def all_counts(self) -> list[ReferrerCounts]:
        return [ReferrerCounts.from_item(i) for i in query_all(self._table, "REFERRERS", index="gsi1")]

    # -- what becomes of the data -------------------------------------------------------------

    def add_joined(self, tx: Transaction, invitation: Invitation) -> None:
        """The invited address became a customer: the invitation and the referral that sent it
        turn joined, and the address is dropped."""
        tx.add(Update(Invitation.key(invitation.friend_hash), Changes(set={"status": "joined"}),
                      Attr("status") == "invited", tag=NOT_INVITED))
        tx.add(Update(Referral.key(invitation.friend_hash, invitation.referral_id), Changes(set={"status": "joined"}),
                      ITEM_EXISTS))
        tx.add(Delete(_address_key(invitation.friend_hash)))
        tx.add(_counted(invitation.referrer_id, joined=1))

    def add_forget(self, tx: Transaction, friend_hash: str) -> None:
        """Delete the friend's address, whether or not one is held (the same write either
        way). The invitation's record stays as it is: the forget marker beside it is what
        stops mail and conversion, and the referrers' listings do not change."""
        tx.add(Delete(_address_key(friend_hash)))

    def expired_data(self, day: str) -> list[Key]:
        """Items of personal data whose retention ends on `day` (UTC)."""
        return [{"pk": i["pk"], "sk": i["sk"]} for i in query_all(self._table, f"FRIENDDATA#{day}", index="gsi1")]

    def delete_data(self, key: Key, now: float) -> bool:
        """Delete one item of personal data if its time has come."""
        assert key["sk"] == "ADDRESS"
        try:
            self._table.delete(Delete(key, Attr("expires_at") <= int(now)))
        except ConditionFailed:  # gone meanwhile (forgotten, joined)
            return False
        return True
