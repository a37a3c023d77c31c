"""Questions sent through the contact form, kept for operators for a limited time.

Key shape: `CONTACT#<id>` / `QUESTION`, gsi1 `CONTACT#OPEN` / `<created>#<id>` (oldest first).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.store.expressions import Item
from shared.store.table import Entity, Key, Put, Table, query_all

OPEN_QUESTIONS_INDEX_KEY = "CONTACT#OPEN"


@dataclass
class ContactQuestion(Entity):
    question_id: str
    email: str
    message: str
    created_at: str
    expires_at: int

    @staticmethod
    def key(question_id: str) -> Key:
        return {"pk": f"CONTACT#{question_id}", "sk": "QUESTION"}

    def to_item(self) -> Item:
        return {**self.key(self.question_id), "type": "contact_question", **asdict(self),
                "gsi1pk": OPEN_QUESTIONS_INDEX_KEY, "gsi1sk": f"{self.created_at}#{self.question_id}"}


class QuestionRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put(self, question: ContactQuestion) -> None:
        self._table.put(Put(question.to_item()))

    def open_questions(self, now: float) -> list[ContactQuestion]:
        """Oldest first; expired ones are skipped here because TTL deletion lags."""
        items = query_all(self._table, OPEN_QUESTIONS_INDEX_KEY, index="gsi1")
        return [ContactQuestion.from_item(i) for i in items if i["expires_at"] > now]
