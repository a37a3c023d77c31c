"""The words for the promotional topics, the one place both pages and mail read them from.

A topic's words in a sentence ("You will no longer get the newsletter."), and its label
beside a check box in the confirm page and Email Preferences. Service mail is no topic (P05).
"""
from __future__ import annotations

from collections.abc import Iterable

# In a sentence: after "get", "stop" or "switched on".
TOPIC_WORDS = {"newsletter": "the newsletter", "promotions": "special offers"}
# Beside a check box, in the confirm page and Email Preferences.
TOPIC_LABELS = {"newsletter": "Newsletter (periodic announcements)", "promotions": "Special offers"}


def topics_text(topics: Iterable[str], joiner: str = "and") -> str:
    """The topics in the order of TOPIC_WORDS, joined for a sentence: "and" where each is
    listed ("stops the newsletter and special offers"), "or" after a negative ("no longer
    get the newsletter or special offers")."""
    chosen = set(topics)
    words = [text for topic, text in TOPIC_WORDS.items() if topic in chosen]
    if len(words) <= 2:
        return f" {joiner} ".join(words)
    return ", ".join(words[:-1]) + f", {joiner} " + words[-1]
