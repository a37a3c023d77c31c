"""Stored messages of a fan-out (a campaign, a service announcement, later policy and
transition notices): the subject and bodies once, which each of its mail jobs names.

Key shape: `CAMPAIGN#<id>` / `MESSAGE`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.store.expressions import ITEM_ABSENT, Item
from shared.store.table import ConditionFailed, Entity, Key, Put, Table

CAMPAIGN_EXISTS = "campaign_exists"  # old value: the stored Campaign


@dataclass(frozen=True)
class Campaign(Entity):
    campaign_id: str
    kind: str  # a mail kind: promotional, service, ...
    template: str
    subject: str
    text: str
    created_at: str
    expires_at: int
    topic: str | None = None
    html: str | None = None

    @staticmethod
    def key(campaign_id: str) -> Key:
        return {"pk": f"CAMPAIGN#{campaign_id}", "sk": "MESSAGE"}

    def to_item(self) -> Item:
        item = {**self.key(self.campaign_id), "type": "campaign", **asdict(self)}
        return {k: v for k, v in item.items() if v is not None}

    def same_message(self, other: Campaign) -> bool:
        return (self.kind, self.template, self.topic, self.subject, self.text, self.html) == (
            other.kind, other.template, other.topic, other.subject, other.text, other.html)


class CampaignRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put_new(self, campaign: Campaign) -> Campaign:
        """Store a new campaign; if its id is taken, return the stored one unchanged."""
        try:
            self._table.put(Put(campaign.to_item(), ITEM_ABSENT, tag=CAMPAIGN_EXISTS, decode=Campaign.from_item))
        except ConditionFailed as failed:
            stored = failed.old.get(CAMPAIGN_EXISTS) or self.get(campaign.campaign_id)
            if stored is None:
                raise
            return stored
        return campaign

    def get(self, campaign_id: str) -> Campaign | None:
        item = self._table.get(Campaign.key(campaign_id), consistent=False)
        return Campaign.from_item(item) if item else None
