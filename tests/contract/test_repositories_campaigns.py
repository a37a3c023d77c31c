"""CampaignRepository's contract on both tables: a fan-out's message is stored once, and a
re-run of the fan-out under the same id never replaces it."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

import pytest

from shared.store.campaigns import Campaign, CampaignRepository
from shared.store.table import Table

Ids = Callable[[], str]
NOW = 1_800_000_000
AT = "2027-01-15T10:00:00.000+00:00"


@pytest.fixture
def campaigns(table: Table) -> CampaignRepository:
    return CampaignRepository(table)


def _campaign(uid: Ids, **values: Any) -> Campaign:
    fields: dict[str, Any] = {"campaign_id": uid(), "kind": "promotional", "template": "campaign",
                              "subject": "Spring cards", "text": "New cards are in.", "created_at": AT,
                              "expires_at": NOW + 86_400, "topic": "promotions", "html": "<p>New cards are in.</p>"}
    return Campaign(**{**fields, **values})


def test_put_new_stores_a_campaign_and_returns_it(campaigns: CampaignRepository, uid: Ids) -> None:
    campaign = _campaign(uid)
    assert campaigns.put_new(campaign) == campaign
    assert campaigns.get(campaign.campaign_id) == campaign


def test_a_campaign_without_topic_or_html_reads_back_with_none(campaigns: CampaignRepository, uid: Ids) -> None:
    campaign = _campaign(uid, kind="service", topic=None, html=None)
    assert campaigns.put_new(campaign) == campaign
    assert campaigns.get(campaign.campaign_id) == campaign


def test_put_new_of_a_taken_id_returns_the_stored_campaign_unchanged(campaigns: CampaignRepository,
                                                                     uid: Ids) -> None:
    stored = _campaign(uid)
    campaigns.put_new(stored)
    same_again = dataclasses.replace(stored, created_at="2027-01-16T10:00:00.000+00:00", expires_at=NOW + 99)
    assert campaigns.put_new(same_again) == stored
    other_message = dataclasses.replace(stored, subject="Summer cards", text="Other text.", html=None)
    assert campaigns.put_new(other_message) == stored
    assert campaigns.get(stored.campaign_id) == stored


def test_get_of_an_unknown_campaign_is_none(campaigns: CampaignRepository, uid: Ids) -> None:
    assert campaigns.get(uid()) is None


def test_same_message_compares_what_is_mailed_not_when_or_under_which_id(uid: Ids) -> None:
    campaign = _campaign(uid)
    assert campaign.same_message(dataclasses.replace(campaign, campaign_id=uid(), created_at="later",
                                                     expires_at=NOW + 1))
    for change in ({"kind": "service"}, {"template": "other"}, {"topic": None}, {"subject": "Other"},
                   {"text": "Other"}, {"html": None}):
        other = dataclasses.replace(campaign, **change)
        assert not campaign.same_message(other), change
        assert not other.same_message(campaign), change


def test_same_message_holds_for_the_stored_copy(campaigns: CampaignRepository, uid: Ids) -> None:
    campaign = _campaign(uid, html=None)
    campaigns.put_new(campaign)
    stored = campaigns.get(campaign.campaign_id)
    assert stored is not None and stored.same_message(campaign)
