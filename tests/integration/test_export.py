"""The export over HTTP on moto (P04, P28): a customer's contact-form question, asked from
their own address, is in their `GET /account/export` with the time it is kept until, with
every kind held about a person named; once the account is closed, an operator's ops_dispute_lookup shows the same for
the closed account, and another customer's export shows nothing of it."""
from __future__ import annotations

import json

from functions import ops
from functions.accounts import deactivate
from shared import data_kinds
from tests.integration.accounts_helpers import as_user, signed_in


def test_p04_p28_the_export_over_http_holds_the_customers_question_and_names_every_kind(http, ports, make_person):
    person, other = make_person(), make_person()
    account, cookie = signed_in(http, ports, person)
    _, other_cookie = signed_in(http, ports, other)
    asked = http.post_json("/contact", {"email": person.email, "topic": "question", "message": "Which card for Peru?"})
    assert asked.status_code == 202
    exported = json.loads(http.get("/account/export", headers=as_user(cookie)).body)
    [question] = exported["contact_questions"]
    assert (question["email"], question["message"]) == (person.email, "Which card for Peru?") and question["kept_until"]
    assert exported["sessions"] and {r["kind"] for r in exported["data_held"]} == \
        {k.name for k in data_kinds.ABOUT_A_PERSON}
    assert json.loads(http.get("/account/export", headers=as_user(other_cookie)).body)["contact_questions"] == []
    assert deactivate(account, ports)  # P28: closed, its data kept for disputes
    looked_up = ops.run("ops_dispute_lookup", {"account_id": account.account_id}, ports)
    assert [q["message"] for q in looked_up["contact_questions"]] == ["Which card for Peru?"]
    assert looked_up["legal_disclosures"] == []
