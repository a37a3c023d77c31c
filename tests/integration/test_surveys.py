"""Surveys and contests through the HTTP contract and the HTML form on the emulator (P14,
P15): what is asked and why, submissions anonymous or signed in, duplicates answered the
same, bad input refused in the contract's shape with nothing written. The confirmation
link and the draw are in test_contests.py."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode

import pytest

from functions import ops


@pytest.fixture
def contest_id(ports):
    now = datetime.fromtimestamp(ports.clock.now(), timezone.utc)
    created = ops.run("ops_create_survey", {
        "title": "Win a card", "kind": "contest", "purpose": "To notify the winners and send the prizes.",
        "retention_days": 30, "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=7)).isoformat(), "contact_fields": ["name", "email", "zip"],
        "questions": [{"id": "destination", "text": "Where do you call?", "type": "choice", "required": True,
                       "options": ["Mexico", "India"]}]}, ports)
    return created["survey_id"]


def entry(person, **overrides):
    return {"answers": {"destination": "India"}, "email": person.email, "consent": True, **overrides}


def test_p14_the_contest_says_what_it_asks_why_and_for_how_long(http, contest_id):
    listed = http.json(http.get("/surveys"))["surveys"]
    assert contest_id in [s["survey_id"] for s in listed]
    shown = http.json(http.get(f"/surveys/{contest_id}"))
    assert shown["purpose"].startswith("To notify") and shown["retention_days"] == 30
    assert shown["contact_fields"] == ["name", "email", "zip"] and shown["status"] == "open"
    assert shown["confirmation_link_hours"] == 72 and len(shown["commitment"]) == 64 and shown["draw"] is None
    assert http.get("/surveys/no-such-survey").status_code == 404


def test_p15_a_repeat_entry_gets_the_same_201_with_another_id_and_writes_no_answers(http, ports, contest_id, person):
    first = http.post_json(f"/surveys/{contest_id}/responses", entry(person))
    again = http.post_json(f"/surveys/{contest_id}/responses", entry(person))
    assert first.status_code == again.status_code == 201
    assert http.json(first).keys() == http.json(again).keys() == {"response_id"}
    assert http.json(first)["response_id"] != http.json(again)["response_id"]
    assert [r.response_id for r in ports.surveys.responses(contest_id)] == [http.json(first)["response_id"]]


@pytest.mark.parametrize("change", [
    {"answers": {}}, {"answers": {"destination": "Peru"}}, {"answers": {"destination": "India", "x": 1}},
    {"consent": False}, {"email": None}, {"email": "not-an-address"}, {"email": "josé@example.org"},
    {"contact": {"name": "A", "email": "a@example.org", "zip": "97201"}},  # the details come with the link's page
    {"answers": {"destination": "x" * 3000}}, {"extra": True},
])
def test_bad_entries_get_400_in_the_contracts_shape_and_write_nothing(http, ports, contest_id, person, change):
    response = http.post_json(f"/surveys/{contest_id}/responses", entry(person, **change))
    assert response.status_code == 400 and set(http.json(response)["error"]) == {"code", "message"}
    assert ports.surveys.responses(contest_id) == []


def test_an_unknown_survey_is_404_and_a_closed_one_409(http, ports, person):
    assert http.post_json("/surveys/nope/responses", entry(person)).status_code == 404
    now = datetime.fromtimestamp(ports.clock.now(), timezone.utc)
    closed = ops.run("ops_create_survey", {
        "title": "Old", "kind": "survey", "purpose": "P", "retention_days": 1,
        "opens_at": (now - timedelta(days=2)).isoformat(), "closes_at": (now - timedelta(days=1)).isoformat(),
        "questions": [{"id": "q", "text": "?", "type": "text"}]}, ports)["survey_id"]
    response = http.post_json(f"/surveys/{closed}/responses", {"answers": {"q": "hi"}})
    assert response.status_code == 409 and http.json(response)["error"]["code"] == "survey_closed"


def test_p14_the_html_form_works_without_cookies_and_ties_each_error_to_its_field(http, ports, contest_id, person):
    page = http.get(f"/surveys/{contest_id}/form")
    assert page.status_code == 200 and b"To notify the winners" in page.body and b"30 days" in page.body
    assert b"confirmation link" in page.body and b"your name and ZIP or postal code" in page.body  # P14: what comes next
    wrong = http.post_form(f"/surveys/{contest_id}/form", urlencode({"contact.email": "not-an-address"}))
    assert wrong.status_code == 400
    body = wrong.body.decode()
    assert 'aria-describedby="error-contact.email"' in body and 'id="error-contact.email"' in body
    wrong = http.post_form(f"/surveys/{contest_id}/form", urlencode({"contact.email": person.email}))
    assert wrong.status_code == 400
    body = wrong.body.decode()
    assert 'aria-describedby="error-answer.destination"' in body and 'id="error-answer.destination"' in body
    assert 'id="error-consent"' in body and ports.surveys.responses(contest_id) == []
    done = http.post_form(f"/surveys/{contest_id}/form", urlencode({
        "answer.destination": "Mexico", "contact.email": person.email, "consent": "yes"}))
    assert done.status_code == 200 and b"Thank you" in done.body and "Set-Cookie" not in done.headers
    assert b"check your email" in done.body and b"only once you confirm it" in done.body
    assert len(ports.surveys.responses(contest_id)) == 1
