"""Unsubscribe links (P03, P12): signed tokens naming an account and the topics they stop.

Effective for every send that starts after the write: the sender re-reads the preference
at send time, and the audience items go in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from functions.consent import stop_topics
from functions.mail_compose import MailParts, one_click
from shared import tokens
from shared.errors import InvalidToken
from shared.models import ALL_TOPICS
from shared.ports import Ports


@dataclass(frozen=True)
class UnsubscribeLink:
    account_id: str
    topics: tuple[str, ...]


def link_url(account_id: str, topics: Iterable[str], ports: Ports) -> str:
    token = tokens.sign(ports.settings.signing_keys(), tokens.UNSUBSCRIBE, {"a": account_id, "t": list(topics)})
    return f"{ports.settings.base_url}/unsubscribe/{token}"


def mail_parts(account_id: str, topics: Iterable[str], reason: str, ports: Ports) -> MailParts:
    """The unsubscribe link of a mail, in its body and its RFC 8058 headers (P03)."""
    url = link_url(account_id, topics, ports)
    return MailParts(context={"unsubscribe_url": url, "unsubscribe_reason": reason}, headers=one_click(url))


def read_link(token: str, ports: Ports) -> UnsubscribeLink:
    payload = tokens.verify(ports.settings.signing_keys(), tokens.UNSUBSCRIBE, token)
    account_id, topics = payload.get("a"), payload.get("t")
    if not isinstance(account_id, str) or not isinstance(topics, list) or not set(topics) <= set(ALL_TOPICS):
        raise InvalidToken("This link is not valid.")
    return UnsubscribeLink(account_id, tuple(topics))


def unsubscribe(token: str, source: str, ports: Ports, everything: bool = False) -> UnsubscribeLink:
    """Use a link: stop its topics (or every topic, when the reader chose "stop all")."""
    link = read_link(token, ports)
    topics = ALL_TOPICS if everything else link.topics
    stop_topics(link.account_id, topics, source, ports)
    return UnsubscribeLink(link.account_id, tuple(topics))
