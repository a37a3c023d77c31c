"""Contests (P14, P15): entries confirmed by their mailbox, a draw anyone can re-check, the
winners' mail and the purge. This module alone reaches contest contact data (an
import-linter contract, `shared.store.contest_entries`), and only to enter, confirm, notify
winners, award prizes and purge.

Entries: the answers are stored under an id nothing links to the entry; the entry (its own
random id) waits, pending, for the link mailed to the address, whose page collects name,
shipping address and zip. One entry per mailbox (`shared.ids.mailbox_key`) per contest; only
confirmed entries are draw tickets; a pending one is purged when its link expires.

The draw: at creation the contest commits to SHA-256(seed), where the seed is HMAC-SHA256
of a stored nonce under the stage's keyed-hash key (the table alone does not give it away).
At the close no entry is confirmed any more, and the sorted confirmed entry ids are kept
and their SHA-256 published. The draw reveals the seed and picks from those ids (`pick`).
Each entrant learns their entry id when confirming; after the draw the contest's page shows
seed, ids and winners, so anyone can recompute the pick and both hashes (`verify_draw`).

Not stopped: someone who can write to the table and also holds the keyed-hash key can know
the seed before the close and add confirmed entries whose ids win. A deployed stage can
close that by mixing into the seed a public randomness beacon value published after the
close (e.g. the drand round following `closes_at`, named at creation with the commitment).
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.mail_compose import MailDefect, MailHandler, SendTimeFacts, rendered
from functions.one_time_links import add_unproven_mail_count
from functions import survey_retention
from shared.contest_draw import entries_hash, pick, sha256 as _sha256
from shared.errors import Conflict, InvalidInput, InvalidToken
from shared.ids import address_hash, mailbox_key, new_id, new_secret_token, token_hash
from shared.mail import kinds
from shared.models import MailKind
from shared.ports import Ports
from shared.store.contest_entries import PENDING, ConfirmationLink, Entrant, EntrantContactRepository
from shared.store.mail import MailJob
from shared.store.surveys import ALREADY_DRAWN, ENTRIES_CLOSED, Draw, Survey, SurveyResponse
from shared.store.table import ConditionFailed, Transaction

if TYPE_CHECKING:
    from shared.mail.ses import OutgoingMail

__all__ = ["MAIL", "commit_closed_contests", "confirm", "confirmation_link", "draw", "enter", "entries_hash", "entries_of",
           "pick", "purge_due", "verify_draw", "winner_mail"]
COMMIT_LOOKBACK = timedelta(days=7)  # a closed contest the schedule missed is closed on a later run
LINK_SECONDS = 72 * 3600  # a confirmation link, and the pending entry it confirms
CLOSED = "This contest has closed: entries are no longer taken or confirmed."
EXPIRED_OR_USED = "This confirmation link has expired or was already used. Enter again to get a new one."
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")


def _entries(ports: Ports) -> EntrantContactRepository:
    return EntrantContactRepository(ports.table)


def _days_after(iso: str, days: int) -> str:
    return (datetime.fromisoformat(iso) + timedelta(days=days)).isoformat(timespec="milliseconds")


def _kept_until(contest: Survey) -> int:
    """A confirmed entry's contact data is kept until the contest's retention after its close."""
    return int(datetime.fromisoformat(_days_after(contest.closes_at, contest.retention_days)).timestamp())


def entries_closed(contest: Survey, now_iso: str) -> bool:
    return now_iso >= contest.closes_at or contest.entries_closed_at is not None


# -- entering and confirming ------------------------------------------------------------------
def _add_link_mail(tx: Transaction, entrant: Entrant, ports: Ports) -> None:
    """The confirmation link's mail, within the hourly cap on mail to unproven mailboxes; the
    job names the entry, never the address, and the token is minted when it is sent."""
    add_unproven_mail_count(tx, entrant.mailbox_key, ports)
    ports.outbox.add_job(tx, MailJob(new_id(), MailKind.contest_confirmation.value, "contest_confirmation",
                                     ports.clock.iso(), context={"survey_id": entrant.survey_id,
                                                                 "entrant": entrant.mailbox_key,
                                                                 "entry_id": entrant.entry_id}))


def enter(contest: Survey, answers: dict[str, Any], email: str, ports: Ports) -> str:
    """Store the answers and a pending entry, and mail its confirmation link; returns an id
    for the answers. A mailbox with a pending entry gets its link again; one with a confirmed
    entry gets nothing; a repeat's answers are not stored (one mailbox, one voice). Every
    mailbox costs the same two calls whatever it did before: a read of its entry, then one
    transaction of five operations (the contest still open; the answers, or a check in their
    place; the entry, new or its link renewed, which fails for a confirmed one; the cap's
    count; the link's mail). Its failure, for a confirmed entry or over the cap, writes
    nothing and is not told: the answer is the same 201 with an id."""
    key, now, at = ports.settings.hash_key(), ports.clock.now(), ports.clock.iso()
    entries, mailbox = _entries(ports), mailbox_key(email, key)
    held = entries.entry(contest.survey_id, mailbox, now)
    # The answers end at the contest's stated retention, like a survey's (functions/survey_retention.py).
    response = SurveyResponse(contest.survey_id, new_id(), dict(answers), at, survey_retention.expires_at(contest, now))
    tx = Transaction()
    ports.surveys.add_entries_open_check(tx, contest.survey_id)
    if held is None:
        entrant = Entrant(contest.survey_id, mailbox, new_id(), address_hash(email, key), email, at,
                          int(now) + LINK_SECONDS)
        ports.surveys.add_response(tx, response)
        entries.add_entry(tx, entrant, now)
    else:
        entrant = held
        ports.surveys.add_unused_response_check(tx, response)
        entries.add_link_again(tx, held, int(now) + LINK_SECONDS, now)
    _add_link_mail(tx, entrant, ports)
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if ENTRIES_CLOSED in failed.tags:
            raise Conflict(CLOSED, code="survey_closed") from None
        # entered at the same moment, confirmed already, or over the cap: nothing, silently
    return response.response_id


def confirmation_link(survey_id: str, token: str, ports: Ports) -> tuple[Survey, ConfirmationLink]:
    """The contest and the link, while the link can confirm its entry. Reads only: mail
    scanners prefetch links, so opening the page must change nothing."""
    contest, link, _ = _waiting_link(survey_id, token, ports)
    return contest, link


def _waiting_link(survey_id: str, token: str, ports: Ports) -> tuple[Survey, ConfirmationLink, Entrant]:
    now = ports.clock.now()
    contest = ports.surveys.get(survey_id) if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", survey_id) else None
    link = (_entries(ports).link(survey_id, token_hash(token), now)
            if contest and contest.kind == "contest" and _TOKEN.fullmatch(token) else None)
    entrant = _entries(ports).entry(survey_id, link.mailbox_key, now) if link else None
    if contest is None or link is None or entrant is None or (entrant.status, entrant.entry_id) != (PENDING, link.entry_id):
        raise InvalidToken(EXPIRED_OR_USED)
    if entries_closed(contest, ports.clock.iso()):
        raise Conflict(CLOSED, code="survey_closed")
    return contest, link, entrant


def confirm(survey_id: str, token: str, details: dict[str, str], ports: Ports) -> str:
    """Confirm the link's entry with the details its page collected (checked by the caller
    against what the contest asks); returns the entry id, the entrant's draw ticket."""
    contest, link, entrant = _waiting_link(survey_id, token, ports)
    tx = Transaction()
    ports.surveys.add_confirmed_count(tx, survey_id)
    _entries(ports).add_confirmation(tx, link, entrant, details, ports.clock.iso(), _kept_until(contest), ports.clock.now())
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if ENTRIES_CLOSED in failed.tags:
            raise Conflict(CLOSED, code="survey_closed") from None
        raise InvalidToken(EXPIRED_OR_USED) from None
    return link.entry_id


def entries_of(email_hash: str, ports: Ports) -> list[dict[str, Any]]:
    """P14, P15: the person's own contest entries, found by the exact address's hash (never
    by mailbox, which would show one spelling's entry to another), for their export or the
    dispute lookup: the contact data held, and until when."""
    shown = []
    for entry in _entries(ports).entries_of(email_hash, ports.clock.now()):
        contest = ports.surveys.get(entry.survey_id)
        shown.append({"survey_id": entry.survey_id, "contest": contest.title if contest else None,
                      "entry_id": entry.entry_id, "status": entry.status, "email": entry.email, "name": entry.name,
                      "shipping_address": entry.shipping_address, "zip": entry.zip, "entered_at": entry.entered_at,
                      "confirmed_at": entry.confirmed_at, "kept_until": ports.clock.iso(entry.expires_at)})
    return shown


# -- the draw ---------------------------------------------------------------------------------
def _seed_from(survey_id: str, nonce: str, ports: Ports) -> str:
    return hmac.new(ports.settings.hash_key(), f"contest-seed\n{survey_id}\n{nonce}".encode(), hashlib.sha256).hexdigest()


def new_commitment(survey_id: str, ports: Ports) -> tuple[str, str]:
    """A new contest's seed nonce and the commitment to its seed, SHA-256(seed)."""
    nonce = secrets.token_hex(32)
    return nonce, _sha256(_seed_from(survey_id, nonce, ports))


def _seed(contest: Survey, ports: Ports) -> str | None:
    nonce = ports.surveys.seed_nonce(contest.survey_id)
    return _seed_from(contest.survey_id, nonce, ports) if nonce else ports.surveys.seed(contest.survey_id)


def commit_closed_contests(ports: Ports) -> int:
    """At each contest's close (a schedule, every 15 minutes): entries stop being confirmed,
    the sorted confirmed entry ids are kept and their SHA-256 published. Returns how many
    contests were closed."""
    now = ports.clock.now()
    closed = ports.surveys.closing_between(ports.clock.iso(now - COMMIT_LOOKBACK.total_seconds()), ports.clock.iso())
    done = 0
    for contest in (s for s in closed if s.kind == "contest" and s.entries_hash is None):
        if contest.commitment is None:  # created before contests committed at creation
            seed = secrets.token_hex(32)
            ports.surveys.commit_seed(contest.survey_id, seed, _sha256(seed))
        ports.surveys.close_entries(contest.survey_id, ports.clock.iso())
        ids = sorted(e.entry_id for e in _entries(ports).confirmed(contest.survey_id, ports.clock.now()))
        done += ports.surveys.publish_entries(contest.survey_id, ids, entries_hash(ids))
    return done


class DrawInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survey_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    winners: int = Field(ge=1, le=99)  # the draw's record and one mail per winner: one transaction of 100


def _contest(survey_id: str, ports: Ports) -> Survey:
    contest = ports.surveys.get(survey_id)
    if contest is None or contest.kind != "contest":
        raise InvalidInput("survey_id: there is no such contest.")
    return contest


def draw(payload: DrawInput, ports: Ports) -> dict[str, Any]:
    """Draw a closed contest once: reveal the seed, pick from the entry ids kept at the
    close, record, mail each winner, schedule the purge."""
    contest = _contest(payload.survey_id, ports)
    now = ports.clock.iso()
    if now < contest.closes_at:
        raise Conflict("The contest is still open: draw it once it has closed.", code="contest_open")
    if contest.commitment is None or contest.entries_hash is None:
        raise Conflict("The contest's close is not committed yet (a schedule does it within 15 minutes of the "
                       "close); try again then.", code="not_committed")
    seed = _seed(contest, ports)
    if seed is None or _sha256(seed) != contest.commitment:
        raise Conflict("The seed does not match the contest's commitment: the draw would not verify.",
                       code="seed_mismatch")
    entry_ids = ports.surveys.entry_ids(contest.survey_id)
    if entries_hash(entry_ids) != contest.entries_hash:
        raise Conflict("The kept entry ids do not match the hash published at the close.", code="entries_changed")
    winners = pick(seed, entry_ids, payload.winners)
    mailboxes = {e.entry_id: e.mailbox_key for e in _entries(ports).confirmed(contest.survey_id, ports.clock.now())}
    record = Draw(contest.survey_id, now, len(entry_ids), contest.commitment, seed, winners,
                  purge_at=max(now, _days_after(contest.closes_at, contest.retention_days)),
                  entries_hash=contest.entries_hash, requested=payload.winners)
    tx = Transaction()
    ports.surveys.add_draw(tx, record)
    for entry_id in (w for w in winners if w in mailboxes):  # the job names the entry, never the address
        ports.outbox.add_job(tx, MailJob(new_id(), MailKind.contest.value, "contest_winner", now, context={
            "survey_id": contest.survey_id, "entry_id": entry_id, "entrant": mailboxes[entry_id]}))
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if ALREADY_DRAWN in failed.tags:
            raise Conflict("This contest was drawn already.", code="already_drawn") from None
        raise
    return {"survey_id": contest.survey_id, "entrants": len(entry_ids), "commitment": contest.commitment,
            "entries_hash": contest.entries_hash, "seed": seed, "winners": winners,
            "contact_data_purged_at": record.purge_at}


class VerifyInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survey_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


def verify_draw(payload: VerifyInput, ports: Ports) -> dict[str, Any]:
    """ops_verify_draw: recompute a drawn contest's winners from its revealed seed and kept
    entry ids, and check the seed against the commitment made at creation and the ids
    against the hash published at the close. `match` is true only when all of it holds.
    It cannot tell entries added to the table before the close from real ones, nor a record
    rewritten with its hash (only a copy kept elsewhere can): see docs/operations.md."""
    contest = _contest(payload.survey_id, ports)
    record = ports.surveys.draw(contest.survey_id)
    if record is None:
        raise Conflict("This contest has not been drawn.", code="not_drawn")
    entry_ids = ports.surveys.entry_ids(contest.survey_id)
    recomputed = pick(record.seed, entry_ids, record.requested or len(record.winners))
    checks = {
        "seed_matches_commitment": _sha256(record.seed) == contest.commitment == record.commitment,
        "entry_ids_match_published_hash": entries_hash(entry_ids) == contest.entries_hash
        and record.entries_hash in (None, contest.entries_hash),
        "entrants_match": len(entry_ids) == record.entrants,
        "winners_match": recomputed == record.winners,
    }
    return {"survey_id": contest.survey_id, "match": all(checks.values()), "checks": checks,
            "winners": record.winners, "recomputed_winners": recomputed}


# -- mail -------------------------------------------------------------------------------------
def winner_mail(job: MailJob, ports: Ports) -> tuple[Entrant, dict[str, Any]] | None:
    """The winner's entry (its address resolved at send time) and the mail's values, or None
    when the entry's contact data is gone. The entrant's typed name is not mailed."""
    contest = ports.surveys.get(job.context["survey_id"])
    entrant = _entries(ports).winner(job.context["survey_id"], str(job.context.get("entrant", "")),
                                     job.context["entry_id"], ports.clock.now())
    if contest is None or entrant is None:
        return None
    return entrant, {"contest_title": contest.title, "prize": contest.prize or "",
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
        suppressed = ports.outbox.suppression(found[0].address_hash, ports.clock.now())
        return kinds.refusal(job.kind, kinds.Recipient(None, suppressed))

    def compose(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> OutgoingMail:
        found = winner_mail(job, ports)
        if found is None:
            raise MailDefect("the winner's contact data is gone")
        entrant, context = found
        return rendered(job.template, context, entrant.email, job.kind, ports)


def _waiting_entry(job: MailJob, ports: Ports) -> tuple[Survey, Entrant] | None:
    """The contest and the pending entry a confirmation job was queued for, while both wait."""
    contest = ports.surveys.get(str(job.context.get("survey_id", "")))
    entrant = _entries(ports).entry(contest.survey_id, str(job.context.get("entrant", "")),
                                    ports.clock.now()) if contest else None
    if contest is None or entrant is None or entrant.status != PENDING or entrant.entry_id != job.context.get("entry_id"):
        return None
    return contest, entrant


class ConfirmationMailHandler:
    """The link that confirms an entry goes to the address that entered, even one referred by
    a friend with no account (it asked for it, P07), but never to a suppressed or forgotten
    address nor a deactivated account's; and only while the entry waits and the contest is open."""

    def refusal(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> str | None:
        found = _waiting_entry(job, ports)
        if found is None:
            return "entry_gone"
        contest, entrant = found
        if entries_closed(contest, ports.clock.iso()):
            return "contest_closed"
        account_id = ports.accounts.account_id_for(entrant.address_hash)
        account = ports.accounts.get(account_id) if account_id else None
        # The forget marker moves from the address's hash to its mailbox's: either one counts.
        forgotten = any(ports.outbox.is_forgotten(h) for h in (entrant.mailbox_key, entrant.address_hash))
        return kinds.refusal(job.kind, kinds.Recipient(account.status if account else None,
                                                       ports.outbox.suppression(entrant.address_hash, ports.clock.now()),
                                                       forgotten_friend=forgotten))

    def compose(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> OutgoingMail:
        found = _waiting_entry(job, ports)
        if found is None:
            raise MailDefect("the entry to confirm is gone")
        contest, entrant = found
        token = new_secret_token()  # only its hash is stored, and it dies with the pending entry
        _entries(ports).put_link(ConfirmationLink(contest.survey_id, token_hash(token), entrant.mailbox_key,
                                                  entrant.entry_id, entrant.expires_at))
        hours = max(1, round((entrant.expires_at - ports.clock.now()) / 3600))
        return rendered(job.template, {
            "contest_title": contest.title, "purpose": contest.purpose, "retention_days": contest.retention_days,
            "link_hours": hours, "confirm_url": f"{ports.settings.base_url}/surveys/{contest.survey_id}/confirm-email/{token}",
        }, entrant.email, job.kind, ports)


MAIL: dict[str, MailHandler] = {"contest_winner": WinnerMailHandler(), "contest_confirmation": ConfirmationMailHandler()}


# -- purges -----------------------------------------------------------------------------------
def purge_due(ports: Ports) -> int:
    """Delete every entrant's contact data of each drawn contest whose retention has ended
    (the answers stay, detached from any person), and every pending entry and link whose
    link has expired. Returns how many entries were purged."""
    purged = 0
    for record in ports.surveys.purges_due(ports.clock.iso()):
        purged += _entries(ports).purge(record.survey_id)
        ports.surveys.mark_purged(record.survey_id, ports.clock.iso())
    return purged + purge_unconfirmed(ports)


def purge_unconfirmed(ports: Ports, days_back: int = 7) -> int:
    """Pending entries and links past their link's expiry, by expiry day, looking back a week
    so a missed run is made up by the next. Returns how many entries were deleted."""
    now, entries = int(ports.clock.now()), _entries(ports)
    return sum(entries.purge_expired_pending(time.strftime("%Y-%m-%d", time.gmtime(now - back * 24 * 3600)), now)
               for back in range(days_back + 1))
