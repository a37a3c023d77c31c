"""A contest on the emulator, through HTTP and the operator functions (P14, P15): the mailed
confirmation link opens a page that says why it asks for the prize details and gives the
entry id; bad links are HTML 4xx pages, never 5xx; the close publishes the entry ids' hash;
the draw reveals the seed; ops_verify_draw recomputes it."""
from __future__ import annotations

import hashlib
from urllib.parse import urlencode

import pytest

from functions import contests, ops
from shared.clock import FixedClock
from tests.integration.conftest import deliver, link_path, mail_to

DETAILS = {"contact.name": "Zed Entrant", "contact.shipping_address": "100 Harbor Street, Portland",
           "contact.zip": "97201"}


@pytest.fixture
def contest_id(ports):
    now = ports.clock.now()
    return ops.run("ops_create_survey", {
        "title": "Win a card", "kind": "contest", "purpose": "To notify the winners and send the prizes.",
        "retention_days": 30, "opens_at": ports.clock.iso(now - 3600), "closes_at": ports.clock.iso(now + 600),
        "contact_fields": ["name", "email", "shipping_address", "zip"],
        "questions": [{"id": "destination", "text": "Where do you call?", "type": "choice", "required": True,
                       "options": ["Mexico", "India"]}]}, ports)["survey_id"]


def entered(http, ports, contest_id, email) -> str:
    """Enter, have the mail sent, and return the path of its confirmation link."""
    assert http.post_json(f"/surveys/{contest_id}/responses", {
        "answers": {"destination": "India"}, "email": email, "consent": True}).status_code == 201
    deliver(ports)
    mails = [m for m in mail_to(email) if m["subject"].startswith("Confirm your entry")]
    assert mails, "no confirmation mail"
    return link_path(mails[0]["text"], f"/surveys/{contest_id}/confirm-email/")


def test_p14_p15_the_mailed_link_collects_the_prize_details_says_why_and_gives_the_entry_id(http, ports, contest_id,
                                                                                          person):
    path = entered(http, ports, contest_id, person.email)
    for _ in range(2):  # a mail scanner's prefetch changes nothing
        page = http.get(path)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "same-origin"
    body = page.body.decode()
    assert "Why we ask:" in body and "only to send the prize if you win" in body and "30 days" in body
    assert all(f'name="{field}"' in body for field in DETAILS)
    missing = http.post_form(path, urlencode({"contact.name": "Zed"}))
    assert missing.status_code == 400 and 'aria-describedby="error-contact.shipping_address"' in missing.body.decode()
    done = http.post_form(path, urlencode(DETAILS))
    assert done.status_code == 200 and b"Your entry is confirmed" in done.body and "Set-Cookie" not in done.headers
    entry_id = done.body.decode().split('<code id="entry-id">')[1].split("<")[0]
    assert len(entry_id) >= 20
    again = http.post_form(path, urlencode(DETAILS))
    assert again.status_code == 400 and b"expired or was already used" in again.body
    assert ops.run("ops_survey_results", {"survey_id": contest_id}, ports)["entries"] == 1


@pytest.mark.parametrize("path", [
    "/surveys/{id}/confirm-email/" + "a" * 43, "/surveys/{id}/confirm-email/%20", "/surveys/{id}/confirm-email/" + "b" * 900,
    "/surveys/no-such-contest/confirm-email/" + "a" * 43, "/surveys/" + "x" * 200 + "/confirm-email/t",
])
def test_a_bad_confirmation_link_is_an_html_4xx_never_a_5xx(http, contest_id, path):
    for answer in (http.get(path.format(id=contest_id)),
                   http.post_form(path.format(id=contest_id), urlencode(DETAILS))):
        assert 400 <= answer.status_code < 500 and answer.headers["Content-Type"].startswith("text/html")


def test_a_confirmation_posted_from_another_site_is_refused(http, ports, contest_id, person):
    path = entered(http, ports, contest_id, person.email)
    refused = http.post_form(path, urlencode(DETAILS), headers={"Origin": "https://elsewhere.example"})
    assert refused.status_code == 403
    assert http.post_form(path, urlencode(DETAILS)).status_code == 200  # the link still works from our page


def test_p15_a_drawn_contest_is_recomputed_by_anyone_and_verified_by_ops_verify_draw(http, ports, contest_id,
                                                                                      make_person):
    commitment = http.json(http.get(f"/surveys/{contest_id}"))["commitment"]
    for person in (make_person(), make_person(), make_person()):
        assert http.post_form(entered(http, ports, contest_id, person.email), urlencode(DETAILS)).status_code == 200
    entered(http, ports, contest_id, make_person().email)  # never confirmed: no ticket
    closed = ports.replace(clock=FixedClock(ports.clock.now() + 700))
    assert contests.commit_closed_contests(closed) >= 1  # this module's other contests close too
    assert ops.run("ops_draw_contest", {"survey_id": contest_id, "winners": 100}, closed)["error"]["code"] == \
        "validation_error"
    record = ops.run("ops_draw_contest", {"survey_id": contest_id, "winners": 2}, closed)
    assert record["entrants"] == 3 and len(record["winners"]) == 2
    shown = http.json(http.get(f"/surveys/{contest_id}"))
    draw = shown["draw"]
    assert shown["status"] == "drawn" and shown["entries"] == 3 and draw["winners"] == record["winners"]
    assert hashlib.sha256(draw["seed"].encode()).hexdigest() == commitment
    assert hashlib.sha256("\n".join(draw["entry_ids"]).encode()).hexdigest() == shown["entries_hash"]
    assert contests.pick(draw["seed"], draw["entry_ids"], 2) == draw["winners"]
    verified = ops.run("ops_verify_draw", {"survey_id": contest_id}, closed)
    assert verified["match"] is True
    page = http.get(f"/surveys/{contest_id}/form").body.decode()
    assert all(winner in page for winner in draw["winners"]) and "Winning entry ids" in page
