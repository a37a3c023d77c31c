"""The smaller repositories' contract on both tables: audit, contact questions, the sandbox
processor's sessions, and the purpose-limited friend (P06-P09) and contest (P14, P15) data."""
from __future__ import annotations

from typing import Callable

import pytest

from shared.store.audit import AuditEntry, AuditRepository
from shared.store.contest_entries import ALREADY_ENTERED, EntrantContact, EntrantContactRepository
from shared.store.friends import ALREADY_INVITED, FriendRecord, FriendRepository
from shared.store.questions import ContactQuestion, QuestionRepository
from shared.store.sandbox import SandboxSessionRepository
from shared.store.table import ConditionFailed, Table, Transaction

Ids = Callable[[], str]
NOW = 1_800_000_000.5


# -- audit ----------------------------------------------------------------------------------
def test_audit_entries_of_a_day_are_listed_oldest_first(table: Table, uid: Ids) -> None:
    audit = AuditRepository(table)
    day = uid()[:10]
    later = AuditEntry("ops_export", f"{day}T10:00:00", uid(), account_id=uid())
    earlier = AuditEntry("ops_contact_requests", f"{day}T09:00:00", uid())  # no account: attribute dropped
    audit.record(later)
    audit.record(earlier)
    audit.record(AuditEntry("ops_export", f"{uid()[:10]}T09:30:00", uid()))  # another day
    assert audit.entries_on(day) == [earlier, later]
    assert audit.entries_on(uid()[:10]) == []


# -- contact questions ----------------------------------------------------------------------
def test_open_questions_are_oldest_first_without_the_expired(table: Table, uid: Ids) -> None:
    questions = QuestionRepository(table)
    tag = uid()
    newer = ContactQuestion(uid(), "a@example.org", "second", f"2027-02-{tag}", int(NOW) + 100)
    older = ContactQuestion(uid(), "b@example.org", "first", f"2027-01-{tag}", int(NOW) + 100)
    expired = ContactQuestion(uid(), "c@example.org", "gone", f"2027-01-{tag}x", int(NOW))
    for question in (newer, older, expired):
        questions.put(question)
    mine = {newer.question_id, older.question_id, expired.question_id}
    assert [q for q in questions.open_questions(NOW) if q.question_id in mine] == [older, newer]
    assert [q.question_id for q in questions.open_questions(NOW - 1) if q.question_id in mine] == [
        older.question_id, expired.question_id, newer.question_id]


# -- sandbox sessions -----------------------------------------------------------------------
def test_a_sandbox_session_reads_back_with_its_values(table: Table, uid: Ids) -> None:
    sessions = SandboxSessionRepository(table)
    session_id = f"cs_test_{uid()}"
    session: dict[str, object] = {"session_id": session_id, "order_id": uid(), "amount_total": 1050, "currency": "usd",
               "description": "1 x card", "customer_email": "a@example.org", "success_url": "http://x/return"}
    sessions.put(session)
    stored = sessions.get(session_id)
    assert stored is not None
    assert {k: stored[k] for k in session} == session
    assert type(stored["amount_total"]) is int
    assert sessions.get(f"cs_test_{uid()}") is None


# -- friends --------------------------------------------------------------------------------
def _friend(uid: Ids) -> FriendRecord:
    return FriendRecord(uid(), uid(), uid(), "2027-01-01", friend_name="Fay Friend", friend_email="fay@example.org")


def test_add_invitation_records_a_new_friend_address(table: Table, uid: Ids) -> None:
    friends = FriendRepository(table)
    record = _friend(uid)
    tx = Transaction()
    friends.add_invitation(tx, record)
    table.commit(tx)
    assert friends.get(record.friend_hash) == record
    assert friends.get(uid()) is None


def test_add_invitation_of_a_known_friend_address_fails_already_invited(table: Table, uid: Ids) -> None:
    friends = FriendRepository(table)
    record = _friend(uid)
    tx = Transaction()
    friends.add_invitation(tx, record)
    table.commit(tx)
    again = FriendRecord(record.friend_hash, uid(), uid(), "2027-02-01", friend_name="Other", friend_email="o@x.org")
    tx = Transaction()
    friends.add_invitation(tx, again)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({ALREADY_INVITED})
    assert friends.get(record.friend_hash) == record


def test_drop_personal_data_keeps_only_hash_and_status(table: Table, uid: Ids) -> None:
    friends = FriendRepository(table)
    record = _friend(uid)
    tx = Transaction()
    friends.add_invitation(tx, record)
    table.commit(tx)
    assert friends.drop_personal_data(record.friend_hash, "declined") is True
    stored = friends.get(record.friend_hash)
    assert stored is not None
    assert (stored.status, stored.friend_name, stored.friend_email) == ("declined", None, None)
    assert (stored.referral_id, stored.referrer_id) == (record.referral_id, record.referrer_id)


def test_drop_personal_data_of_an_unknown_friend_is_false_and_creates_nothing(table: Table, uid: Ids) -> None:
    friends = FriendRepository(table)
    friend_hash = uid()
    assert friends.drop_personal_data(friend_hash, "declined") is False
    assert friends.get(friend_hash) is None


# -- contest entrants -----------------------------------------------------------------------
def _entrant(uid: Ids, survey_id: str) -> EntrantContact:
    return EntrantContact(survey_id, uid(), uid(), "Eve Entrant", "eve@example.org", "1 Road", "12345")


def test_add_entry_records_one_entry_per_address_per_contest(table: Table, uid: Ids) -> None:
    entrants = EntrantContactRepository(table)
    survey_id = uid()
    first = _entrant(uid, survey_id)
    tx = Transaction()
    entrants.add_entry(tx, first)
    table.commit(tx)
    again = EntrantContact(survey_id, first.email_hash, uid(), "Eve Again", "eve@example.org")
    tx = Transaction()
    entrants.add_entry(tx, again)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({ALREADY_ENTERED})
    assert entrants.contacts(survey_id) == [first]
    other_contest = EntrantContact(uid(), first.email_hash, uid(), "Eve", "eve@example.org")
    tx = Transaction()
    entrants.add_entry(tx, other_contest)  # the same address may enter another contest
    table.commit(tx)
    assert entrants.contacts(other_contest.survey_id) == [other_contest]


def test_purge_deletes_every_entrant_of_one_contest(table: Table, uid: Ids) -> None:
    entrants = EntrantContactRepository(table)
    survey_id, other_survey = uid(), uid()
    for contact in [_entrant(uid, survey_id) for _ in range(3)] + [_entrant(uid, other_survey)]:
        tx = Transaction()
        entrants.add_entry(tx, contact)
        table.commit(tx)
    assert entrants.purge(survey_id) == 3
    assert entrants.contacts(survey_id) == []
    assert len(entrants.contacts(other_survey)) == 1
    assert entrants.purge(survey_id) == 0
