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
from shared.ids import email_hash
from shared.models import ALL_TOPICS, SuppressionReason
from shared.ports import Ports

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
            address_hash = email_hash(recipient["emailAddress"], key)
            if permanent:
                _suppress(address_hash, SuppressionReason.hard_bounce.value, at, ports)
                _stop_topics(address_hash, "hard_bounce", ports)
            else:
                count = ports.outbox.count_soft_bounce(address_hash, ports.clock.now(), SOFT_BOUNCE_WINDOW)
                if count >= ports.settings.soft_bounce_limit:
                    _suppress(address_hash, SuppressionReason.repeated_soft_bounce.value, at, ports,
                              expires_at=int(ports.clock.now()) + SOFT_BOUNCE_SUPPRESSION_SECONDS)
            logger.info("bounce recorded", extra={"address_hash": address_hash, "permanent": permanent})
    elif kind == "Complaint":
        for recipient in notification.get("complaint", {}).get("complainedRecipients", []):
            address_hash = email_hash(recipient["emailAddress"], key)
            _suppress(address_hash, SuppressionReason.complaint.value, at, ports)
            _stop_topics(address_hash, "complaint", ports)
            logger.info("complaint recorded", extra={"address_hash": address_hash})
    else:
        logger.info("feedback ignored", extra={"notification_type": str(kind)})


def _suppress(address_hash: str, reason: str, at: str, ports: Ports, expires_at: int | None = None) -> None:
    """A hard bounce outranks every other reason: nothing later replaces it."""
    ports.outbox.suppress(address_hash, reason, at, keep=(SuppressionReason.hard_bounce.value,), expires_at=expires_at)


class UnsuppressInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200)]


def unsuppress(payload: UnsuppressInput, ports: Ports) -> dict[str, Any]:
    """ops_unsuppress: lift a delivery suppression once the address is fixed (the mailbox
    exists again, the person asked for mail after a complaint). The audit record keeps the
    reason and the address's keyed hash, never the address."""
    address_hash = email_hash(payload.email, ports.settings.hash_key())
    lifted = ports.outbox.lift_suppression(address_hash)
    logger.info("suppression lifted" if lifted else "no suppression to lift", extra={"address_hash": address_hash})
    return {"lifted": lifted, "address_hash": address_hash, "reason": payload.reason}


def _stop_topics(address_hash: str, source: str, ports: Ports) -> None:
    """A customer's preferences show what the suppression did, as a consent event."""
    account_id = ports.accounts.account_id_for(address_hash)
    if account_id is not None:
        stop_topics(account_id, ALL_TOPICS, source, ports)
