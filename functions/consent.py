"""Topic changes, from whichever door they come (preferences, an unsubscribe link, the
contact form, a bounce or complaint): each writes its consent event and moves the account's
audience membership in the same transaction, so every later send sees it."""
from __future__ import annotations

from typing import Iterable

from shared.errors import NotFound
from shared.ids import new_id
from shared.ports import Ports
from shared.store.accounts import TOPICS_UNCHANGED, ConsentEvent
from shared.store.table import ConditionFailed, Transaction


def change_topics(account_id: str, changes: dict[str, bool], source: str, ports: Ports,
                  join_audiences: bool = False) -> bool:
    """Apply the changes; False, writing nothing, when every topic already had its value.
    `join_audiences`: topics switched on join their audience (active accounts only)."""
    consent = ConsentEvent(account_id=account_id, at=ports.clock.iso(), event_id=new_id(), source=source,
                           topics=dict(changes))
    tx = Transaction()
    ports.accounts.add_topic_changes(tx, consent, join_audiences)
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if TOPICS_UNCHANGED in failed.tags and failed.old[TOPICS_UNCHANGED] is None:
            raise NotFound("No such account.") from None
        return False
    return True


def stop_topics(account_id: str, topics: Iterable[str], source: str, ports: Ports) -> bool:
    """Switch the topics off; False when they were already off."""
    return change_topics(account_id, {topic: False for topic in topics}, source, ports)
