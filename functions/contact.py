"""The contact form (P12): unsubscribe by request, questions for operators, forget a friend.

The answer is the same whatever the address, so the form reveals no account.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from typing_extensions import Annotated

from functions import referrals
from functions.consent import stop_topics
from functions.validation import EmailAddress
from shared.errors import NotFound
from shared.ids import address_hash, new_id
from shared.models import ALL_TOPICS
from shared.ports import Ports
from shared.store.questions import ContactQuestion

QUESTION_RETENTION_DAYS = 90
QUESTION_RETENTION_SECONDS = QUESTION_RETENTION_DAYS * 24 * 3600
MESSAGE_MAX_LENGTH = 5000


class ContactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailAddress
    topic: Literal["unsubscribe", "forget_friend", "question"]
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MESSAGE_MAX_LENGTH)] = ""


class ContactAccepted(BaseModel):
    model_config = ConfigDict(defer_build=True)

    status: str = "accepted"


def contact(request: ContactRequest, ports: Ports) -> ContactAccepted:
    """The same answer, and for each topic the same calls, whatever the address: an
    unsubscribe reads the address's lookup and writes the topics off at once for the
    account it names, or for a random id where there is none (the write's condition fails)."""
    clock = ports.clock
    if request.topic == "unsubscribe":
        hashed = address_hash(request.email, ports.settings.hash_key())
        try:
            stop_topics(ports.accounts.account_id_for(hashed) or new_id(), ALL_TOPICS, "contact_form", ports)
        except NotFound:  # no account at that address
            pass
    elif request.topic == "forget_friend":  # as POST /friends/forget (P09)
        referrals.forget(request.email, ports)
    else:
        ports.questions.put(
            ContactQuestion(
                question_id=new_id(),
                email=request.email,
                message=request.message,
                created_at=clock.iso(),
                expires_at=int(clock.now()) + QUESTION_RETENTION_SECONDS,
                address_hash=address_hash(request.email, ports.settings.hash_key()),  # the asker's export finds it
            )
        )
    return ContactAccepted()
