"""Surveys and contests (P14, P15): definitions, answers detached from any person, and the
contests' draws. Contact data is not here: it lives in `contest_entries`, purpose-limited.

Key shapes, in the survey's partition `SURVEY#<id>`: `DEFINITION` (listed by gsi1
`SURVEYS` / `<closes at>#<id>`), `RESPONSE#<response id>` (answers only), `SEED` (a
contest's draw seed, secret until the draw), `DRAW` (the draw's record; while its purge is
due, listed by gsi1 `CONTESTPURGE` / `<purge at>#<id>`).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.store.expressions import ITEM_ABSENT, Attr, Changes, Item
from shared.store.table import ConditionFailed, Entity, Key, Put, Table, Transaction, Update, query_all

ALREADY_COMMITTED = "seed_already_committed"
ALREADY_DRAWN = "contest_already_drawn"


def _partition(survey_id: str) -> str:
    return f"SURVEY#{survey_id}"


@dataclass
class Survey(Entity):
    survey_id: str
    title: str
    kind: str  # survey | contest
    questions: list[dict[str, Any]]
    contact_fields: list[str]
    purpose: str
    retention_days: int
    opens_at: str
    closes_at: str
    created_at: str
    prize: str | None = None
    commitment: str | None = None  # SHA-256 of the draw seed, stored when the contest closes

    @staticmethod
    def key(survey_id: str) -> Key:
        return {"pk": _partition(survey_id), "sk": "DEFINITION"}

    def to_item(self) -> Item:
        # Questions as JSON text: their bounds may be fractional, which DynamoDB holds only as Decimal.
        item = {**self.key(self.survey_id), "type": "survey", **asdict(self), "questions": json.dumps(self.questions),
                "gsi1pk": "SURVEYS", "gsi1sk": f"{self.closes_at}#{self.survey_id}"}
        return {k: v for k, v in item.items() if v is not None}

    @classmethod
    def from_item(cls, item: Item) -> Survey:
        return super().from_item({**item, "questions": json.loads(item["questions"])})


@dataclass
class SurveyResponse(Entity):
    survey_id: str
    response_id: str
    answers: dict[str, Any]
    submitted_at: str

    def to_item(self) -> Item:
        return {"pk": _partition(self.survey_id), "sk": f"RESPONSE#{self.response_id}", "type": "survey_response",
                **asdict(self), "answers": json.dumps(self.answers)}

    @classmethod
    def from_item(cls, item: Item) -> SurveyResponse:
        return super().from_item({**item, "answers": json.loads(item["answers"])})


@dataclass
class Draw(Entity):
    """Everything needed to re-run a draw: anyone holding it can check the pick."""

    survey_id: str
    drawn_at: str
    entrants: int
    commitment: str
    seed: str
    winners: list[str] = field(default_factory=list)  # entry ids
    purge_at: str = ""
    purged_at: str | None = None

    def to_item(self) -> Item:
        item = {"pk": _partition(self.survey_id), "sk": "DRAW", "type": "contest_draw", **asdict(self),
                "gsi1pk": "CONTESTPURGE", "gsi1sk": f"{self.purge_at}#{self.survey_id}"}
        return {k: v for k, v in item.items() if v is not None}


class SurveyRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put_new(self, survey: Survey) -> bool:
        try:
            self._table.put(Put(survey.to_item(), ITEM_ABSENT))
        except ConditionFailed:
            return False
        return True

    def get(self, survey_id: str) -> Survey | None:
        item = self._table.get(Survey.key(survey_id))
        return Survey.from_item(item) if item else None

    def closing_between(self, lower: str, upper: str) -> list[Survey]:
        """Definitions whose close time lies in [lower, upper), soonest first."""
        return [Survey.from_item(i) for i in query_all(self._table, "SURVEYS", index="gsi1", lower=lower,
                                                         upper=upper)]

    def add_response(self, tx: Transaction, response: SurveyResponse) -> None:
        tx.add(Put(response.to_item(), ITEM_ABSENT))

    def responses(self, survey_id: str) -> list[SurveyResponse]:
        return [SurveyResponse.from_item(i) for i in query_all(self._table, _partition(survey_id), prefix="RESPONSE#")]

    def commit_seed(self, survey_id: str, seed: str, commitment: str) -> bool:
        """Store a closed contest's seed and publish its SHA-256, once."""
        tx = Transaction()
        tx.add(Update(Survey.key(survey_id), Changes(set={"commitment": commitment}), Attr("commitment").absent(),
                      tag=ALREADY_COMMITTED))
        tx.add(Put({"pk": _partition(survey_id), "sk": "SEED", "type": "draw_seed", "seed": seed}, ITEM_ABSENT))
        try:
            self._table.commit(tx)
        except ConditionFailed:
            return False
        return True

    def seed(self, survey_id: str) -> str | None:
        item = self._table.get({"pk": _partition(survey_id), "sk": "SEED"})
        return item["seed"] if item else None

    def add_draw(self, tx: Transaction, draw: Draw) -> None:
        tx.add(Put(draw.to_item(), ITEM_ABSENT, tag=ALREADY_DRAWN))

    def draw(self, survey_id: str) -> Draw | None:
        item = self._table.get({"pk": _partition(survey_id), "sk": "DRAW"})
        return Draw.from_item(item) if item else None

    def purges_due(self, now_iso: str) -> list[Draw]:
        return [Draw.from_item(i) for i in query_all(self._table, "CONTESTPURGE", index="gsi1", upper=now_iso)]

    def mark_purged(self, survey_id: str, at: str) -> None:
        """The contest's contact data is gone: its draw leaves the purge index."""
        self._table.update(Update({"pk": _partition(survey_id), "sk": "DRAW"},
                                  Changes(set={"purged_at": at}, remove=("gsi1pk", "gsi1sk"))))
