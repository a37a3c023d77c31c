"""SES bounce and complaint notifications become suppressions.

A permanent bounce or a complaint suppresses at once. A transient bounce (mailbox full,
server busy) usually clears by itself, so one is no reason to stop mail; but an address
that bounces transiently SOFT_BOUNCE_LIMIT times (settings, default 3) within
SOFT_BOUNCE_WINDOW is treated as dead: continuing to mail it would hurt the sender
reputation SES judges us by, and three in two weeks rules out a single bad day.
"""
from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from pydantic import BaseModel, ConfigDict, StringConstraints
from typing_extensions import Annotated

from functions.consent import stop_topics
from functions.validation import EmailAddress
from shared.ids import address_hash, new_id
from shared.models import ALL_TOPICS, SuppressionReason
from shared.ports import Ports
from shared.store.audit import AuditEntry

logger = Logger(child=True)
SOFT_BOUNCE_WINDOW = 14 * 24 * 3600
# A suppression for repeated transient bounces ends after this: a full mailbox gets emptied,
# a mail server comes back. If the address keeps bouncing, three more bounces suppress it
# again. Hard bounces and complaints never end by themselves (ops_unsuppress lifts them).
SOFT_BOUNCE_SUPPRESSION_SECONDS = 30 * 24 * 3600


def handle_sns_envelope(body: str, ports: Ports) -> None:
    """A message from the feedback queue: an SNS envelope around the SES notification."""
    envelope = json.loads(body)
    message = envelope.get("Message", envelope) if isinstance(envelope, dict) else envelope
    handle_notification(json.loads(message) if isinstance(message, str) else message, ports)


def handle_notification(notification: dict[str, Any], ports: Ports) -> None:
    kind = notification.get("notificationType") or notification.get("eventType")
    key, at = ports.settings.hash_key(), ports.clock.iso()
    if kind == "Bounce":
        bounce = notification.get("bounce", {})
        permanent = bounce.get("bounceType") == "Permanent"
        for recipient in bounce.get("bouncedRecipients", []):
            hashed = address_hash(recipient["emailAddress"], key)
            if permanent:
                _suppress(hashed, SuppressionReason.hard_bounce.value, at, ports)
                _stop_topics(hashed, "hard_bounce", ports)
            else:
                count = ports.outbox.count_soft_bounce(hashed, ports.clock.now(), SOFT_BOUNCE_WINDOW)
                if count >= ports.settings.soft_bounce_limit:
                    _suppress(hashed, SuppressionReason.repeated_soft_bounce.value, at, ports,
                              expires_at=int(ports.clock.now()) + SOFT_BOUNCE_SUPPRESSION_SECONDS)
            logger.info("bounce recorded", extra={"hashed": hashed, "permanent": permanent})
    elif kind == "Complaint":
        for recipient in notification.get("complaint", {}).get("complainedRecipients", []):
            hashed = address_hash(recipient["emailAddress"], key)
            _suppress(hashed, SuppressionReason.complaint.value, at, ports)
            _stop_topics(hashed, "complaint", ports)
            logger.info("complaint recorded", extra={"hashed": hashed})
    else:
        logger.info("feedback ignored", extra={"notification_type": str(kind)})


def _suppress(hashed: str, reason: str, at: str, ports: Ports, expires_at: int | None = None) -> None:
    """A hard bounce outranks every other reason: nothing later replaces it."""
    ports.outbox.suppress(hashed, reason, at, keep=(SuppressionReason.hard_bounce.value,), expires_at=expires_at)


class UnsuppressInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]


def unsuppress(payload: UnsuppressInput, ports: Ports) -> dict[str, Any]:
    """ops_unsuppress: lift a delivery suppression once the address is fixed (the mailbox
    exists again, the person asked for mail after a complaint). It records what it did: the
    address's keyed hash, never the address, and the operator's reason redacted, kept for the
    audit retention (shared.store.audit); the run's own audit record keeps that reason too."""
    hashed = address_hash(payload.email, ports.settings.hash_key())
    lifted = ports.outbox.lift_suppression(hashed)
    entry = AuditEntry("suppression_lifted" if lifted else "no_suppression_to_lift", ports.clock.iso(), new_id(),
                       detail=payload.reason, address_hash=hashed)
    ports.audit.record(entry)
    logger.info("suppression lifted" if lifted else "no suppression to lift", extra={"hashed": hashed})
    return {"lifted": lifted, "hashed": hashed, "reason": entry.detail}


def _stop_topics(hashed: str, source: str, ports: Ports) -> None:
    """A customer's preferences show what the suppression did, as a consent event."""
    account_id = ports.accounts.account_id_for(hashed)
    if account_id is not None:
        stop_topics(account_id, ALL_TOPICS, source, ports)
