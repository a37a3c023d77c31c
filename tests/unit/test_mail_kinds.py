"""The mail-kind table the sender obeys (P05, P07, P28 are enforced by this one function)."""
from __future__ import annotations

import pytest

from shared.mail.kinds import Recipient, refusal

ACTIVE, PENDING, GONE = "active", "pending", "deactivated"


@pytest.mark.parametrize("kind, recipient, allowed", [
    ("transactional", Recipient(PENDING, None), True),
    ("transactional", Recipient(ACTIVE, "complaint"), True),
    ("transactional", Recipient(ACTIVE, "hard_bounce"), False),
    ("transactional", Recipient(ACTIVE, "repeated_soft_bounce"), False),
    ("transactional", Recipient(GONE, None), False),
    ("service", Recipient(ACTIVE, None, topic_on=False), True),
    ("service", Recipient(PENDING, None), False),
    ("service", Recipient(GONE, None), False),
    ("service", Recipient(ACTIVE, "complaint"), False),
    ("promotional", Recipient(ACTIVE, None, topic_on=True), True),
    ("promotional", Recipient(ACTIVE, None, topic_on=False), False),
    ("promotional", Recipient(PENDING, None, topic_on=True), False),
    ("promotional", Recipient(GONE, None, topic_on=True), False),
    ("promotional", Recipient(ACTIVE, "complaint", topic_on=True), False),
    ("invitation", Recipient(None, None), True),
    ("invitation", Recipient(ACTIVE, None), False),
    ("invitation", Recipient(None, None, forgotten_friend=True), False),
    ("invitation", Recipient(None, "hard_bounce"), False),
    ("contest_confirmation", Recipient(None, None), True),  # P07: a referred address asked for it by entering
    ("contest_confirmation", Recipient(ACTIVE, None), True),
    ("contest_confirmation", Recipient(GONE, None), False),
    ("contest_confirmation", Recipient(None, None, forgotten_friend=True), False),
    ("contest_confirmation", Recipient(None, "complaint"), False),
    ("contest", Recipient(None, None), True),
    ("contest", Recipient(None, "complaint"), False),
    ("newsletter", Recipient(ACTIVE, None, topic_on=True), False),
])
def test_mail_kind_rules(kind, recipient, allowed):
    assert (refusal(kind, recipient) is None) is allowed


def test_p14_a_contest_entrys_confirmation_link_is_sent_first_like_other_mail_a_person_waits_for():
    from shared.store.mail import Priority, priority_of

    assert priority_of("contest_confirmation") == priority_of("transactional") == Priority.TRANSACTIONAL
    assert {priority_of(k) for k in ("invitation", "promotional", "service", "contest")} == {Priority.BULK}
