"""Surveys and contests on the fake ports (P14, P15): definitions that say what is asked and
why, voluntary answers checked against them, a draw that commits before it picks and can be
re-run, one mail per winner, and the purge. Entries, their confirmation by mailbox and the
draw's checks are in test_contests.py."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from functions import contests, mail_outbox, surveys
from functions.mail_handlers import MAIL_HANDLERS
from functions.contests import DrawInput, pick
from functions.surveys import SubmissionRequest, SurveyDefinition, create_survey, submit
from shared.store.contest_entries import EntrantContactRepository
from shared.clock import FixedClock
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models import MailKind
from tests.unit.contest_helpers import confirm_by_mail

DAY = 24 * 3600
QUESTIONS = [
    {"id": "destination", "text": "Where do you call?", "type": "choice", "required": True,
     "options": ["Mexico", "India"]},
    {"id": "extras", "text": "Which extras?", "type": "multi_choice", "options": ["A", "B", "C"]},
    {"id": "minutes", "text": "Minutes a month?", "type": "number", "min": 0, "max": 1000},
    {"id": "wish", "text": "Anything else?", "type": "text"},
]


def define(ports, kind="contest", days_open=7, **extra):
    now = datetime.fromtimestamp(ports.clock.now(), timezone.utc)
    body = {"title": "Win a card", "kind": kind, "questions": QUESTIONS, "purpose": "To notify the winners.",
            "retention_days": 30, "opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=days_open),
            "contact_fields": ["name", "email", "shipping_address", "zip"] if kind == "contest" else [], **extra}
    return create_survey(SurveyDefinition.model_validate(body), ports)["survey_id"]


def entry(email, **answers):
    return SubmissionRequest.model_validate({"answers": {"destination": "Mexico", **answers}, "email": email,
                                             "consent": True})


def test_p14_a_definition_states_what_is_asked_why_and_for_how_long(ports):
    survey_id = define(ports)
    shown = surveys.view(survey_id, ports)
    assert shown.status == "open" and shown.purpose == "To notify the winners." and shown.retention_days == 30
    assert shown.contact_fields == ["name", "email", "shipping_address", "zip"]
    assert [q["id"] for q in shown.questions] == ["destination", "extras", "minutes", "wish"]
    assert [s.survey_id for s in surveys.open_surveys(ports).surveys] == [survey_id]


@pytest.mark.parametrize("change, why", [
    ({"kind": "survey", "contact_fields": ["email"]}, "a survey asks for no contact data"),
    ({"contact_fields": ["name"]}, "asks for an email"),
    ({"questions": [{"id": "q", "text": "?", "type": "choice", "options": ["only"]}]}, "two different options"),
    ({"questions": [QUESTIONS[0], QUESTIONS[0]]}, "unique"),
    ({"retention_days": 0}, "greater than or equal"),
])
def test_bad_definitions_are_refused_with_the_reason(ports, change, why):
    now = datetime(2027, 1, 1, tzinfo=timezone.utc)
    body = {"title": "T", "kind": "contest", "questions": QUESTIONS, "purpose": "P", "retention_days": 30,
            "opens_at": now, "closes_at": now + timedelta(days=1), "contact_fields": ["email"], **change}
    with pytest.raises(ValidationError, match=why):
        SurveyDefinition.model_validate(body)


def test_p14_a_survey_is_answered_anonymously_and_its_results_carry_no_contact_data(ports):
    survey_id = define(ports, kind="survey")
    for destination, minutes in (("Mexico", 30), ("India", 90), ("Mexico", 60)):
        submit(survey_id, SubmissionRequest.model_validate(
            {"answers": {"destination": destination, "minutes": minutes, "extras": ["A", "C"], "wish": "cheaper"}}),
            ports)
    result = surveys.results(surveys.ResultsInput(survey_id=survey_id), ports)
    assert result["responses"] == 3
    by_id = {q["id"]: q for q in result["questions"]}
    assert by_id["destination"]["counts"] == {"Mexico": 2, "India": 1}
    assert by_id["extras"]["counts"] == {"A": 3, "B": 0, "C": 3}
    assert (by_id["minutes"]["min"], by_id["minutes"]["max"], by_id["minutes"]["mean"]) == (30, 90, 60)
    assert by_id["wish"] == {"id": "wish", "type": "text", "answered": 3}  # free text is not repeated


@pytest.mark.parametrize("answers, problem", [
    ({}, "answers.destination: this question needs an answer"),
    ({"destination": "Peru"}, "answers.destination: choose one of the options"),
    ({"destination": "India", "extras": ["A", "A"]}, "answers.extras"),
    ({"destination": "India", "extras": "A"}, "answers.extras"),
    ({"destination": "India", "minutes": 1001}, "answers.minutes"),
    ({"destination": "India", "minutes": True}, "answers.minutes: give a number"),
    ({"destination": "India", "minutes": "ten"}, "answers.minutes: give a number"),
    ({"destination": "India", "wish": "x" * 2001}, "answers.wish"),
    ({"destination": "India", "colour": "red"}, "answers.colour: there is no such question"),
])
def test_wrong_answers_are_refused_naming_the_question_and_nothing_is_written(ports, answers, problem):
    survey_id = define(ports, kind="survey")
    with pytest.raises(InvalidInput, match=problem):
        submit(survey_id, SubmissionRequest.model_validate({"answers": answers}), ports)
    assert ports.surveys.responses(survey_id) == []


def test_p14_contact_data_is_refused_by_a_survey_and_needs_consent_in_a_contest(ports):
    survey_id, contest_id = define(ports, kind="survey"), define(ports)
    with pytest.raises(InvalidInput, match="asks for no contact details"):
        submit(survey_id, entry("ann@example.org"), ports)
    no_consent = entry("ann@example.org").model_copy(update={"consent": False})
    with pytest.raises(InvalidInput, match="consent"):
        submit(contest_id, no_consent, ports)
    with pytest.raises(InvalidInput, match="email: needed to enter"):
        submit(contest_id, SubmissionRequest.model_validate({"answers": {"destination": "India"}, "consent": True}),
               ports)
    assert ports.surveys.responses(survey_id) == ports.surveys.responses(contest_id) == []
    assert EntrantContactRepository(ports.table).confirmed(contest_id, ports.clock.now()) == []
    assert ports.outbox.unsent_job_ids() == []


def test_unknown_closed_and_upcoming_surveys_refuse_submissions(ports, clock):
    with pytest.raises(NotFound):
        submit("nope", entry("a@example.org"), ports)
    contest_id = define(ports, days_open=1)
    clock.advance(2 * DAY)
    with pytest.raises(Conflict):
        submit(contest_id, entry("a@example.org"), ports)


def test_the_pick_is_deterministic_fair_and_distinct():
    entries = [f"e{n:03d}" for n in range(50)]
    assert pick("ab" * 32, entries, 3) == pick("ab" * 32, list(reversed(entries)), 3)
    assert len(set(pick("cd" * 32, entries, 10))) == 10 and pick("cd" * 32, entries, 99)[:10] == pick("cd" * 32, entries, 10)
    firsts = {pick(f"{n:064x}", entries[:5], 1)[0] for n in range(200)}
    assert firsts == set(entries[:5])  # every entry can win


def test_p15_a_contest_end_to_end_confirm_commit_draw_one_mail_per_winner_and_the_purge(ports, clock, mailer):
    contest_id = define(ports, days_open=2)
    addresses = [f"entrant{n}@example.org" for n in range(6)]
    for address in addresses:
        submit(contest_id, entry(address), ports)
        confirm_by_mail(ports, mailer, address)
    with pytest.raises(Conflict, match="still open"):
        contests.draw(DrawInput(survey_id=contest_id, winners=2), ports)
    clock.advance(2 * DAY + 1)
    with pytest.raises(Conflict, match="not committed"):
        contests.draw(DrawInput(survey_id=contest_id, winners=2), ports)
    before_close = surveys.view(contest_id, ports).commitment
    assert contests.commit_closed_contests(ports) == 1 and contests.commit_closed_contests(ports) == 0
    commitment = surveys.view(contest_id, ports).commitment
    assert commitment and len(commitment) == 64 and commitment == before_close  # committed from creation

    record = contests.draw(DrawInput(survey_id=contest_id, winners=2), ports)
    import hashlib

    assert hashlib.sha256(record["seed"].encode()).hexdigest() == commitment  # the seed matches what was published
    entries = surveys.view(contest_id, ports).draw["entry_ids"]
    assert record["entrants"] == 6 and record["winners"] == pick(record["seed"], entries, 2)  # anyone can re-run it
    with pytest.raises(Conflict, match="drawn already"):
        contests.draw(DrawInput(survey_id=contest_id, winners=2), ports)

    mail_outbox.sweep(ports, MAIL_HANDLERS)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    winners_mail = [m for m in mailer.sent if m.kind == MailKind.contest]
    assert len(winners_mail) == 2 and len({m.to for m in winners_mail}) == 2
    assert "Ann Entrant" not in winners_mail[0].text  # the name given on the confirmation page is never mailed

    clock.advance(28 * DAY)
    assert contests.purge_due(ports) == 0  # 30 days after the close: not yet
    clock.advance(3 * DAY)
    assert contests.purge_due(ports) == 6
    assert not [i for i in ports.table.all_items() if i["pk"].startswith("ENTRANT#")]
    assert len(ports.surveys.responses(contest_id)) == 6  # the answers stay, detached from anyone
    assert surveys.view(contest_id, ports).status == "drawn"
    assert contests.purge_due(ports) == 0


def test_p15_a_winners_mail_never_goes_to_a_suppressed_address(ports, clock, mailer):
    from shared.ids import address_hash

    contest_id = define(ports, days_open=1)
    submit(contest_id, entry("gone@example.org"), ports)
    confirm_by_mail(ports, mailer, "gone@example.org")
    ports.outbox.suppress(address_hash("gone@example.org", ports.settings.hash_key()), "hard_bounce", ports.clock.iso())
    clock.advance(DAY + 1)
    contests.commit_closed_contests(ports)
    contests.draw(DrawInput(survey_id=contest_id, winners=1), ports)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert [m for m in mailer.sent if m.kind == MailKind.contest] == []


def test_p14_answers_end_at_the_surveys_stated_retention_read_as_gone_then_purged(ports, clock):
    """The bug: answers had no `expires_at` and no purge, so they were kept forever."""
    from functions.survey_retention import purge_expired_answers

    survey_id = define(ports, kind="survey", days_open=20)
    first = submit(survey_id, SubmissionRequest(answers={"destination": "India"}), ports).response_id
    clock.advance(10 * DAY)
    second = submit(survey_id, SubmissionRequest(answers={"destination": "Mexico"}), ports).response_id
    stored = ports.table.get({"pk": f"SURVEY#{survey_id}", "sk": f"RESPONSE#{first}"})
    assert stored["expires_at"] == 1_800_000_000 + 30 * DAY  # the definition's retention_days, for the TTL
    clock.advance(20 * DAY - 1)
    assert purge_expired_answers(ports) == 0
    clock.advance(1)  # the first answer's retention is over: reads no longer count it, the purge deletes it
    assert surveys.results(surveys.ResultsInput(survey_id=survey_id), ports)["responses"] == 1
    assert purge_expired_answers(ports) == 1
    assert [r.response_id for r in ports.surveys.responses(survey_id)] == [second]
    clock.advance(10 * DAY)
    assert purge_expired_answers(ports) == 1 and ports.surveys.responses(survey_id) == []


def test_p14_a_contests_answers_end_at_its_retention_too_and_the_purge_resumes_after_a_short_run(ports, clock):
    """Answers stored without `expires_at` (a contest's entry writes its own) end by the
    definition's retention all the same; a run out of time deletes nothing more and the
    next one goes on."""
    from functions.survey_retention import purge_expired_answers

    contest_id = define(ports)
    for n in range(3):
        submit(contest_id, entry(f"entrant{n}@example.org"), ports)
    clock.advance(30 * DAY - 1)
    assert surveys.results(surveys.ResultsInput(survey_id=contest_id), ports)["responses"] == 3
    clock.advance(1)
    assert surveys.results(surveys.ResultsInput(survey_id=contest_id), ports)["responses"] == 0
    assert purge_expired_answers(ports, remaining_seconds=lambda: 0) == 0
    assert len(ports.surveys.responses(contest_id)) == 3
    assert purge_expired_answers(ports) == 3 and ports.surveys.responses(contest_id) == []
