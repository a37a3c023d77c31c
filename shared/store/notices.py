"""Policy versions published after the bundled ones (P25) and home-page notices (P25, P26).

Key shapes: `POLICY` / `VERSION#<6 digits>` (one per version, written once);
`NOTICE#<id>` / `NOTICE` (listed by gsi1 `NOTICES` / `<posted at>#<id>`). A notice is
shown until its `until` time, checked when the home page is read.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.store.expressions import ITEM_ABSENT, Item
from shared.store.table import ConditionFailed, Entity, Key, Put, Table, query_all


@dataclass
class PublishedVersion(Entity):
    version: int
    effective: str
    material: bool
    text_markdown: str
    published_at: str = ""

    @staticmethod
    def key(version: int) -> Key:
        return {"pk": "POLICY", "sk": f"VERSION#{version:06d}"}

    def to_item(self) -> Item:
        return {**self.key(self.version), "type": "policy_version", **asdict(self)}


@dataclass
class Notice(Entity):
    notice_id: str
    kind: str  # policy_change | business_transition
    text: str
    posted_at: str
    until: str
    link: str | None = None

    @staticmethod
    def key(notice_id: str) -> Key:
        return {"pk": f"NOTICE#{notice_id}", "sk": "NOTICE"}

    def to_item(self) -> Item:
        item = {**self.key(self.notice_id), "type": "notice", **asdict(self), "gsi1pk": "NOTICES",
                "gsi1sk": f"{self.posted_at}#{self.notice_id}"}
        return {k: v for k, v in item.items() if v is not None}


class NoticeRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put_version(self, version: PublishedVersion) -> bool:
        """False when that version number exists already."""
        try:
            self._table.put(Put(version.to_item(), ITEM_ABSENT))
        except ConditionFailed:
            return False
        return True

    def versions(self) -> list[PublishedVersion]:
        return [PublishedVersion.from_item(i) for i in query_all(self._table, "POLICY", prefix="VERSION#")]

    def put_notice(self, notice: Notice) -> bool:
        try:
            self._table.put(Put(notice.to_item(), ITEM_ABSENT))
        except ConditionFailed:
            return False
        return True

    def posted_since(self, since: str) -> list[Notice]:
        return [Notice.from_item(i) for i in query_all(self._table, "NOTICES", index="gsi1", lower=since)]
