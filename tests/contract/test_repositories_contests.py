"""The contest repositories' contract on both tables (P14, P15): one entry per mailbox per
contest, confirmation by a single-use link, the purge of what was never confirmed, and
the close that stops confirmations and keeps the entry ids in chunks."""
from __future__ import annotations

import time
from typing import Callable

import pytest

from shared.store.contest_entries import (ALREADY_ENTERED, CONFIRMED, LINK_USED, NOT_PENDING, ConfirmationLink,
                                          Entrant, EntrantContactRepository)
from shared.store.surveys import ENTRIES_CLOSED, Survey, SurveyRepository
from shared.store.table import ConditionFailed, Table, Transaction

Ids = Callable[[], str]
NOW = 1_800_000_000.5
LINK_UNTIL = int(NOW) + 3600
KEPT_UNTIL = int(NOW) + 30 * 24 * 3600
DETAILS = {"name": "Eve Entrant", "shipping_address": "1 Road", "zip": "12345"}


def _entrant(uid: Ids, survey_id: str, mailbox: str | None = None) -> Entrant:
    return Entrant(survey_id, mailbox or uid(), uid(), uid(), "eve@example.org", "2027-01-01", LINK_UNTIL)


def _commit(table: Table, *adds) -> None:
    tx = Transaction()
    for add in adds:
        add(tx)
    table.commit(tx)


def _confirmed(table: Table, uid: Ids, survey_id: str) -> Entrant:
    entrants = EntrantContactRepository(table)
    entrant = _entrant(uid, survey_id)
    _commit(table, lambda tx: entrants.add_entry(tx, entrant, NOW))
    link = ConfirmationLink(survey_id, uid(), entrant.mailbox_key, entrant.entry_id, LINK_UNTIL)
    entrants.put_link(link)
    _commit(table, lambda tx: entrants.add_confirmation(tx, link, entrant, DETAILS, "2027-01-02", KEPT_UNTIL, NOW))
    return entrant


def test_one_entry_per_mailbox_per_contest_until_a_pending_one_expires(table: Table, uid: Ids) -> None:
    entrants = EntrantContactRepository(table)
    survey_id = uid()
    first = _entrant(uid, survey_id)
    _commit(table, lambda tx: entrants.add_entry(tx, first, NOW))
    with pytest.raises(ConditionFailed) as failed:
        _commit(table, lambda tx: entrants.add_entry(tx, _entrant(uid, survey_id, first.mailbox_key), NOW))
    assert failed.value.tags == frozenset({ALREADY_ENTERED})
    assert entrants.entry(survey_id, first.mailbox_key, NOW) == first
    assert entrants.entry(survey_id, first.mailbox_key, LINK_UNTIL) is None  # its link expired: gone for reads
    later = _entrant(uid, survey_id, first.mailbox_key)
    _commit(table, lambda tx: entrants.add_entry(tx, later, LINK_UNTIL))  # an expired pending entry is replaced
    assert entrants.entry(survey_id, first.mailbox_key, NOW) == later
    _commit(table, lambda tx: entrants.add_entry(tx, _entrant(uid, uid(), first.mailbox_key), NOW))  # another contest


def test_a_link_confirms_its_pending_entry_once(table: Table, uid: Ids) -> None:
    entrants = EntrantContactRepository(table)
    survey_id = uid()
    entrant = _entrant(uid, survey_id)
    _commit(table, lambda tx: entrants.add_entry(tx, entrant, NOW))
    stale = ConfirmationLink(survey_id, uid(), entrant.mailbox_key, uid(), LINK_UNTIL)  # an earlier entry's link
    link = ConfirmationLink(survey_id, uid(), entrant.mailbox_key, entrant.entry_id, LINK_UNTIL)
    for made in (stale, link):
        entrants.put_link(made)
    assert entrants.link(survey_id, link.token_hash, NOW) == link
    assert entrants.link(survey_id, link.token_hash, LINK_UNTIL) is None
    with pytest.raises(ConditionFailed) as failed:
        _commit(table, lambda tx: entrants.add_confirmation(tx, stale, entrant, DETAILS, "2027-01-02", KEPT_UNTIL, NOW))
    assert failed.value.tags == frozenset({NOT_PENDING})
    assert entrants.confirmed(survey_id, NOW) == []
    _commit(table, lambda tx: entrants.add_confirmation(tx, link, entrant, DETAILS, "2027-01-02", KEPT_UNTIL, NOW))
    [confirmed] = entrants.confirmed(survey_id, NOW)
    assert (confirmed.status, confirmed.name, confirmed.zip, confirmed.expires_at) == (CONFIRMED, "Eve Entrant",
                                                                                       "12345", KEPT_UNTIL)
    assert entrants.winner(survey_id, entrant.mailbox_key, entrant.entry_id, NOW) == confirmed
    assert entrants.winner(survey_id, entrant.mailbox_key, uid(), NOW) is None
    with pytest.raises(ConditionFailed) as failed:
        _commit(table, lambda tx: entrants.add_confirmation(tx, link, entrant, DETAILS, "2027-01-02", KEPT_UNTIL, NOW))
    assert LINK_USED in failed.value.tags
    with pytest.raises(ConditionFailed):  # a confirmed entry is not mailed again
        _commit(table, lambda tx: entrants.add_link_again(tx, entrant, LINK_UNTIL + 60, NOW))


def test_the_purge_deletes_pending_entries_and_links_whose_link_expired(table: Table, uid: Ids) -> None:
    entrants = EntrantContactRepository(table)
    survey_id = uid()
    idle, again = _entrant(uid, survey_id), _entrant(uid, survey_id)
    for entrant in (idle, again):
        _commit(table, lambda tx, e=entrant: entrants.add_entry(tx, e, NOW))
        entrants.put_link(ConfirmationLink(survey_id, uid(), entrant.mailbox_key, entrant.entry_id, LINK_UNTIL))
    kept = _confirmed(table, uid, survey_id)
    _commit(table, lambda tx: entrants.add_link_again(tx, again, LINK_UNTIL + 7200, NOW))  # lives on
    day = time.strftime("%Y-%m-%d", time.gmtime(LINK_UNTIL))
    entrants.purge_expired_pending(day, LINK_UNTIL - 1)
    assert entrants.entry(survey_id, idle.mailbox_key, NOW) is not None  # not yet
    assert entrants.purge_expired_pending(day, LINK_UNTIL) >= 1  # on DynamoDB, other tests' entries too
    assert entrants.entry(survey_id, idle.mailbox_key, NOW) is None
    assert entrants.entry(survey_id, again.mailbox_key, LINK_UNTIL) is not None
    assert entrants.entry(survey_id, kept.mailbox_key, LINK_UNTIL) is not None
    assert entrants.purge(survey_id) == 2 and entrants.purge(survey_id) == 0


def test_the_close_stops_confirmations_and_keeps_the_entry_ids_in_chunks(table: Table, uid: Ids) -> None:
    surveys, entrants = SurveyRepository(table), EntrantContactRepository(table)
    survey = Survey(uid(), "T", "contest", [{"id": "q", "type": "number"}], ["email"], "P", 30, "2030-01-01",
                    f"2031-{uid()[:4]}", "2030-01-01", commitment="c" * 64)
    assert surveys.put_new(survey, "nonce") and not surveys.put_new(survey, "other")
    assert (surveys.seed_nonce(survey.survey_id), surveys.seed(survey.survey_id)) == ("nonce", None)
    entrant = _entrant(uid, survey.survey_id)
    _commit(table, lambda tx: entrants.add_entry(tx, entrant, NOW))
    link = ConfirmationLink(survey.survey_id, uid(), entrant.mailbox_key, entrant.entry_id, LINK_UNTIL)
    entrants.put_link(link)
    _commit(table, lambda tx: surveys.add_confirmed_count(tx, survey.survey_id))
    surveys.close_entries(survey.survey_id, "2031-01-01")
    surveys.close_entries(survey.survey_id, "2031-01-02")  # a second run changes nothing
    with pytest.raises(ConditionFailed) as failed:
        _commit(table, lambda tx: surveys.add_confirmed_count(tx, survey.survey_id),
                lambda tx: entrants.add_confirmation(tx, link, entrant, DETAILS, "2031-01-02", KEPT_UNTIL, NOW))
    assert ENTRIES_CLOSED in failed.value.tags
    with pytest.raises(ConditionFailed):
        _commit(table, lambda tx: surveys.add_entries_open_check(tx, survey.survey_id))
    ids = sorted(uid() for _ in range(10_001))  # two chunks
    assert surveys.publish_entries(survey.survey_id, ids, "h" * 64)
    assert not surveys.publish_entries(survey.survey_id, ids[:1], "x" * 64)  # published once
    assert surveys.entry_ids(survey.survey_id) == ids
    shown = surveys.get(survey.survey_id)
    assert shown is not None
    assert (shown.entries_closed_at, shown.entries_hash, shown.entries, shown.confirmed_entries) == (
        "2031-01-01", "h" * 64, 10_001, 1)
