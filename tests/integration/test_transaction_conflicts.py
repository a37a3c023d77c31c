"""A transaction DynamoDB cancels for a concurrent write runs again, its conditions judged
afresh: a double-submitted signup gets the same 202 as the first, never a 500."""
from __future__ import annotations

import pytest

from shared.ids import new_id
from shared.store.expressions import ITEM_ABSENT
from shared.store.table import ConditionFailed, DynamoTable, Put, Transaction, TransactionConflict


class Cancelling:
    """Stands in front of the DynamoDB client's transact_write_items: cancels the next
    `times` calls with these reasons (as DynamoDB does when another request touched one of
    the items), then lets calls through; counts every call."""

    def __init__(self, client, times: int, codes=("TransactionConflict",)) -> None:
        self.client, self.times, self.codes, self.calls = client, times, codes, 0
        self.real = client.transact_write_items

    def __call__(self, **request):
        self.calls += 1
        if self.calls <= self.times:
            reasons = [{"Code": self.codes[0]}] + [{"Code": "None"}] * (len(request["TransactItems"]) - 1)
            raise self.client.exceptions.TransactionCanceledException(
                {"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                 "CancellationReasons": reasons}, "TransactWriteItems")
        return self.real(**request)


@pytest.fixture
def table(aws):
    from shared.settings import get_settings

    return DynamoTable(get_settings().table_name)


def cancelling(monkeypatch, times: int, codes=("TransactionConflict",)) -> Cancelling:
    """On the process's DynamoDB client, the one every DynamoTable here uses."""
    from shared import aws

    client = aws.client("dynamodb")
    stand_in = Cancelling(client, times, codes)
    monkeypatch.setattr(client, "transact_write_items", stand_in)
    return stand_in


def a_put(key: str) -> Transaction:
    tx = Transaction()
    tx.add(Put({"pk": f"CONFLICT#{key}", "sk": "ITEM", "type": "test"}, condition=ITEM_ABSENT, tag="new"))
    return tx


def test_a_transaction_cancelled_by_a_concurrent_write_runs_again_and_is_written(table, monkeypatch):
    key = new_id()
    stand_in = cancelling(monkeypatch, times=1)
    table.commit(a_put(key))
    assert stand_in.calls == 2
    assert table.get({"pk": f"CONFLICT#{key}", "sk": "ITEM"}) is not None


def test_throttling_of_a_transaction_is_tried_again_as_well(table, monkeypatch):
    stand_in = cancelling(monkeypatch, times=2, codes=("ThrottlingError",))
    table.commit(a_put(new_id()))
    assert stand_in.calls == 3


def test_a_conflict_that_lasts_ends_as_transaction_conflict_after_three_attempts(table, monkeypatch):
    key = new_id()
    stand_in = cancelling(monkeypatch, times=99)
    with pytest.raises(TransactionConflict):
        table.commit(a_put(key))
    assert stand_in.calls == 3
    assert table.get({"pk": f"CONFLICT#{key}", "sk": "ITEM"}) is None


def test_a_failed_condition_is_an_answer_and_never_tried_again(table, monkeypatch):
    key = new_id()
    table.commit(a_put(key))
    stand_in = cancelling(monkeypatch, times=0)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(a_put(key))
    assert failed.value.tags == frozenset({"new"}) and stand_in.calls == 1


def test_p11_a_signup_that_meets_a_concurrent_write_answers_202_like_any_other(http, ports, person, monkeypatch):
    """A double-clicked signup form: the second request's transaction meets the first one's
    at the same moment. It gets the same 202 and the address one account."""
    from tests.integration.test_signup import account_of, sign_up

    stand_in = cancelling(monkeypatch, times=1)
    assert sign_up(http, person).status_code == 202
    assert stand_in.calls == 3  # the account's transaction twice, then the mail count's
    assert sign_up(http, person).status_code == 202
    assert account_of(ports, person.email).status == "pending"
