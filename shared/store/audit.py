"""Audit records of operator functions (which ran, when, on which account or address) and
the record of legal disclosures (P18), which is never deleted.

An audit record is kept AUDIT_RETENTION_SECONDS after it was written, then DynamoDB's TTL
deletes it. It names an address only by its keyed hash, and an operator's free-text reason
is kept redacted (`redact_reason`): addresses become `[address]`, whatever is in
parentheses, angle brackets or quotes (where a name usually is: "bob@example.org (Bob
Smith)") becomes `(…)`, and at most REASON_MAX characters are kept. A reason should say
why (a ticket number), not who.

Key shapes: `AUDIT#<yyyy-mm-dd>` / `<at>#<id>`; `DISCLOSURE#<account id>` / `<at>#<id>`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from shared.store.expressions import Item
from shared.store.expressions import ITEM_ABSENT
from shared.store.table import Entity, Put, Table, query_all

# Long enough to answer a dispute or a regulator about what an operator did in the past year
# (P28: closed accounts' data serves disputes), short enough that who was unsuppressed or
# looked up does not pile up for good.
AUDIT_RETENTION_SECONDS = 365 * 24 * 3600
REASON_MAX = 120
_ADDRESS = re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+\.[^\s@<>\"'(),;:]+")
_ASIDE = re.compile(r"\([^()]*\)|<[^<>]*>|\"[^\"]*\"|“[^”]*”")


def redact_reason(text: str) -> str:
    """An operator's reason as an audit record keeps it (see the module's docstring)."""
    kept = " ".join(_ADDRESS.sub("[address]", _ASIDE.sub("(…)", text)).split())
    return kept if len(kept) <= REASON_MAX else kept[:REASON_MAX - 1] + "…"


@dataclass(frozen=True)
class AuditEntry(Entity):
    operation: str
    at: str
    audit_id: str
    account_id: str | None = None
    detail: str | None = None  # the operator's reason, redacted, where the function asks for one
    address_hash: str | None = None  # the address an operation acted on, by its keyed hash
    expires_at: int | None = None  # AUDIT_RETENTION_SECONDS after `at` unless given

    def __post_init__(self) -> None:
        if self.detail is not None:
            object.__setattr__(self, "detail", redact_reason(self.detail))
        if self.expires_at is None:
            written = int(datetime.fromisoformat(self.at.replace("Z", "+00:00")).timestamp())
            object.__setattr__(self, "expires_at", written + AUDIT_RETENTION_SECONDS)

    def to_item(self) -> Item:
        item = {"pk": f"AUDIT#{self.at[:10]}", "sk": f"{self.at}#{self.audit_id}", "type": "audit",
                "operation": self.operation, "at": self.at, "audit_id": self.audit_id, "account_id": self.account_id,
                "detail": self.detail, "address_hash": self.address_hash, "expires_at": self.expires_at}
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
