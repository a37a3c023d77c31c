"""Audit records of operator functions (which ran, when, on which account) and the record
of legal disclosures (P18), which is never deleted.

Key shapes: `AUDIT#<yyyy-mm-dd>` / `<at>#<id>`; `DISCLOSURE#<account id>` / `<at>#<id>`.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.store.expressions import Item
from shared.store.expressions import ITEM_ABSENT
from shared.store.table import Entity, Put, Table, query_all


@dataclass(frozen=True)
class AuditEntry(Entity):
    operation: str
    at: str
    audit_id: str
    account_id: str | None = None
    detail: str | None = None  # what the operator gave as the reason, where the function asks for one

    def to_item(self) -> Item:
        item = {"pk": f"AUDIT#{self.at[:10]}", "sk": f"{self.at}#{self.audit_id}", "type": "audit",
                "operation": self.operation, "at": self.at, "audit_id": self.audit_id, "account_id": self.account_id,
                "detail": self.detail}
        return {k: v for k, v in item.items() if v is not None}

    @classmethod
    def from_item(cls, item: Item) -> AuditEntry:
        # Records written before the id was stored carry it in their sort key only.
        return super().from_item({"audit_id": item["sk"].rsplit("#", 1)[-1], **item})


@dataclass(frozen=True)
class Disclosure(Entity):
    account_id: str
    disclosure_id: str
    at: str
    recipient: str
    legal_basis: str
    fields: list[str]

    def to_item(self) -> Item:
        return {"pk": f"DISCLOSURE#{self.account_id}", "sk": f"{self.at}#{self.disclosure_id}", "type": "disclosure",
                "account_id": self.account_id, "disclosure_id": self.disclosure_id, "at": self.at,
                "recipient": self.recipient, "legal_basis": self.legal_basis, "fields": self.fields}


class AuditRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def record(self, entry: AuditEntry) -> None:
        self._table.put(Put(entry.to_item()))

    def entries_on(self, day: str) -> list[AuditEntry]:
        """One day's entries (`yyyy-mm-dd`), oldest first."""
        return [AuditEntry.from_item(i) for i in query_all(self._table, f"AUDIT#{day}")]

    def record_disclosure(self, disclosure: Disclosure) -> None:
        self._table.put(Put(disclosure.to_item(), ITEM_ABSENT))

    def disclosures(self, account_id: str) -> list[Disclosure]:
        return [Disclosure.from_item(i) for i in query_all(self._table, f"DISCLOSURE#{account_id}")]
