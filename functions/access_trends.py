"""P23: anonymous access trends. Each page request adds 1 to the counter of its hour,
country, browser family and OS family; `ops_access_trends` reports the counts per day,
country, browser and OS.

Counters, not log lines: one UpdateItem in the request (a Lambda function is frozen once
it has answered, so there is no "later" to write in), which the local stage and the tests
run end to end against the emulator, and which the report reads back with a few queries a
day. The IP address gives the country and is dropped; the User-Agent gives two families
from fixed lists and is dropped; the time is cut to the hour. No record holds an account,
a token, a path or anything a client typed.
"""
from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.ports import Ports

MAX_DAYS = 92  # a quarter: at most 92 x SHARDS queries a report
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def hour_of(at: float) -> str:
    """`yyyy-mm-ddThh` in UTC: the finest time an access record holds."""
    return datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%dT%H")


def record_page_request(source_ip: str | None, user_agent: str | None, viewer_country_header: str | None,
                        ports: Ports) -> None:
    """Count one page request. The address, the header and the User-Agent are read here and
    kept nowhere: only what they reduce to is written."""
    from shared.geo import UNKNOWN, viewer_country
    from shared.store.access import SHARDS
    from shared.user_agents import families

    country = viewer_country(source_ip, viewer_country_header, ports.settings.trust_viewer_country_header)
    browser, system = families(user_agent)
    ports.access.count(hour_of(ports.clock.now()), country or UNKNOWN, browser, system,
                       random.randrange(SHARDS))  # noqa: S311 - spreads writes, not a secret


class AccessTrendsInput(BaseModel):
    """`{from, to}`: two dates (yyyy-mm-dd, UTC days), both included, at most MAX_DAYS apart."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date = Field(alias="from")
    to: date

    @field_validator("from_", "to", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> Any:
        if isinstance(value, date):
            return value
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise ValueError("must be a date written yyyy-mm-dd")
        return value

    @model_validator(mode="after")
    def _range(self) -> AccessTrendsInput:
        if self.to < self.from_:
            raise ValueError("`to` is before `from`")
        if self.days() > MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days at a time")
        return self

    def days(self) -> int:
        return (self.to - self.from_).days + 1


def _ranked(counts: Counter[str], name: str) -> list[dict[str, Any]]:
    return [{name: key, "count": count} for key, count in sorted(counts.items(), key=lambda i: (-i[1], i[0]))]


def access_trends(payload: AccessTrendsInput, ports: Ports) -> dict[str, Any]:
    """The counts of every day from `from` to `to`: per day (every day listed, zeros too),
    per country, browser family and OS family, and per combination of the four."""
    days = [(payload.from_ + timedelta(days=n)).isoformat() for n in range(payload.days())]
    rows: Counter[tuple[str, str, str, str]] = Counter()
    for day in days:
        for counter in ports.access.counts_on(day):
            rows[(day, counter.country, counter.browser, counter.os)] += counter.count
    per_day: Counter[str] = Counter({day: 0 for day in days})
    countries: Counter[str] = Counter()
    browsers: Counter[str] = Counter()
    systems: Counter[str] = Counter()
    for (day, country, browser, system), count in rows.items():
        per_day[day] += count
        countries[country] += count
        browsers[browser] += count
        systems[system] += count
    return {
        "from": payload.from_.isoformat(),
        "to": payload.to.isoformat(),
        "total": sum(rows.values()),
        "by_day": [{"day": day, "count": per_day[day]} for day in days],
        "by_country": _ranked(countries, "country"),
        "by_browser": _ranked(browsers, "browser"),
        "by_os": _ranked(systems, "os"),
        "rows": [{"day": day, "country": country, "browser": browser, "os": system, "count": count}
                 for (day, country, browser, system), count in sorted(rows.items(), key=lambda i: (i[0][0], -i[1], i[0]))],
    }
