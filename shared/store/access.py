"""Anonymous access counters (P23): how many page requests came in an hour from a country,
a browser family and an OS family. Nothing else is stored: no address, account, token,
path or User-Agent, and no time finer than the hour.

Key shape: `ACCESS#<yyyy-mm-dd>#<shard>` / `<hh>#<country>#<browser>#<os>`, attributes
`country`, `browser`, `os`, `hour` (`yyyy-mm-ddThh`, UTC) and `count`. Each page request
adds 1 to one counter with one UpdateItem; the writer picks the shard at random, so a busy
hour's writes spread over SHARDS partitions (and the same counter over SHARDS items)
instead of landing on one. A day's counts are SHARDS queries.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared.store.expressions import Changes
from shared.store.table import Entity, Key, Table, Update, query_all

SHARDS = 4
PREFIX = "ACCESS#"


@dataclass(frozen=True)
class AccessCount(Entity):
    country: str
    browser: str
    os: str
    hour: str  # yyyy-mm-ddThh, UTC
    count: int = 0

    @property
    def day(self) -> str:
        return self.hour[:10]


def _partition(day: str, shard: int) -> str:
    return f"{PREFIX}{day}#{shard}"


def counter_key(hour: str, country: str, browser: str, os: str, shard: int) -> Key:
    return {"pk": _partition(hour[:10], shard), "sk": f"{hour[11:13]}#{country}#{browser}#{os}"}


class AccessRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    def count(self, hour: str, country: str, browser: str, os: str, shard: int) -> None:
        """One more request in this hour from this country, browser and OS."""
        if not 0 <= shard < SHARDS:
            raise ValueError(f"shard must be in 0..{SHARDS - 1}")
        self._table.update(Update(counter_key(hour, country, browser, os, shard),
                                  Changes(set={"country": country, "browser": browser, "os": os, "hour": hour},
                                          add={"count": 1})))

    def counts_on(self, day: str) -> list[AccessCount]:
        """Every counter of one day (`yyyy-mm-dd`), all shards; one entry per shard and counter."""
        return [AccessCount.from_item(item) for shard in range(SHARDS)
                for item in query_all(self._table, _partition(day, shard))]
