"""Contest contact data (P14, P15): an entrant's address, and once the entry is confirmed by
its mailed link, name, shipping address and zip, kept only to confirm the entry, notify
winners and award prizes, then purged.

Purpose-limited: this repository is no field of `Ports`; an import-linter contract lets
only the contest use cases import it, and its key prefix appears in no other module (tests
check both). Key shapes, all in the contest's partition `ENTRANT#<survey id>`:

| sort key | what | personal data |
|---|---|---|
| `MAILBOX#<mailbox key>` | the one entry of a mailbox (keyed hash of its canonical spelling, `shared.ids.mailbox_key`): its random entry id, `pending` or `confirmed`, the address as typed and its exact keyed hash (what the person's own records are found by) | the address; once confirmed name, shipping address, zip |
| `LINK#<sha256(token)>` | a confirmation link: only the token's hash, its entry and its expiry | none |
| `PERSON#<mailbox key>` | the entry's index item, gsi1 `ENTRANT#BY#<address hash>` / `<survey id>`: how the entrant's own export and the dispute lookup find it by the exact address (never by the mailbox key, which would hand one person's entry to another spelling) | the exact address's keyed hash |

`expires_at`: a pending entry's and a link's is the link's expiry (72 hours), a confirmed
entry's the contest's retention (the index item's follows its entry's); DynamoDB TTL is the backstop and every read treats an
expired item as gone. Pending entries and links carry a sparse gsi1 key
`CONTESTPENDING#<expiry day>` / `<pk>#<sk>`, by which the daily purge deletes them when their
link expires; confirming an entry removes its key.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from shared.store.expressions import ITEM_ABSENT, ITEM_EXISTS, Attr, Changes, Condition, Item
from shared.store.table import (ConditionFailed, Delete, Entity, Key, Put, Table, Transaction, Update, in_force,
                                query_all)

ALREADY_ENTERED = "already_entered"  # the mailbox holds an entry in force
NOT_PENDING = "entry_not_pending"  # confirmed, replaced or expired meanwhile
LINK_USED = "confirmation_link_used"
PENDING, CONFIRMED = "pending", "confirmed"


def _partition(survey_id: str) -> str:
    return f"ENTRANT#{survey_id}"


def _by_person(address_hash: str) -> str:
    return f"ENTRANT#BY#{address_hash}"


def _person_item(entrant: Entrant, expires_at: int) -> Put:
    """The entry's index item: found by the exact address's hash, it names the entry and
    lives as long as the entry does."""
    return Put({"pk": _partition(entrant.survey_id), "sk": f"PERSON#{entrant.mailbox_key}", "type": "contest_entrant_index",
                "survey_id": entrant.survey_id, "mailbox_key": entrant.mailbox_key, "entry_id": entrant.entry_id,
                "address_hash": entrant.address_hash, "expires_at": expires_at,
                "gsi1pk": _by_person(entrant.address_hash), "gsi1sk": entrant.survey_id})


def _pending_index(expires_at: int, key: Key) -> dict[str, str]:
    return {"gsi1pk": f"CONTESTPENDING#{time.strftime('%Y-%m-%d', time.gmtime(expires_at))}",
            "gsi1sk": f"{key['pk']}#{key['sk']}"}


@dataclass
class Entrant(Entity):
    """One mailbox's entry in one contest."""

    survey_id: str
    mailbox_key: str
    entry_id: str  # random; what the draw and its public record name
    address_hash: str  # the exact address's keyed hash
    email: str  # as typed: mail goes to the address as typed
    entered_at: str
    expires_at: int
    status: str = PENDING
    confirmed_at: str | None = None
    name: str | None = None
    shipping_address: str | None = None
    zip: str | None = None

    @staticmethod
    def key(survey_id: str, mailbox_key: str) -> Key:
        return {"pk": _partition(survey_id), "sk": f"MAILBOX#{mailbox_key}"}

    def to_item(self) -> Item:
        key = self.key(self.survey_id, self.mailbox_key)
        item = {**key, "type": "contest_entrant", **asdict(self),
                **(_pending_index(self.expires_at, key) if self.status == PENDING else {})}
        return {k: v for k, v in item.items() if v is not None}


@dataclass
class ConfirmationLink(Entity):
    survey_id: str
    token_hash: str
    mailbox_key: str
    entry_id: str
    expires_at: int

    @staticmethod
    def key(survey_id: str, token_hash: str) -> Key:
        return {"pk": _partition(survey_id), "sk": f"LINK#{token_hash}"}

    def to_item(self) -> Item:
        key = self.key(self.survey_id, self.token_hash)
        return {**key, "type": "contest_confirmation_link", **asdict(self), **_pending_index(self.expires_at, key)}


class EntrantContactRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def add_entry(self, tx: Transaction, entrant: Entrant, now: float) -> None:
        """One entry per mailbox per contest: ALREADY_ENTERED fails while one is in force
        (an expired pending entry, which the purge has not reached yet, is gone)."""
        tx.add(Put(entrant.to_item(), ITEM_ABSENT | (Attr("expires_at") <= int(now)), tag=ALREADY_ENTERED),
               _person_item(entrant, entrant.expires_at))

    def entry(self, survey_id: str, mailbox_key: str, now: float) -> Entrant | None:
        item = self._table.get(Entrant.key(survey_id, mailbox_key))
        return Entrant.from_item(item) if item and in_force(item, now) else None

    def add_link_again(self, tx: Transaction, entrant: Entrant, expires_at: int, now: float) -> None:
        """A pending entry's link is mailed again: the entry lives until the new link expires.
        NOT_PENDING fails if it was confirmed, replaced or expired meanwhile."""
        key = Entrant.key(entrant.survey_id, entrant.mailbox_key)
        tx.add(Update(key, Changes(set={"expires_at": expires_at, **_pending_index(expires_at, key)}),
                      _pending(entrant.entry_id, now), tag=NOT_PENDING),
               _person_item(entrant, expires_at))

    def put_link(self, link: ConfirmationLink) -> None:
        self._table.put(Put(link.to_item(), ITEM_ABSENT))

    def link(self, survey_id: str, token_hash: str, now: float) -> ConfirmationLink | None:
        item = self._table.get(ConfirmationLink.key(survey_id, token_hash))
        return ConfirmationLink.from_item(item) if item and in_force(item, now) else None

    def add_confirmation(self, tx: Transaction, link: ConfirmationLink, entrant: Entrant, details: dict[str, str],
                         at: str, kept_until: int, now: float) -> None:
        """Confirm the link's entry (`entrant`, as read) with the details its page collected,
        kept until the contest's retention ends, and use the link up (LINK_USED, NOT_PENDING
        otherwise)."""
        tx.add(Delete(ConfirmationLink.key(link.survey_id, link.token_hash),
                      ITEM_EXISTS & (Attr("expires_at") > int(now)), tag=LINK_USED))
        tx.add(Update(Entrant.key(link.survey_id, link.mailbox_key),
                      Changes(set={**details, "status": CONFIRMED, "confirmed_at": at, "expires_at": kept_until},
                              remove=("gsi1pk", "gsi1sk")),
                      _pending(link.entry_id, now), tag=NOT_PENDING),
               _person_item(entrant, kept_until))

    def entries_of(self, address_hash: str, now: float) -> list[Entrant]:
        """Every entry in force made from this exact address (any contest), by its index items."""
        found = []
        for index in query_all(self._table, _by_person(address_hash), index="gsi1"):
            entry = self.entry(str(index["survey_id"]), str(index["mailbox_key"]), now) if in_force(index, now) else None
            if entry and entry.entry_id == index["entry_id"] and entry.address_hash == address_hash:
                found.append(entry)
        return found

    def confirmed(self, survey_id: str, now: float) -> list[Entrant]:
        """The contest's confirmed entries in force: its draw tickets."""
        return [Entrant.from_item(i) for i in query_all(self._table, _partition(survey_id), prefix="MAILBOX#")
                if i.get("status") == CONFIRMED and in_force(i, now)]

    def winner(self, survey_id: str, mailbox_key: str, entry_id: str, now: float) -> Entrant | None:
        """A drawn entry's contact data, while it is held."""
        found = self.entry(survey_id, mailbox_key, now)
        return found if found and found.status == CONFIRMED and found.entry_id == entry_id else None

    def purge_expired_pending(self, day: str, now: float) -> int:
        """Delete the pending entries and links whose link expired on `day` (UTC) by `now`
        (not one confirmed or mailed again meanwhile); returns how many entries went."""
        deleted = 0
        for item in list(query_all(self._table, f"CONTESTPENDING#{day}", index="gsi1")):
            if in_force(item, now):
                continue
            entry = str(item["sk"]).startswith("MAILBOX#")
            condition = Attr("expires_at") <= int(now)
            try:
                self._table.delete(Delete({"pk": item["pk"], "sk": item["sk"]},
                                          condition & (Attr("status") == PENDING) if entry else condition))
            except ConditionFailed:
                continue
            if entry:  # its index item, unless a new entry of the mailbox replaced it
                person = {"pk": item["pk"], "sk": f"PERSON#{item['mailbox_key']}"}
                try:
                    self._table.delete(Delete(person, Attr("entry_id") == item["entry_id"]))
                except ConditionFailed:
                    pass
            deleted += entry
        return deleted

    def purge(self, survey_id: str) -> int:
        """Delete every entrant's contact data, every link and every index item of a contest;
        returns how many entries there were."""
        entries = 0
        for item in list(query_all(self._table, _partition(survey_id))):
            self._table.delete(Delete({"pk": item["pk"], "sk": item["sk"]}))
            entries += item["sk"].startswith("MAILBOX#")
        return entries


def _pending(entry_id: str, now: float) -> Condition:  # the entry a link or a re-send was made for, still pending
    return (Attr("status") == PENDING) & (Attr("entry_id") == entry_id) & (Attr("expires_at") > int(now))
