"""Contest contact data (P14, P15): an entrant's name, address and zip, kept only to notify
winners and award prizes, then purged.

Purpose-limited: this repository is no field of `Ports`; an import-linter contract lets
only the contest use cases import it, and its key prefix appears in no other module (tests
check both). Key shape: `ENTRANT#<survey id>` / `<hmac of the address>`, one per address
per contest.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.store.expressions import ITEM_ABSENT, Item
from shared.store.table import Delete, Entity, Key, Put, Table, Transaction, query_all

ALREADY_ENTERED = "already_entered"


@dataclass
class EntrantContact(Entity):
    survey_id: str
    email_hash: str
    entry_id: str
    name: str
    email: str
    shipping_address: str | None = None
    zip: str | None = None

    @staticmethod
    def key(survey_id: str, email_hash: str) -> Key:
        return {"pk": f"ENTRANT#{survey_id}", "sk": email_hash}

    def to_item(self) -> Item:
        item = {**self.key(self.survey_id, self.email_hash), "type": "entrant_contact", **asdict(self)}
        return {k: v for k, v in item.items() if v is not None}


class EntrantContactRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def add_entry(self, tx: Transaction, contact: EntrantContact) -> None:
        """One entry per address per contest: ALREADY_ENTERED fails for a known address."""
        tx.add(Put(contact.to_item(), ITEM_ABSENT, tag=ALREADY_ENTERED))

    def contacts(self, survey_id: str) -> list[EntrantContact]:
        return [EntrantContact.from_item(i) for i in query_all(self._table, f"ENTRANT#{survey_id}")]

    def purge(self, survey_id: str) -> int:
        """Delete every entrant's contact data of a contest; returns how many there were."""
        contacts = self.contacts(survey_id)
        for contact in contacts:
            self._table.delete(Delete(EntrantContact.key(survey_id, contact.email_hash)))
        return len(contacts)
