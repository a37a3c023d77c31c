"""Domain vocabulary shared by the use cases."""
from __future__ import annotations

from enum import Enum


class Topic(str, Enum):
    """Promotional topics a customer can switch on and off. Service mail is not a topic (P05)."""

    newsletter = "newsletter"
    promotions = "promotions"


ALL_TOPICS: tuple[str, ...] = tuple(t.value for t in Topic)


class AccountStatus(str, Enum):
    pending = "pending"
    active = "active"
    deactivated = "deactivated"


class MailKind(str, Enum):
    transactional = "transactional"
    service = "service"
    promotional = "promotional"
    invitation = "invitation"
    contest_confirmation = "contest_confirmation"  # the link that confirms a contest entry
    contest = "contest"


class SuppressionReason(str, Enum):
    hard_bounce = "hard_bounce"
    repeated_soft_bounce = "repeated_soft_bounce"
    complaint = "complaint"
