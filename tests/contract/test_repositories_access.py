"""The access counters' contract on both tables (P23): one UpdateItem adds 1 to a counter
that holds its hour, country, browser family, OS family and count, and nothing else."""
from __future__ import annotations

from typing import Callable

import pytest

from shared.store.access import SHARDS, AccessCount, AccessRepository, counter_key
from shared.store.table import Table

Ids = Callable[[], str]


def test_p23_a_counter_adds_up_per_shard_and_a_day_reads_every_shard(table: Table, uid: Ids) -> None:
    access = AccessRepository(table)
    day, other_day = uid()[:10], uid()[:10]
    for shard in (0, 0, SHARDS - 1):
        access.count(f"{day}T09", "MX", "Chrome", "Android", shard)
    access.count(f"{day}T23", "unknown", "Other", "Other", 1)
    access.count(f"{other_day}T09", "MX", "Chrome", "Android", 0)
    found = sorted(access.counts_on(day), key=lambda c: (c.hour, c.count))
    assert found == [AccessCount("MX", "Chrome", "Android", f"{day}T09", 1),
                     AccessCount("MX", "Chrome", "Android", f"{day}T09", 2),
                     AccessCount("unknown", "Other", "Other", f"{day}T23", 1)]
    assert access.counts_on(uid()[:10]) == []


def test_p23_a_counter_item_holds_its_four_values_and_its_count_alone(table: Table, uid: Ids) -> None:
    access = AccessRepository(table)
    hour = f"{uid()[:10]}T13"
    access.count(hour, "IN", "Firefox", "Windows", 2)
    item = table.get(counter_key(hour, "IN", "Firefox", "Windows", 2))
    assert item == {"pk": f"ACCESS#{hour[:10]}#2", "sk": "13#IN#Firefox#Windows", "country": "IN",
                    "browser": "Firefox", "os": "Windows", "hour": hour, "count": 1}


@pytest.mark.parametrize("shard", [-1, SHARDS])
def test_a_shard_out_of_range_is_refused(table: Table, uid: Ids, shard: int) -> None:
    with pytest.raises(ValueError):
        AccessRepository(table).count(f"{uid()[:10]}T00", "MX", "Chrome", "Linux", shard)
