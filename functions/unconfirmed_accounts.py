"""Signups whose address is never confirmed are deleted, data and all, 7 days after their
last confirm link went out, with no reminder in between. Scripts that sign up invented
addresses leave nothing behind, and a person who never confirmed is not kept on file.
The confirm link itself lives 7 days: once it can no longer be used, nothing else can
use the account either. The wait is recorded where the link is minted, as its mail is
sent (functions.one_time_links.mint), not when signup queues the mail: a link queued but
never sent keeps no account.

A run pages through every shard, a page of each in turn, until nothing older than 7 days
is left or its time runs short; the next run (daily) goes on from the oldest again."""
from __future__ import annotations

import time
from typing import Callable

from aws_lambda_powertools import Logger

from functions.one_time_links import LIFETIMES
from shared.ports import Ports
from shared.store.accounts import AUDIENCE_SHARDS
from shared.store.table import Key

logger = Logger(child=True)
UNCONFIRMED_RETENTION_SECONDS = LIFETIMES["confirm"]
# A page (100 accounts, each a query and a transaction) must fit in what is left.
STOP_MARGIN_SECONDS = 30
DEFAULT_BUDGET_SECONDS = 600  # where no Lambda context tells (the function's timeout is 900 s)


def time_budget(seconds: float) -> Callable[[], float]:
    """The seconds left of a budget that starts now."""
    deadline = time.monotonic() + seconds
    return lambda: deadline - time.monotonic()


def purge_unconfirmed(ports: Ports, remaining_seconds: Callable[[], float] | None = None) -> int:
    """Delete the accounts still pending 7 days after their last confirm link; returns how many."""
    left = remaining_seconds or time_budget(DEFAULT_BUDGET_SECONDS)
    before = ports.clock.iso(ports.clock.now() - UNCONFIRMED_RETENTION_SECONDS)
    following: dict[int, Key | None] = {shard: None for shard in range(AUDIENCE_SHARDS)}
    purged, finished = 0, True
    while following and finished:
        for shard, start in list(following.items()):
            if left() < STOP_MARGIN_SECONDS:
                finished = False
                break
            account_ids, following[shard] = ports.accounts.unconfirmed_before(shard, before, start)
            for account_id in account_ids:
                account = ports.accounts.get(account_id)
                if account is not None and account.status == "pending" and ports.accounts.delete_unconfirmed(account):
                    purged += 1
            if following[shard] is None:
                del following[shard]
    if purged or not finished:
        logger.info("unconfirmed signups deleted", extra={"count": purged, "finished": finished})
    return purged
