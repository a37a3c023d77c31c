"""The contact form (P12): unsubscribe by request, questions for operators, no enumeration."""
from __future__ import annotations

import pytest

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


# The page and its form without JavaScript (P12): the same use case as the JSON post.

NOT_FOR_PEOPLE = ("validation", "literal_error", "string_too", "Field required", "value_error", "ContactRequest",
                  "topic:", "email:", "message:")


def contact_form(http, email="", topic="", message="", headers=None):
    from urllib.parse import urlencode

    return http.post_form("/contact", urlencode({"email": email, "topic": topic, "message": message}),
                          headers=headers)


def test_p12_the_contact_page_offers_the_three_topics_of_the_contact_request(http):
    from typing import get_args

    from functions.contact import ContactRequest

    page = http.get("/contact")
    body = page.body.decode()
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<form id="contact-form" method="post" action="/contact" novalidate>' in body
    assert '<label for="email">Email address</label>' in body and 'type="email"' in body
    topics = get_args(ContactRequest.model_fields["topic"].annotation)
    assert {f'name="topic" value="{t}"' in body for t in topics} == {True}
    assert '<input type="radio" id="topic" name="topic" value="question">' in body  # where the summary links
    assert '<textarea id="message" name="message"' in body and '<label for="message">' in body
    assert "<title>Contact us · " in body


def test_p12_the_contact_forms_unsubscribe_stops_every_topic_and_thanks_in_words(http, ports, person):
    account = active_subscriber(http, ports, person)
    page = contact_form(http, person.email, "unsubscribe")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert b"<h1>Thank you</h1>" in page.body
    assert b"it gets no more of them from now on" in page.body
    assert person.email.encode() not in page.body
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": False, "promotions": False}


@pytest.mark.parametrize("topic", ["unsubscribe", "forget_friend", "question"])
def test_p12_the_contact_form_answers_the_same_page_for_a_known_and_an_unknown_address(http, ports, make_person,
                                                                                        topic):
    """No account is revealed: the thank-you page's words follow the topic alone (P09, P12)."""
    known, unknown = make_person(), make_person()
    active_subscriber(http, ports, known)
    pages = [contact_form(http, p.email, topic, "Do you sell cards for Peru?") for p in (known, unknown)]
    assert pages[0].status_code == pages[1].status_code == 200
    assert pages[0].body == pages[1].body


def test_p09_the_contact_forms_forget_friend_keeps_only_a_keyed_hash(http, ports, person):
    page = contact_form(http, person.email, "forget_friend")
    assert page.status_code == 200 and b"we have deleted it" in page.body
    assert ports.outbox.is_forgotten(mailbox_key(person.email, ports.settings.hash_key()))


def test_the_contact_forms_question_reaches_operators(http, ports, person):
    assert contact_form(http, person.email, "question", "Do you sell cards for Peru?").status_code == 200
    listed = ops.run("ops_contact_requests", {}, ports)["questions"]
    assert [q["message"] for q in listed if q["email"] == person.email] == ["Do you sell cards for Peru?"]


def test_an_empty_contact_form_names_each_problem_in_words_for_people(http):
    page = contact_form(http)
    body = page.body.decode()
    assert page.status_code == 400
    assert "<title>Error: Contact us · " in body
    assert '<a href="#email">Enter your email address</a>' in body
    assert '<a href="#topic">Choose what your message is about</a>' in body
    assert body.index('href="#email"') < body.index('href="#topic"')  # the form's order
    assert '<p class="field-error" id="topic-error">' in body and 'aria-invalid="true"' in body
    assert not [words for words in NOT_FOR_PEOPLE if words in body]


def test_p12_a_refused_contact_form_keeps_the_input_and_changes_nothing(http, ports, person):
    account = active_subscriber(http, ports, person)
    typed = "not-an-address@"
    page = contact_form(http, typed, "question", "Where is my card? <b>soon</b>")
    body = page.body.decode()
    assert page.status_code == 400 and body.startswith("<!doctype html>")
    assert "Enter an email address in the correct format, like name@example.com" in body
    assert f'value="{typed}"' in body
    assert 'value="question" checked' in body
    assert "Where is my card? &lt;b&gt;soon&lt;/b&gt;</textarea>" in body  # kept, and escaped
    assert not [words for words in NOT_FOR_PEOPLE if words in body]
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": True, "promotions": True}


def test_a_question_needs_its_words_and_a_long_one_is_refused_in_words(http, ports, person):
    from functions.contact import MESSAGE_MAX_LENGTH

    empty = contact_form(http, person.email, "question", "   ")
    assert empty.status_code == 400 and b'<a href="#message">Enter your question</a>' in empty.body
    long = contact_form(http, person.email, "question", "x" * (MESSAGE_MAX_LENGTH + 1))
    assert long.status_code == 400
    assert f"Your question must be {MESSAGE_MAX_LENGTH} characters or fewer".encode() in long.body
    listed = ops.run("ops_contact_requests", {}, ports)["questions"]
    assert not [q for q in listed if q["email"] == person.email]


def test_a_topic_the_form_does_not_offer_is_asked_for_again(http, person):
    page = contact_form(http, person.email, "delete_everything")
    assert page.status_code == 400 and b'<a href="#topic">Choose what your message is about</a>' in page.body


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
                         ids=["another-sites-origin", "cross-site-without-origin"])
def test_p12_a_cross_site_contact_form_post_is_refused_with_a_403_page(http, ports, person, headers):
    account = active_subscriber(http, ports, person)
    refused = http.client.http.post("/contact", body=f"email={person.email}&topic=unsubscribe",
                                    headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("text/html")
    assert b"came from another site" in refused.body
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": True, "promotions": True}
