"""Questions sent through the contact form, kept for operators for a limited time.

Key shapes: `CONTACT#<id>` / `QUESTION`, gsi1 `CONTACT#OPEN` / `<created>#<id>` (oldest
first); beside it `CONTACT#<id>` / `ASKER`, gsi1 `ASKER#<address hash>` / `<created>#<id>`:
the keyed hash of the address as typed, by which the asker's own export and the dispute
lookup find their questions. Both carry the question's `expires_at`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.store.expressions import Item
from shared.store.table import Entity, Key, Put, Table, Transaction, in_force, query_all

OPEN_QUESTIONS_INDEX_KEY = "CONTACT#OPEN"


@dataclass
class ContactQuestion(Entity):
    question_id: str
    email: str
    message: str
    created_at: str
    expires_at: int
    address_hash: str | None = None  # the address's keyed hash (questions asked before it was kept have none)

    @staticmethod
    def key(question_id: str) -> Key:
        return {"pk": f"CONTACT#{question_id}", "sk": "QUESTION"}

    def to_item(self) -> Item:
        item = {**self.key(self.question_id), "type": "contact_question", **asdict(self),
                "gsi1pk": OPEN_QUESTIONS_INDEX_KEY, "gsi1sk": f"{self.created_at}#{self.question_id}"}
        return {k: v for k, v in item.items() if v is not None}


def _asker_item(question: ContactQuestion, address_hash: str) -> Item:
    return {"pk": f"CONTACT#{question.question_id}", "sk": "ASKER", "type": "contact_question_index",
            "question_id": question.question_id, "expires_at": question.expires_at,
            "gsi1pk": f"ASKER#{address_hash}", "gsi1sk": f"{question.created_at}#{question.question_id}"}


class QuestionRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put(self, question: ContactQuestion) -> None:
        """The question, and with its address's hash the index item that finds it by asker."""
        if question.address_hash is None:
            self._table.put(Put(question.to_item()))
            return
        self._table.commit(Transaction([Put(question.to_item()), Put(_asker_item(question, question.address_hash))]))

    def open_questions(self, now: float) -> list[ContactQuestion]:
        """Oldest first; expired ones are skipped here because TTL deletion lags."""
        items = query_all(self._table, OPEN_QUESTIONS_INDEX_KEY, index="gsi1")
        return [ContactQuestion.from_item(i) for i in items if i["expires_at"] > now]

    def questions_of(self, address_hash: str, now: float) -> list[ContactQuestion]:
        """The questions asked from this exact address, oldest first, while they are kept."""
        index = [i for i in query_all(self._table, f"ASKER#{address_hash}", index="gsi1") if in_force(i, now)]
        found = [self._table.get(ContactQuestion.key(str(i["question_id"]))) for i in index]
        return [ContactQuestion.from_item(i) for i in found
                if i is not None and in_force(i, now) and i.get("address_hash") == address_hash]
