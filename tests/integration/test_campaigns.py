"""Operator sends: campaigns reach only active, opted-in, unsuppressed accounts (P02, P03);
service announcements reach every active account whatever its topics (P05)."""
from __future__ import annotations

import json

import pytest

from chalicelib.events import OPERATOR_FUNCTIONS
from functions import mail_outbox, ops
from functions.mail_handlers import MAIL_HANDLERS
from tests.integration.accounts_helpers import as_user, signed_in
from tests.integration.conftest import deliver, link_path, mail_to
from tests.integration.test_signup import account_of, sign_up


@pytest.fixture
def audience(http, ports, make_person):
    """One customer in each state that matters to who may get promotional and service mail."""
    people = {name: make_person(name) for name in
              ("opted_in", "opted_out", "pending", "deactivated", "complained", "bounced", "newsletter_only")}
    signed_in(http, ports, people["opted_in"])
    signed_in(http, ports, people["opted_out"], promotions=False)
    sign_up(http, people["pending"], promotions=True)
    _, cookie = signed_in(http, ports, people["deactivated"])
    http.client.http.post("/account/deactivate", headers=as_user(cookie))
    for name, reason in (("complained", "complaint"), ("bounced", "hard_bounce")):
        account, _ = signed_in(http, ports, people[name])
        ports.outbox.suppress(account.email_hash, reason, ports.clock.iso())
    _, cookie = signed_in(http, ports, people["newsletter_only"])
    http.client.http.put("/account/preferences", headers=as_user(cookie, **{"Content-Type": "application/json"}),
                         body=json.dumps({"topics": {"newsletter": True, "promotions": False}}))
    deliver(ports)
    return people


def got(person, subject) -> bool:
    return any(m["subject"] == subject for m in mail_to(person.email))


def test_p02_a_campaign_reaches_only_active_opted_in_unsuppressed_accounts(ports, audience):
    result = ops.run("ops_send_campaign", {"topic": "promotions", "subject": "P02 offer", "text": "Half price"}, ports)
    assert result["queued"] >= 2
    deliver(ports)
    received = {name for name, person in audience.items() if got(person, "P02 offer")}
    assert received == {"opted_in"}


def test_p03_every_campaign_mail_carries_its_unsubscribe_link_and_headers(ports, audience):
    ops.run("ops_send_campaign", {"topic": "newsletter", "subject": "P03 news", "text": "Rates"}, ports)
    deliver(ports)
    for name in ("opted_in", "newsletter_only"):
        mail = next(m for m in mail_to(audience[name].email) if m["subject"] == "P03 news")
        url = mail["headers"]["List-Unsubscribe"].strip("<>")
        assert url in mail["text"] and mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_p05_a_service_announcement_ignores_topics_but_never_reaches_inactive_or_suppressed(ports, audience):
    ops.run("ops_service_announcement", {"subject": "P05 maintenance", "text": "Down Sunday 2-3 am"}, ports)
    deliver(ports)
    received = {name for name, person in audience.items() if got(person, "P05 maintenance")}
    assert received == {"opted_in", "opted_out", "newsletter_only"}
    mail = next(m for m in mail_to(audience["opted_out"].email) if m["subject"] == "P05 maintenance")
    assert "List-Unsubscribe" not in mail["headers"]


def test_p02_an_unsubscribe_during_a_half_sent_campaign_stops_every_later_mail_to_that_address(http, ports, make_person):
    people = [make_person() for _ in range(3)]
    for person in people:
        signed_in(http, ports, person)
    deliver(ports)
    started = ops.run("ops_send_campaign", {"topic": "newsletter", "subject": "Half sent", "text": "News"}, ports)
    ids = {account_of(ports, p.email).account_id: p for p in people}
    jobs = [ports.outbox.job(j) for j in ports.outbox.unsent_job_ids(limit=10_000)]
    ours = [j for j in jobs if j.account_id in ids and j.campaign_id == started["campaign_id"]]
    first, *rest = ours
    assert mail_outbox.send_job(first.job_id, ports, MAIL_HANDLERS) == "sent"
    leaver = ids[rest[0].account_id]
    unsubscribe = link_path(mail_to(ids[first.account_id].email)[0]["text"], "/unsubscribe/")
    # the leaver unsubscribes through their own welcome mail's link while the campaign is under way
    own_link = link_path([m for m in mail_to(leaver.email) if "/unsubscribe/" in m["text"]][-1]["text"], "/unsubscribe/")
    assert own_link != unsubscribe
    assert http.post_form(own_link, "List-Unsubscribe=One-Click").status_code == 200
    deliver(ports)
    assert not got(leaver, "Half sent")
    assert got(ids[rest[1].account_id], "Half sent")


@pytest.mark.parametrize("name, payload, field", [
    ("ops_send_campaign", {"topic": "spam", "subject": "s", "text": "t"}, "topic"),
    ("ops_send_campaign", {"topic": "newsletter", "text": "t"}, "subject"),
    ("ops_service_announcement", {"subject": "s"}, "text"),
    ("ops_service_announcement", {"subject": "s", "text": "t", "to": "everyone"}, "to"),
])
def test_operator_sends_with_bad_input_name_the_field_and_queue_nothing(ports, name, payload, field):
    before = len(ports.outbox.unsent_job_ids(limit=10_000))
    result = ops.run(name, payload, ports)
    assert result["error"]["code"] == "validation_error" and field in result["error"]["message"]
    assert len(ports.outbox.unsent_job_ids(limit=10_000)) == before


def test_every_operator_function_is_registered_for_chalice_invoke():
    assert set(OPERATOR_FUNCTIONS) == set(ops.OPERATIONS)
    import app

    assert set(OPERATOR_FUNCTIONS) <= set(app.app.handler_map)
