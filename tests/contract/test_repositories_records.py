"""The smaller repositories' contract on both tables: audit, contact questions, the sandbox
processor's sessions, the purpose-limited friend data (P06-P09) and the surveys' records;
the contest entrants (P14, P15) are in test_repositories_contests.py."""
from __future__ import annotations

import time
from typing import Callable

import pytest

from shared.store.audit import AuditEntry, AuditRepository
from shared.store.friends import ALREADY_INVITED, NOT_INVITED, OVER_CAP, FriendRepository, Invitation, Referral
from shared.store.questions import ContactQuestion, QuestionRepository
from shared.store.sandbox import SandboxSessionRepository
from shared.store.table import ConditionFailed, Table, Transaction, query_all

Ids = Callable[[], str]
NOW = 1_800_000_000.5


# -- audit ----------------------------------------------------------------------------------
def test_audit_entries_of_a_day_are_listed_oldest_first(table: Table, uid: Ids) -> None:
    audit = AuditRepository(table)
    day = uid()[:10]
    # The days are random partitions, not dates: each entry names its expiry itself.
    later = AuditEntry("ops_export", f"{day}T10:00:00", uid(), account_id=uid(), expires_at=int(NOW))
    earlier = AuditEntry("ops_contact_requests", f"{day}T09:00:00", uid(), expires_at=int(NOW))  # no account
    audit.record(later)
    audit.record(earlier)
    audit.record(AuditEntry("ops_export", f"{uid()[:10]}T09:30:00", uid(), expires_at=int(NOW)))  # another day
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
def _invited(table: Table, uid: Ids, friend_hash: str | None = None, referrer: str | None = None,
             expires_at: int = int(NOW) + 3600) -> tuple[Invitation, Referral]:
    friends = FriendRepository(table)
    friend_hash, referrer = friend_hash or uid(), referrer or uid()
    referral = Referral(uid(), referrer, friend_hash, f"2027-01-01T{uid()[:6]}")
    invitation = Invitation(friend_hash, referral.referral_id, referrer, "2027-01-01")
    for add in (lambda tx: friends.add_referral(tx, referral),  # two transactions, as referrals.refer writes them
                lambda tx: friends.add_invitation(tx, invitation, "fay@example.org", expires_at)):
        tx = Transaction()
        add(tx)
        table.commit(tx)
    return invitation, referral


def _personal_items(table: Table, friend_hash: str) -> list[str]:
    """The sort keys of what the friend's partition holds beyond keyed hashes and statuses."""
    return sorted(i["sk"] for i in query_all(table, f"REFERRAL#{friend_hash}") if i["sk"] not in ("FRIEND",)
                  and not i["sk"].startswith("BY#"))


def test_p09_an_invitation_holds_the_address_while_held_and_no_name_at_all(table: Table, uid: Ids) -> None:
    friends = FriendRepository(table)
    invitation, referral = _invited(table, uid)
    assert friends.invitation(invitation.friend_hash) == invitation
    assert friends.invitation(uid()) is None
    assert friends.address(invitation.friend_hash, NOW) == "fay@example.org"
    assert friends.address(invitation.friend_hash, NOW + 3601) is None  # past its retention: gone for reads
    [listed] = friends.referrals_by(referral.referrer_id)
    assert (listed.referral_id, listed.status) == (referral.referral_id, "invited")
    assert _personal_items(table, invitation.friend_hash) == ["ADDRESS"]


def test_a_second_invitation_of_an_address_fails_already_invited(table: Table, uid: Ids) -> None:
    friends = FriendRepository(table)
    invitation, _ = _invited(table, uid)
    tx = Transaction()
    friends.add_invitation(tx, Invitation(invitation.friend_hash, uid(), uid(), "2027-02-01"), "x@example.org", 1)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({ALREADY_INVITED})
    assert friends.address(invitation.friend_hash, NOW) == "fay@example.org"


def test_caps_fail_over_cap_once_full(table: Table, uid: Ids) -> None:
    friends, referrer = FriendRepository(table), uid()
    for attempt in range(3):
        tx = Transaction()
        friends.add_within_caps(tx, referrer, {"DAY": ("2027-01-01", 2, int(NOW) + 100)})
        if attempt < 2:
            table.commit(tx)
        else:
            with pytest.raises(ConditionFailed) as failed:
                table.commit(tx)
            assert failed.value.tags == frozenset({OVER_CAP})


def test_joining_drops_the_address_and_counts(table: Table, uid: Ids) -> None:
    friends = FriendRepository(table)
    invitation, referral = _invited(table, uid)
    tx = Transaction()
    friends.add_joined(tx, invitation)
    table.commit(tx)
    assert friends.invitation(invitation.friend_hash).status == "joined"
    assert friends.address(invitation.friend_hash, NOW) is None
    [listed] = friends.referrals_by(referral.referrer_id)
    assert listed.status == "joined"
    counts = {c.referrer_id: c for c in friends.all_counts()}[referral.referrer_id]
    assert (counts.referrals, counts.invitations, counts.joined) == (1, 1, 1)
    tx = Transaction()
    friends.add_joined(tx, invitation)  # twice: the invitation is no longer "invited"
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert NOT_INVITED in failed.value.tags


def test_p09_forgetting_deletes_the_address_and_keeps_every_listing(table: Table, uid: Ids) -> None:
    friends = FriendRepository(table)
    invitation, referral = _invited(table, uid)
    other = Referral(uid(), uid(), invitation.friend_hash, "2027-01-02")
    tx = Transaction()
    friends.add_referral(tx, other)
    table.commit(tx)
    before = {r: friends.referrals_by(r) for r in (referral.referrer_id, other.referrer_id)}
    tx = Transaction()
    friends.add_forget(tx, invitation.friend_hash)
    table.commit(tx)
    assert friends.address(invitation.friend_hash, NOW) is None
    assert {r: friends.referrals_by(r) for r in before} == before  # the referrers see no change
    assert _personal_items(table, invitation.friend_hash) == []
    unknown = uid()
    tx = Transaction()
    friends.add_forget(tx, unknown)  # the same write for a mailbox never referred
    table.commit(tx)
    assert list(query_all(table, f"REFERRAL#{unknown}")) == []  # nothing created


def test_expired_friend_data_is_listed_by_its_day_and_deleted_only_once_expired(table: Table, uid: Ids) -> None:
    friends = FriendRepository(table)
    expires_at = int(NOW) + 10 * 24 * 3600
    invitation, _ = _invited(table, uid, expires_at=expires_at)
    day = time.strftime("%Y-%m-%d", time.gmtime(expires_at))
    keys = [k for k in friends.expired_data(day) if k["pk"].endswith(invitation.friend_hash)]
    assert [k["sk"] for k in keys] == ["ADDRESS"]
    assert [friends.delete_data(k, expires_at - 1) for k in keys] == [False]
    assert [friends.delete_data(k, expires_at) for k in keys] == [True]
    assert friends.address(invitation.friend_hash, NOW) is None


# -- surveys --------------------------------------------------------------------------------
def test_surveys_are_listed_by_close_time_and_a_seed_is_committed_and_a_contest_drawn_once(table: Table,
                                                                                          uid: Ids) -> None:
    from shared.store.surveys import ALREADY_DRAWN, Draw, Survey, SurveyRepository

    surveys = SurveyRepository(table)
    closes = f"2031-{uid()[:4]}"  # a close time of this test's own among the other tests' surveys
    survey = Survey(uid(), "T", "contest", [{"id": "q", "type": "number", "min": 0.5}], ["email"], "P", 30,
                    "2030-01-01", closes, "2030-01-01")
    assert surveys.put_new(survey) and not surveys.put_new(survey)
    assert surveys.get(survey.survey_id) == survey
    assert [s.survey_id for s in surveys.closing_between(closes, closes + "~")] == [survey.survey_id]
    assert surveys.commit_seed(survey.survey_id, "seed", "commitment")
    assert not surveys.commit_seed(survey.survey_id, "other", "other")  # once
    assert (surveys.seed(survey.survey_id), surveys.get(survey.survey_id).commitment) == ("seed", "commitment")
    draw = Draw(survey.survey_id, "2031-02-01", 3, "commitment", "seed", ["e1"], purge_at=f"2000-{uid()}")
    tx = Transaction()
    surveys.add_draw(tx, draw)
    table.commit(tx)
    tx = Transaction()
    surveys.add_draw(tx, draw)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({ALREADY_DRAWN})
    assert survey.survey_id in [d.survey_id for d in surveys.purges_due("2000-~")]
    surveys.mark_purged(survey.survey_id, "2031-03-01")
    assert survey.survey_id not in [d.survey_id for d in surveys.purges_due("2000-~")]
