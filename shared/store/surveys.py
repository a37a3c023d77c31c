"""Surveys and contests (P14, P15): definitions, answers detached from any person, and the
contests' draws. Contact data is not here: it lives in `contest_entries`, purpose-limited.

Key shapes, in the survey's partition `SURVEY#<id>`: `DEFINITION` (listed by gsi1
`SURVEYS` / `<closes at>#<id>`; a contest's carries the commitment to its draw seed from
creation, and from its close the time entries closed and the SHA-256 of its confirmed entry
ids), `RESPONSE#<response id>` (answers only, until `expires_at`, the survey's retention from
the submission; answers written without one end `retention_days` after `submitted_at`: see
functions.survey_retention), `SEED` (a random nonce from which, with the stage's keyed-hash
key, the draw seed is derived: the table alone does not give the seed away before the draw;
a contest created before that holds its seed itself), `ENTRIES#<n>`
(the confirmed entry ids at the close, sorted, in chunks of 10,000 so an item stays far
below 400 KB), `DRAW` (the draw's record; while its purge is
due, listed by gsi1 `CONTESTPURGE` / `<purge at>#<id>`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.store.expressions import ITEM_ABSENT, Attr, Changes, Item
from shared.store.table import Check, ConditionFailed, Delete, Entity, Key, Put, Table, Transaction, Update
from shared.store.table import in_force, query_all

ALREADY_COMMITTED = "seed_already_committed"
ALREADY_DRAWN = "contest_already_drawn"
ENTRIES_CLOSED = "contest_entries_closed"
ENTRY_IDS_PER_CHUNK = 10_000  # about 230 KB of ids per item


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
    commitment: str | None = None  # SHA-256 of the draw seed, from creation (contests created before: from the close)
    entries_closed_at: str | None = None  # from then on no entry is confirmed
    entries_hash: str | None = None  # SHA-256 of the sorted confirmed entry ids, published at the close
    entries: int | None = None  # how many there were
    confirmed_entries: int | None = None  # counted as entries are confirmed, until the close

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
    expires_at: int | None = None  # the survey's retention from the submission (TTL; reads and the purge end it)

    def to_item(self) -> Item:
        item = {"pk": _partition(self.survey_id), "sk": f"RESPONSE#{self.response_id}", "type": "survey_response",
                **asdict(self), "answers": json.dumps(self.answers)}
        return {k: v for k, v in item.items() if v is not None}

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
    entries_hash: str | None = None
    requested: int | None = None  # winners asked for (fewer are drawn when there are fewer entries)
    purged_at: str | None = None

    def to_item(self) -> Item:
        item = {"pk": _partition(self.survey_id), "sk": "DRAW", "type": "contest_draw", **asdict(self),
                "gsi1pk": "CONTESTPURGE", "gsi1sk": f"{self.purge_at}#{self.survey_id}"}
        return {k: v for k, v in item.items() if v is not None}


class SurveyRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put_new(self, survey: Survey, seed_nonce: str | None = None) -> bool:
        """A new definition; a contest's with the nonce its draw seed is derived from."""
        definition = Put(survey.to_item(), ITEM_ABSENT)
        try:
            if seed_nonce is None:
                self._table.put(definition)
            else:
                self._table.commit(Transaction().add(definition, Put(
                    {"pk": _partition(survey.survey_id), "sk": "SEED", "type": "draw_seed", "nonce": seed_nonce},
                    ITEM_ABSENT)))
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

    def add_unused_response_check(self, tx: Transaction, response: SurveyResponse) -> None:
        """In the place of answers that are not stored (a repeat entry's), the same count of
        operations: a check that the random id is unused, which it is."""
        tx.add(Check({"pk": response.to_item()["pk"], "sk": response.to_item()["sk"]}, ITEM_ABSENT))

    def responses(self, survey_id: str, now: float | None = None) -> list[SurveyResponse]:
        """The survey's answers; given `now`, without those past their `expires_at` (DynamoDB's
        TTL deletes them up to two days late)."""
        items = query_all(self._table, _partition(survey_id), prefix="RESPONSE#")
        return [SurveyResponse.from_item(i) for i in items if now is None or in_force(i, now)]

    def delete_response(self, survey_id: str, response_id: str) -> None:
        self._table.delete(Delete({"pk": _partition(survey_id), "sk": f"RESPONSE#{response_id}"}))

    def commit_seed(self, survey_id: str, seed: str, commitment: str) -> bool:
        """Store a closed contest's seed and publish its SHA-256, once (a contest created
        before contests committed at creation, to a seed derived from a nonce)."""
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
        """A seed stored by commit_seed (None where the contest derives its seed from a nonce)."""
        item = self._table.get({"pk": _partition(survey_id), "sk": "SEED"})
        return str(item["seed"]) if item and "seed" in item else None

    def seed_nonce(self, survey_id: str) -> str | None:
        """The nonce a contest's seed is derived from, stored at its creation."""
        item = self._table.get({"pk": _partition(survey_id), "sk": "SEED"})
        return str(item["nonce"]) if item and "nonce" in item else None

    # -- the close: no more confirmations, then the entry ids published -----------------------
    def close_entries(self, survey_id: str, at: str) -> None:
        """From now on no entry of the contest is confirmed (see add_entries_open_check)."""
        try:
            self._table.update(Update(Survey.key(survey_id), Changes(set={"entries_closed_at": at}),
                                      Attr("entries_closed_at").absent()))
        except ConditionFailed:  # closed by an earlier run
            pass

    def add_entries_open_check(self, tx: Transaction, survey_id: str) -> None:
        """The contest's entries are not closed yet (ENTRIES_CLOSED fails otherwise)."""
        tx.add(Check(Survey.key(survey_id), Attr("entries_closed_at").absent(), tag=ENTRIES_CLOSED))

    def add_confirmed_count(self, tx: Transaction, survey_id: str) -> None:
        """One more confirmed entry, while entries are open (ENTRIES_CLOSED fails otherwise)."""
        tx.add(Update(Survey.key(survey_id), Changes(add={"confirmed_entries": 1}), Attr("entries_closed_at").absent(),
                      tag=ENTRIES_CLOSED))

    def publish_entries(self, survey_id: str, entry_ids: list[str], entries_hash: str) -> bool:
        """Keep the closed contest's sorted entry ids in chunks and publish their hash, once.
        The chunks go first; a run that failed between writes the same ones again, and a chunk
        never changes once written (False then, and nothing is published)."""
        for n, start in enumerate(range(0, len(entry_ids), ENTRY_IDS_PER_CHUNK)):
            ids = "\n".join(entry_ids[start:start + ENTRY_IDS_PER_CHUNK])
            digest = hashlib.sha256(ids.encode()).hexdigest()
            try:
                self._table.put(Put({"pk": _partition(survey_id), "sk": f"ENTRIES#{n:05d}", "type": "contest_entry_ids",
                                     "ids": ids, "sha256": digest}, ITEM_ABSENT | (Attr("sha256") == digest)))
            except ConditionFailed:
                return False
        try:
            self._table.update(Update(Survey.key(survey_id),
                                      Changes(set={"entries_hash": entries_hash, "entries": len(entry_ids)}),
                                      Attr("entries_hash").absent()))
        except ConditionFailed:
            return False
        return True

    def entry_ids(self, survey_id: str) -> list[str]:
        """The entry ids kept at the close, in their order."""
        chunks = query_all(self._table, _partition(survey_id), prefix="ENTRIES#")
        return [entry_id for chunk in chunks for entry_id in str(chunk["ids"]).split("\n") if entry_id]

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
