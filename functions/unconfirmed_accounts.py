"""Signups whose address is never confirmed are deleted, data and all, 7 days after their
last confirm link went out, with no reminder in between. Scripts that sign up invented
addresses leave nothing behind, and a person who never confirmed is not kept on file.
The confirm link itself lives 7 days: once it can no longer be used, nothing else can
use the account either. The wait is recorded where the link is minted, as its mail is
sent (functions.one_time_links.mint), not when signup queues the mail: a link queued but
never sent keeps no account."""
from __future__ import annotations

from aws_lambda_powertools import Logger

from functions.one_time_links import LIFETIMES
from shared.ports import Ports
from shared.store.accounts import AUDIENCE_SHARDS

logger = Logger(child=True)
UNCONFIRMED_RETENTION_SECONDS = LIFETIMES["confirm"]


def purge_unconfirmed(ports: Ports) -> int:
    """Delete the accounts still pending 7 days after their last confirm link; returns how many."""
    before = ports.clock.iso(ports.clock.now() - UNCONFIRMED_RETENTION_SECONDS)
    purged = 0
    for shard in range(AUDIENCE_SHARDS):
        for account_id in ports.accounts.unconfirmed_before(shard, before):
            account = ports.accounts.get(account_id)
            if account is not None and account.status == "pending" and ports.accounts.delete_unconfirmed(account):
                purged += 1
    if purged:
        logger.info("unconfirmed signups deleted", extra={"count": purged})
    return purged
