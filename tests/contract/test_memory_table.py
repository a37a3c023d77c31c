"""The memory table's own promises where moto cannot be the referee: where moto departs
from DynamoDB, and the test controls the fake adds."""
from __future__ import annotations

import pytest

from shared.store.accounts import Account
from shared.store.expressions import Attr, Changes
from shared.store.table import (
    Check,
    ConditionFailed,
    Put,
    Transaction,
    TransactionConflict,
    Update,
    query_all,
)
from tests.fakes import MemoryTable


def test_a_bool_never_equals_a_number() -> None:
    """DynamoDB compares only values of one type (moto finds True = 1)."""
    table = MemoryTable()
    table.put(Put({"pk": "P", "sk": "S", "flag": True}))
    with pytest.raises(ConditionFailed):
        table.update(Update({"pk": "P", "sk": "S"}, Changes(set={"x": 1}), Attr("flag") == 1))
    assert table.update(Update({"pk": "P", "sk": "S"}, Changes(set={"x": 1}), Attr("flag") != 1))["x"] == 1


def test_a_page_that_reached_its_limit_hands_out_a_next_start_even_at_the_end() -> None:
    """DynamoDB stops at the limit without looking further, so an exactly full last page
    still has a LastEvaluatedKey and the page after it is empty (moto looks ahead)."""
    table = MemoryTable()
    table.put_many([{"pk": "P", "sk": f"{n}"} for n in range(2)])
    full = table.query("P", limit=2)
    assert full.next == {"pk": "P", "sk": "1"}
    empty = table.query("P", limit=2, start=full.next)
    assert (empty.items, empty.next) == ([], None)


def test_fake_ports_use_the_memory_table_even_when_it_is_empty() -> None:
    from tests.fakes import fake_ports

    table = MemoryTable()
    ports = fake_ports(table=table)
    assert ports.table is table
    ports.accounts.put(Account("a", "a@example.org", "h", "", "active", "2027-01-01", 1))
    assert table.item_count() >= 1


def test_max_page_items_makes_callers_follow_next() -> None:
    table = MemoryTable(max_page_items=2)
    table.put_many([{"pk": "P", "sk": f"{n}"} for n in range(5)])
    first = table.query("P")
    assert [i["sk"] for i in first.items] == ["0", "1"] and first.next == {"pk": "P", "sk": "1"}
    assert [i["sk"] for i in query_all(table, "P")] == ["0", "1", "2", "3", "4"]


def test_get_many_does_not_answer_in_request_order() -> None:
    table = MemoryTable()
    keys = [{"pk": "P", "sk": f"{n}"} for n in range(3)]
    table.put_many(keys)
    assert [i["sk"] for i in table.get_many(keys)] != ["0", "1", "2"]
    assert sorted(i["sk"] for i in table.get_many(keys)) == ["0", "1", "2"]


def test_an_injected_conflict_writes_nothing_and_then_passes() -> None:
    table = MemoryTable()
    table.inject_conflicts(1)
    tx = Transaction([Put({"pk": "P", "sk": "S"})])
    with pytest.raises(TransactionConflict):
        table.commit(tx)
    assert table.get({"pk": "P", "sk": "S"}) is None
    table.commit(tx)
    assert table.get({"pk": "P", "sk": "S"}) == {"pk": "P", "sk": "S"}
    assert table.commits == 1


def test_an_index_key_that_is_not_a_string_is_refused() -> None:
    """DynamoDB checks index key types against the table definition (moto does not)."""
    table = MemoryTable()
    with pytest.raises(ValueError):
        table.put(Put({"pk": "P", "sk": "S", "gsi1pk": 3, "gsi1sk": "x"}))
    assert table.item_count() == 0


def test_a_key_with_other_attributes_or_an_empty_value_is_refused() -> None:
    table = MemoryTable()
    with pytest.raises(ValueError):
        table.get({"pk": "P", "sk": "S", "extra": "x"})
    with pytest.raises(ValueError):
        table.put(Put({"pk": "P", "sk": ""}))
    with pytest.raises(ValueError):
        table.commit(Transaction([Check({"pk": "P"}, Attr("x").exists())]))


def test_a_set_of_none_is_refused_as_dynamotable_sends_no_value_for_it() -> None:
    table = MemoryTable()
    with pytest.raises(ValueError):
        table.update(Update({"pk": "P", "sk": "S"}, Changes(set={"note": None})))
    assert table.item_count() == 0


def test_a_transaction_key_over_the_size_limit_is_refused() -> None:
    table = MemoryTable()
    with pytest.raises(ValueError):
        table.commit(Transaction([Put({"pk": "P" * 2049, "sk": "S"}), Put({"pk": "Q", "sk": "S"})]))
    assert table.item_count() == 0
