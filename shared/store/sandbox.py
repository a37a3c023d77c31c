"""The local stage's sandbox card processor keeps its checkout sessions here, as the real
processor keeps them on its side. Key shape: `SANDBOX#<session id>` / `SESSION`.

A session is `open` until it is paid (`complete`) or ended (`expired`): like the real
processor, an expired session cannot be paid and a complete one cannot be expired."""
from __future__ import annotations

from typing import Any

from shared.store.expressions import ITEM_ABSENT, Attr, Changes
from shared.store.table import ConditionFailed, Key, Put, Table, Update


def _key(session_id: str) -> Key:
    return {"pk": f"SANDBOX#{session_id}", "sk": "SESSION"}


class SandboxSessionRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put(self, session: dict[str, Any], only_new: bool = False) -> None:
        """`only_new`: the same idempotency key's session again leaves the first as it is."""
        try:
            self._table.put(Put({**_key(session["session_id"]), "type": "sandbox_session", **session},
                                ITEM_ABSENT if only_new else None))
        except ConditionFailed:
            pass

    def get(self, session_id: str) -> dict[str, Any] | None:
        return self._table.get(_key(session_id))

    def _move(self, session_id: str, status: str) -> str | None:
        """Open → `status`; the session's status afterwards (None: no such session)."""
        try:
            self._table.update(Update(_key(session_id), Changes(set={"status": status}),
                                      Attr("status") == "open"))
            return status
        except ConditionFailed:
            found = self.get(session_id)
            return str(found.get("status", "open")) if found else None

    def expire(self, session_id: str) -> bool:
        return self._move(session_id, "expired") == "expired"

    def complete(self, session_id: str) -> bool:
        """The sandbox page's Pay: only an open session can be paid."""
        return self._move(session_id, "complete") == "complete"

    def record_refund(self, session_id: str, refund_id: str, amount_cents: int) -> None:
        self._table.update(Update(_key(session_id), Changes(set={"refund_id": refund_id,
                                                                  "refunded_cents": amount_cents})))
