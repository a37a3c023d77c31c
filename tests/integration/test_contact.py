"""The contact form (P12): unsubscribe by request, questions for operators, no enumeration."""
from __future__ import annotations

from functions import ops
from shared.ids import mailbox_key, new_id
from shared.store.questions import ContactQuestion
from tests.integration.test_unsubscribe import active_subscriber


def test_p12_contact_unsubscribe_request_stops_every_topic_at_once(http, ports, person):
    account = active_subscriber(http, ports, person)
    response = http.post_json("/contact", {"email": person.email.upper(), "topic": "unsubscribe", "message": ""})
    assert response.status_code == 202
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": False, "promotions": False}


def test_contact_answers_the_same_for_unknown_and_known_addresses(http, ports, make_person):
    known, unknown = make_person(), make_person()
    active_subscriber(http, ports, known)
    answers = [http.post_json("/contact", {"email": p.email, "topic": "unsubscribe"}) for p in (known, unknown)]
    assert answers[0].status_code == answers[1].status_code == 202
    assert answers[0].body == answers[1].body


def test_questions_reach_operators_oldest_first_and_are_audited(http, ports, make_person):
    asked = [make_person() for _ in range(2)]
    for n, asker in enumerate(asked):
        http.post_json("/contact", {"email": asker.email, "topic": "question", "message": f"Question {n} about rates"})
    result = ops.run("ops_contact_requests", {}, ports)
    mine = [q for q in result["questions"] if q["email"] in {a.email for a in asked}]
    assert [q["message"] for q in mine] == ["Question 0 about rates", "Question 1 about rates"]
    received = [q["received_at"] for q in result["questions"]]
    assert received == sorted(received)
    today = ports.clock.iso()[:10]
    assert any(e.operation == "ops_contact_requests" for e in ports.audit.entries_on(today))


def test_questions_older_than_90_days_are_no_longer_listed(ports, person):
    old = ContactQuestion(new_id(), person.email, "stale", "2000-01-01T00:00:00.000+00:00", int(ports.clock.now()) - 1)
    ports.questions.put(old)
    listed = ops.run("ops_contact_requests", {}, ports)["questions"]
    assert old.question_id not in {q["question_id"] for q in listed}


def test_ops_contact_requests_rejects_unknown_fields_and_does_nothing(ports):
    result = ops.run("ops_contact_requests", {"surprise": 1}, ports)
    assert result["error"]["code"] == "validation_error"
    assert "surprise" in result["error"]["message"]


def test_contact_forget_friend_keeps_only_a_keyed_hash(http, ports, person):
    assert http.post_json("/contact", {"email": person.email, "topic": "forget_friend"}).status_code == 202
    hashed = mailbox_key(person.email, ports.settings.hash_key())
    assert ports.outbox.is_forgotten(hashed)
    item = ports.table.get({"pk": f"FRIEND#{hashed}", "sk": "FORGOTTEN"})
    assert person.email not in str(item) and person.email.lower() not in str(item)
