"""Contests (P14, P15): entries' contact data, the committed draw, the winners' mail and
the purge. This module alone reaches contest contact data (an import-linter contract,
`shared.store.contest_entries`), and only to enter, notify winners, award prizes and purge.

The draw commits before it picks: when a contest closes, a schedule stores a random seed
and publishes its SHA-256 on the contest's page. The draw then reveals the seed and picks
with HMAC-SHA256 in counter mode keyed by it over the sorted entry ids, so anyone holding
the draw record can re-run the pick and check it against the commitment.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.mail_compose import MailDefect, SendTimeFacts, rendered
from shared.errors import Conflict, InvalidInput
from shared.ids import address_hash, new_id
from shared.mail import kinds
from shared.models import MailKind
from shared.ports import Ports
from shared.store.contest_entries import ALREADY_ENTERED, EntrantContact, EntrantContactRepository
from shared.store.mail import MailJob
from shared.store.surveys import ALREADY_DRAWN, Draw, Survey
from shared.store.table import ConditionFailed, Transaction

if TYPE_CHECKING:
    from shared.mail.ses import OutgoingMail

__all__ = ["ALREADY_ENTERED", "MAIL", "add_entry", "commit_closed_contests", "draw", "pick", "winner_mail", "purge_due"]
COMMIT_LOOKBACK = timedelta(days=7)  # a closed contest the schedule missed is committed on a later run


def _entries(ports: Ports) -> EntrantContactRepository:
    return EntrantContactRepository(ports.table)


def _days_after(iso: str, days: int) -> str:
    return (datetime.fromisoformat(iso) + timedelta(days=days)).isoformat(timespec="milliseconds")


def add_entry(tx: Transaction, survey: Survey, entry_id: str, contact: dict[str, str], ports: Ports) -> None:
    """The entry's contact data, kept until the contest's retention after its close; the
    transaction fails with ALREADY_ENTERED for an address that entered before."""
    expires_at = int(datetime.fromisoformat(_days_after(survey.closes_at, survey.retention_days)).timestamp())
    _entries(ports).add_entry(tx, EntrantContact(
        survey.survey_id, address_hash(contact["email"], ports.settings.hash_key()), entry_id, contact.get("name", ""),
        contact["email"], expires_at, contact.get("shipping_address"), contact.get("zip")))


def commit_closed_contests(ports: Ports) -> int:
    """Store a seed for each contest that closed and has none, and publish its SHA-256."""
    now = ports.clock.now()
    closed = ports.surveys.closing_between(ports.clock.iso(now - COMMIT_LOOKBACK.total_seconds()), ports.clock.iso())
    committed = 0
    for contest in (s for s in closed if s.kind == "contest" and s.commitment is None):
        seed = secrets.token_hex(32)
        committed += ports.surveys.commit_seed(contest.survey_id, seed, hashlib.sha256(seed.encode()).hexdigest())
    return committed


def pick(seed: str, entry_ids: list[str], count: int) -> list[str]:
    """`count` distinct winners from the sorted entry ids, by HMAC-SHA256 keyed by the seed
    in counter mode, with rejection sampling so every entry has the same chance."""
    pool, winners, counter = sorted(entry_ids), list[str](), 0
    while pool and len(winners) < count:
        size = len(pool)
        limit = (1 << 256) // size * size
        while True:
            counter += 1
            value = int.from_bytes(hmac.new(seed.encode(), f"draw:{counter}".encode(), hashlib.sha256).digest(), "big")
            if value < limit:
                break
        winners.append(pool.pop(value % size))
    return winners


class DrawInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survey_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    winners: int = Field(ge=1, le=100)


def draw(payload: DrawInput, ports: Ports) -> dict[str, Any]:
    """Draw a closed contest once: pick, record, mail each winner, schedule the purge."""
    contest = ports.surveys.get(payload.survey_id)
    if contest is None or contest.kind != "contest":
        raise InvalidInput("survey_id: there is no such contest.")
    now = ports.clock.iso()
    if now < contest.closes_at:
        raise Conflict("The contest is still open: draw it once it has closed.", code="contest_open")
    seed = ports.surveys.seed(contest.survey_id)
    if contest.commitment is None or seed is None:
        raise Conflict("The contest's seed is not committed yet (a schedule does it within 15 minutes of the close); "
                       "try again then.", code="not_committed")
    entries = _entries(ports).entry_ids(contest.survey_id)
    winners = pick(seed, entries, payload.winners)
    record = Draw(contest.survey_id, now, len(entries), contest.commitment, seed, winners,
                  purge_at=max(now, _days_after(contest.closes_at, contest.retention_days)))
    tx = Transaction()
    ports.surveys.add_draw(tx, record)
    for entry_id in winners:  # the job names the entry, never the address
        ports.outbox.add_job(tx, MailJob(new_id(), MailKind.contest.value, "contest_winner", now,
                                       context={"survey_id": contest.survey_id, "entry_id": entry_id}))
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if ALREADY_DRAWN in failed.tags:
            raise Conflict("This contest was drawn already.", code="already_drawn") from None
        raise
    return {"survey_id": contest.survey_id, "entrants": len(entries), "commitment": contest.commitment, "seed": seed,
            "winners": winners, "contact_data_purged_at": record.purge_at}


def winner_mail(job: MailJob, ports: Ports) -> tuple[str, dict[str, Any]] | None:
    """The winner's address (resolved at send time) and the mail's values, or None when the
    entry's contact data is gone. The entrant's own typed name is not mailed: the address
    was never confirmed."""
    contest = ports.surveys.get(job.context["survey_id"])
    contact = _entries(ports).contact(job.context["survey_id"], job.context["entry_id"], ports.clock.now())
    if contest is None or contact is None:
        return None
    return contact.email, {"contest_title": contest.title, "prize": contest.prize or "",
                           "purpose": contest.purpose, "retention_days": contest.retention_days}


class WinnerMailHandler:
    """A winner's mail goes to the entry's contact address while it is held, unless the
    address is suppressed. Only a job that names an entry is a winner's mail."""

    def refusal(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> str | None:
        if not {"survey_id", "entry_id"} <= set(job.context):
            return "no_recipient"
        found = winner_mail(job, ports)
        if found is None:
            return "entry_gone"
        hashed = address_hash(found[0], ports.settings.hash_key())
        suppressed = ports.outbox.suppression(hashed, ports.clock.now())
        return kinds.refusal(job.kind, kinds.Recipient(None, suppressed))

    def compose(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> OutgoingMail:
        found = winner_mail(job, ports)
        if found is None:
            raise MailDefect("the winner's contact data is gone")
        address, context = found
        return rendered(job.template, context, address, job.kind, ports)


MAIL = {"contest_winner": WinnerMailHandler()}


def purge_due(ports: Ports) -> int:
    """Delete every entrant's contact data of each drawn contest whose retention has ended;
    the answers stay, detached from any person. Returns how many entries were purged."""
    purged = 0
    for record in ports.surveys.purges_due(ports.clock.iso()):
        purged += _entries(ports).purge(record.survey_id)
        ports.surveys.mark_purged(record.survey_id, ports.clock.iso())
    return purged
