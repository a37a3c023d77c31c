"""Signup tells no one whether an address has an account: not by its answer, and not by the
AWS calls it makes before answering (their number is what its time follows). Every boto3
call in the process is counted, once per API operation as the bench's before-call hook
counts them; the time itself is the bench's figure (`python -m bench --signup-only`),
never a test's."""
from __future__ import annotations

import pytest

from tests.integration.conftest import deliver, link_path, mail_to
from tests.integration.test_signup import account_of, sign_up

# The project's goal for AWS calls on signup's synchronous path (the bench's "AWS calls,
# signup (new)"), for every address: the mail a known address gets is decided by the
# sender, so the request never reads the account that holds the address.
MAX_CALLS = 2


@pytest.fixture
def calls(aws, monkeypatch):
    """The AWS operations made from now on, in order ("dynamodb.GetItem", ...). Counted in
    the client class: the app's clients may exist already, with their own event hooks."""
    from botocore.client import BaseClient

    made: list[str] = []
    make_api_call = BaseClient._make_api_call

    def counted(client, operation_name, api_params):
        made.append(f"{client.meta.service_model.service_name}.{operation_name}")
        return make_api_call(client, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    return made


def make_known(state: str, http, ports, person) -> None:
    """An account under the person's address, in `state`, made as customers make one."""
    from functions.accounts import deactivate

    sign_up(http, person)
    if state == "pending":
        return
    deliver(ports)
    assert http.post_form(link_path(mail_to(person.email)[0]["text"], "/login/"), "").status_code == 303
    if state == "deactivated":
        deactivate(account_of(ports, person.email), ports)


def answered(http, calls: list[str], person) -> tuple[tuple[int, bytes], list[str]]:
    """The answer to a signup and the AWS calls made before it."""
    calls.clear()
    response = sign_up(http, person)
    return (response.status_code, response.body), list(calls)


@pytest.mark.parametrize("state", ["pending", "active", "deactivated"])
def test_a_known_address_gets_the_same_answer_after_the_same_aws_calls_as_a_new_one(
        http, ports, make_person, calls, state):
    known = make_person()
    make_known(state, http, ports, known)
    first_new = answered(http, calls, make_person())
    for_known = answered(http, calls, known)
    second_new = answered(http, calls, make_person())
    assert first_new[1], "no AWS call was counted"
    assert first_new == second_new  # what a new address costs does not vary
    assert for_known[1] == first_new[1], "a known address made other AWS calls than a new one"
    for path in (first_new, for_known):
        assert len(path[1]) <= MAX_CALLS, f"signup made {path[1]}"
    assert for_known[0] == first_new[0] == (202, b'{"status":"check_your_email"}')
