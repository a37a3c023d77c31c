"""Contest contact data (P14, P15): an entrant's name, address, shipping address and zip,
kept only to notify winners and award prizes, then purged.

Purpose-limited: this repository is no field of `Ports`; an import-linter contract lets
only the contest use cases import it, and its key prefix appears in no other module (tests
check both). Key shapes, all in the contest's partition `ENTRANT#<survey id>`:
`ENTRY#<entry id>` holds the contact data (with `expires_at`, the contest's retention, as
DynamoDB TTL's backstop), `HASH#<hmac of the address>` only marks the address as entered,
so a second entry fails without reading anyone's data.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.store.expressions import ITEM_ABSENT, Item
from shared.store.table import Delete, Entity, Key, Put, Table, Transaction, in_force, query_all

ALREADY_ENTERED = "already_entered"


def _partition(survey_id: str) -> str:
    return f"ENTRANT#{survey_id}"


@dataclass
class EntrantContact(Entity):
    survey_id: str
    email_hash: str
    entry_id: str
    name: str
    email: str
    expires_at: int
    shipping_address: str | None = None
    zip: str | None = None

    @staticmethod
    def key(survey_id: str, entry_id: str) -> Key:
        return {"pk": _partition(survey_id), "sk": f"ENTRY#{entry_id}"}

    def to_item(self) -> Item:
        item = {**self.key(self.survey_id, self.entry_id), "type": "entrant_contact", **asdict(self)}
        return {k: v for k, v in item.items() if v is not None}


class EntrantContactRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def add_entry(self, tx: Transaction, contact: EntrantContact) -> None:
        """One entry per address per contest: ALREADY_ENTERED fails for a known address."""
        tx.add(Put({"pk": _partition(contact.survey_id), "sk": f"HASH#{contact.email_hash}", "type": "entrant_mark",
                    "expires_at": contact.expires_at}, ITEM_ABSENT, tag=ALREADY_ENTERED))
        tx.add(Put(contact.to_item(), ITEM_ABSENT))

    def entry_ids(self, survey_id: str) -> list[str]:
        """Every entry of a contest, sorted: what a draw picks from."""
        return sorted(item["entry_id"] for item in query_all(self._table, _partition(survey_id), prefix="ENTRY#"))

    def contact(self, survey_id: str, entry_id: str, now: float) -> EntrantContact | None:
        item = self._table.get(EntrantContact.key(survey_id, entry_id))
        if item is None or not in_force(item, now):
            return None
        return EntrantContact.from_item(item)

    def purge(self, survey_id: str) -> int:
        """Delete every entrant's contact data and entry mark of a contest; returns how many
        entries there were."""
        entries = 0
        for item in list(query_all(self._table, _partition(survey_id))):
            self._table.delete(Delete({"pk": item["pk"], "sk": item["sk"]}))
            entries += item["sk"].startswith("ENTRY#")
        return entries
