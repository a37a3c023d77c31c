"""Tell-A-Friend (P06-P09): a customer names a friend; the friend gets one invitation, ever,
and nothing more unless they sign up; the friend's data serves only the referral program
and is deleted when the friend asks, when they join, or after its retention.

"The friend" is a mailbox, not a spelling: the invitation-once record, the forget marker and
the hourly cap go by `mailbox_key` (frida@gmail.com, f.rida+news@googlemail.com: one
friend). Whether the address is a customer's or suppressed goes by its exact `address_hash`,
as accounts and suppressions are kept. The friend's name is asked, never stored.

This module and its use cases are the only code that reaches friend data (an import-linter
contract, `shared.store.friends`): inviting, resolving an invitation's address for the
sender, conversion, the customer's listing, the operator's report, forgetting, the purge.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from functions.mail_compose import MailDefect, SendTimeFacts, one_click, rendered
from functions.one_time_links import add_unproven_mail_count
from functions.validation import EmailAddress
from shared import tokens
from shared.errors import InvalidInput, InvalidToken
from shared.ids import address_hash, mailbox_key, new_id
from shared.mail import kinds
from shared.models import MailKind
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.friends import NOT_INVITED, FriendRepository, Invitation, Referral
from shared.store.mail import MailJob
from shared.store.table import ConditionFailed, Transaction, TransactionConflict

if TYPE_CHECKING:
    from shared.mail.ses import OutgoingMail

# Unconverted friend data (address, names) is deleted 30 days after the referral: an
# invitation not taken up within a month rarely is, and monitoring the program needs only
# the keyed hash and the statuses, which stay.
FRIEND_DATA_RETENTION_SECONDS = 30 * 24 * 3600
# A customer tells a few friends; more looks like a list being worked through, which
# mailbox providers treat as spam from us. Beyond either cap a referral is silently dropped.
DAILY_CAP, WEEKLY_CAP = 5, 15
FORGET_PURPOSE = "forget-friend-v1"
FIRST_NAME_MAX = 30
_URL = re.compile(r"(://|www\.|\.(com|net|org|io|ru|cn|info|biz)\b|[<>@])", re.IGNORECASE)
_NOT_IN_A_FIRST_NAME = re.compile(r"[^\w\s'\-]|[\d_]")


def _plain_name(value: str) -> str:
    if _URL.search(value):
        raise ValueError("a name, please: no web or email addresses")
    return value


FriendName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60),
                       AfterValidator(_plain_name)]


OWN_ADDRESS = "own_address"  # the code of a referral of the referrer's own mailbox


class ReferralRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    friend_name: FriendName
    friend_email: EmailAddress


class ReferralAccepted(BaseModel):
    model_config = ConfigDict(defer_build=True)

    status: str = "accepted"


class ForgetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailAddress


class ReferralListed(BaseModel):
    """One of the customer's referrals: never the friend's name or address (not stored), and
    the same whether it sent an invitation or not, and whether the friend was since erased."""

    model_config = ConfigDict(defer_build=True)

    referral_id: str
    friend: str = "A friend"
    status: str  # invited | joined
    referred_at: str


class ReferralList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    referrals: list[ReferralListed]


class ForgetAccepted(BaseModel):
    model_config = ConfigDict(defer_build=True)

    status: str = "accepted"


def _friends(ports: Ports) -> FriendRepository:
    return FriendRepository(ports.table)


def _caps(ports: Ports) -> dict[str, tuple[str, int, int]]:
    now = int(ports.clock.now())
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    week = time.strftime("%G-W%V", time.gmtime(now))
    return {"DAY": (day, DAILY_CAP, now + 2 * 24 * 3600), "WEEK": (week, WEEKLY_CAP, now + 8 * 24 * 3600)}


def refer(referrer: Account, request: ReferralRequest, ports: Ports) -> ReferralAccepted:
    """Record a referral, then, in a second transaction, the invitation: written only if the
    address has no account, is not suppressed, the mailbox was never invited nor forgotten,
    and it is within the mailbox's hourly cap, each checked where it is written. Its failure
    drops the invitation alone. So every address costs the same two calls and gets the same
    answer (P06), and a referral of a forgotten mailbox stores only the keyed hash."""
    key = ports.settings.hash_key()
    friend_hash, exact = mailbox_key(request.friend_email, key), address_hash(request.friend_email, key)
    if friend_hash == mailbox_key(referrer.email, key):
        raise InvalidInput("friend_email: that is your own address; please enter your friend's.", code=OWN_ADDRESS)
    at, now = ports.clock.iso(), int(ports.clock.now())
    referral_id, friends = new_id(), _friends(ports)
    if not _commit_quietly(ports, _referral(friends, referrer, referral_id, friend_hash, at, ports)):
        return ReferralAccepted()  # over the referrer's cap: silently, the caller learns nothing
    tx = Transaction()
    ports.accounts.add_address_free_check(tx, exact)
    ports.outbox.add_invitable_checks(tx, exact, friend_hash, now)
    friends.add_invitation(tx, Invitation(friend_hash, referral_id, referrer.account_id, at), request.friend_email,
                           now + FRIEND_DATA_RETENTION_SECONDS)
    ports.outbox.add_job(tx, MailJob(new_id(), MailKind.invitation.value, "invitation", at, context={
        "friend_hash": friend_hash, "address_hash": exact, "referral_id": referral_id}))
    add_unproven_mail_count(tx, friend_hash, ports)  # the hourly cap every unproven mailbox shares
    _commit_quietly(ports, tx)
    return ReferralAccepted()


def _referral(friends: FriendRepository, referrer: Account, referral_id: str, friend_hash: str, at: str,
              ports: Ports) -> Transaction:
    tx = Transaction()
    friends.add_within_caps(tx, referrer.account_id, _caps(ports))
    friends.add_referral(tx, Referral(referral_id, referrer.account_id, friend_hash, at))
    return tx


def _commit_quietly(ports: Ports, tx: Transaction) -> bool:
    """Commit; False when a condition failed (the transaction wrote nothing). A concurrent
    write is tried again, up to twice."""
    for _ in range(3):
        try:
            ports.table.commit(tx)
        except ConditionFailed:
            return False
        except TransactionConflict:
            continue
        return True
    return False


def referrals_of(account: Account, ports: Ports) -> ReferralList:
    """The customer's own referrals. One that sent nothing lists exactly like one that was
    sent; only a sent one can turn joined."""
    return ReferralList(referrals=[ReferralListed(referral_id=r.referral_id, status=r.status, referred_at=r.created_at)
                                   for r in _friends(ports).referrals_by(account.account_id)])


# -- the invitation, at send time -------------------------------------------------------------


@dataclass(frozen=True)
class InvitationMail:
    to: str
    context: dict[str, Any]
    headers: dict[str, str]


def first_name(full_name: str) -> str:
    """The one piece of free text an invitation carries: letters, spaces, hyphens and
    apostrophes, 30 at most, from the referrer's confirmed account."""
    words = _NOT_IN_A_FIRST_NAME.sub("", full_name).split()
    return words[0][:FIRST_NAME_MAX] if words else ""


def forget_url(friend_hash: str, ports: Ports) -> str:
    token = tokens.sign(ports.settings.signing_keys(), FORGET_PURPOSE, {"h": friend_hash})
    return f"{ports.settings.base_url}/friends/forget/{token}"


def invitation_mail(job: MailJob, ports: Ports) -> InvitationMail | None:
    """What the sender needs for an invitation job: the address (resolved here, never held
    by the job), the referrer's first name and the forget-me link; None when there is
    nobody to send it to any more (forgotten, joined, expired, or the referrer is gone)."""
    friend_hash = job.context["friend_hash"]
    friends = _friends(ports)
    invitation = friends.invitation(friend_hash)
    if invitation is None or invitation.status != "invited":
        return None
    address = friends.address(friend_hash, ports.clock.now())
    referrer = ports.accounts.get(invitation.referrer_id)
    if address is None or referrer is None or referrer.status != "active":
        return None
    url, sender = forget_url(friend_hash, ports), first_name(referrer.name) or "A customer of ours"
    return InvitationMail(
        to=address,
        context={"referrer_first_name": sender, "forget_url": url, "store_url": ports.settings.base_url,
                 "subject": f"{sender} thinks you would like the Calling Card Store"},
        # RFC 8058: the provider's unsubscribe button posts here, and the friend is forgotten.
        headers=one_click(url),
    )


class InvitationHandler:
    """Sends an invitation to a friend's address, which the job never holds (P06-P09)."""

    def refusal(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> str | None:
        """The kinds table for a friend's address, from hash-only facts: has it become a
        customer's, been suppressed, or asked to be forgotten? Then: is the invitation still
        there to send (not forgotten, joined or expired)?"""
        friend_hash, exact = job.context.get("friend_hash"), job.context.get("address_hash")
        if not isinstance(friend_hash, str) or not isinstance(exact, str):
            raise MailDefect("an invitation job names no friend")
        has_account = ports.accounts.account_id_for(exact) is not None
        recipient = kinds.Recipient("exists" if has_account else None, ports.outbox.suppression(exact, ports.clock.now()),
                                    forgotten_friend=ports.outbox.is_forgotten(friend_hash))
        why_not = kinds.refusal(job.kind, recipient)
        if why_not is None and invitation_mail(job, ports) is None:
            return "friend_data_gone"
        return why_not

    def compose(self, job: MailJob, facts: SendTimeFacts, ports: Ports) -> OutgoingMail:
        invitation = invitation_mail(job, ports)
        if invitation is None:  # gone since the re-check: the job's own fault, not SES's
            raise MailDefect("the invitation's friend data is gone")
        return rendered(job.template, invitation.context, invitation.to, job.kind, ports, invitation.headers)


MAIL = {"invitation": InvitationHandler()}


# -- conversion, forgetting, retention ---------------------------------------------------------


def add_conversion(tx: Transaction, address: str, ports: Ports) -> bool:
    """An invited mailbox is becoming a customer's (in the transaction that confirms the
    address): its invitation and the referral that sent it turn joined, and the friend data
    goes; the account holds the person's data now, under their own consent. The transaction
    fails with CONVERTED_MEANWHILE if the invitation changed since it was read.

    A referrer whose account is closed gains nothing (P28: a deactivated account's data is
    used for disputes only): their referral, counts and the invitation stay as they were,
    and only the friend's address goes, as it goes whenever the friend joins (P08)."""
    friends, friend_hash = _friends(ports), mailbox_key(address, ports.settings.hash_key())
    invitation = friends.invitation(friend_hash)
    if invitation is None or invitation.status != "invited" or ports.outbox.is_forgotten(friend_hash):
        return False  # a friend who asked to be forgotten is not tied to a referral when they join
    referrer = ports.accounts.get(invitation.referrer_id)
    if referrer is None or referrer.status == "deactivated":
        friends.add_forget(tx, friend_hash)  # the address only: nothing of the referrer's changes
        return False
    friends.add_joined(tx, invitation)
    return True


CONVERTED_MEANWHILE = NOT_INVITED


def forget(address: str, ports: Ports) -> None:
    """Delete the friend's address at once, whoever gave it; keep only the keyed hash of the
    mailbox, so no spelling of it is invited again, and cancel a pending invitation."""
    forget_hash(mailbox_key(address, ports.settings.hash_key()), ports)


def forget_request(request: ForgetRequest, ports: Ports) -> ForgetAccepted:
    """The public form: the same answer whether or not the address was known (P09)."""
    forget(request.email, ports)
    return ForgetAccepted()


def forget_hash(friend_hash: str, ports: Ports) -> None:
    """One transaction, whatever was stored: the marker (the sender refuses any invitation
    from now on, and no referral is ever tied to the mailbox again) and the address gone."""
    tx = Transaction()
    ports.outbox.add_forgotten(tx, friend_hash, ports.clock.iso())
    _friends(ports).add_forget(tx, friend_hash)
    ports.table.commit(tx)


def read_forget_link(token: str, ports: Ports) -> str:
    payload = tokens.verify(ports.settings.signing_keys(), FORGET_PURPOSE, token)
    friend_hash = payload.get("h")
    if not isinstance(friend_hash, str) or not re.fullmatch(r"[0-9a-f]{64}", friend_hash):
        raise InvalidToken("This link is not valid.")
    return friend_hash


def forget_by_link(token: str, ports: Ports) -> None:
    forget_hash(read_forget_link(token, ports), ports)


def purge_expired(ports: Ports, days_back: int = 7) -> int:
    """Delete friend data whose retention has ended: each day's items, looking back a week
    so a missed run is made up by the next. Returns how many items were deleted."""
    now = int(ports.clock.now())
    friends, deleted = _friends(ports), 0
    for back in range(days_back + 1):
        day = time.strftime("%Y-%m-%d", time.gmtime(now - back * 24 * 3600))
        for key in friends.expired_data(day):
            deleted += friends.delete_data(key, now)
    return deleted


def report(_: object, ports: Ports) -> dict[str, Any]:
    """Referrals, invitations and conversions per referrer, from the counters alone: no
    friend record is read, and no address appears. A closed account is no referrer of the
    report (P28: excluded from every report); its counters stay for disputes."""
    counts = _friends(ports).all_counts()
    accounts = ports.accounts.many_with_preferences(c.referrer_id for c in counts)
    rows = sorted((c for c in counts if _open(accounts.get(c.referrer_id, (None, None))[0])),
                  key=lambda c: c.referrer_id)
    return {"referrers": [{"referrer_id": c.referrer_id, "referrals": c.referrals, "invitations": c.invitations,
                           "joined": c.joined} for c in rows]}


def _open(account: Account | None) -> bool:
    return account is not None and account.status != "deactivated"
