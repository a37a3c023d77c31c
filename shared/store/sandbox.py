"""The local stage's sandbox card processor keeps its checkout sessions here, as the real
processor keeps them on its side. Key shape: `SANDBOX#<session id>` / `SESSION`."""
from __future__ import annotations

from typing import Any

from shared.store.table import Key, Put, Table


def _key(session_id: str) -> Key:
    return {"pk": f"SANDBOX#{session_id}", "sk": "SESSION"}


class SandboxSessionRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put(self, session: dict[str, Any]) -> None:
        self._table.put(Put({**_key(session["session_id"]), "type": "sandbox_session", **session}))

    def get(self, session_id: str) -> dict[str, Any] | None:
        return self._table.get(_key(session_id))
