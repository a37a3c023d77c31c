"""One-time links (`/login/{token}`): they confirm an address, sign in, or confirm a new
address, and the mail that carries them.

The token exists only in the mail: it is minted when the mail is sent and only its hash
is stored, with its expiry. Using it deletes it (single use).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from functions.mail_compose import AccountMail, MailDefect, MailParts, SendTimeFacts
from shared.errors import InvalidToken
from shared.ids import mailbox_key, new_id, new_secret_token, token_hash
from shared.models import AccountStatus, MailKind
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.mail import MailJob
from shared.store.sign_in import LoginToken
from shared.store.table import ConditionFailed, Transaction

LIFETIMES = {"confirm": 7 * 24 * 3600, "signin": 15 * 60, "email_change": 24 * 3600}
# Mail to an address that has not proven itself (confirm, sign-in, address change, invitation,
# "signup again"), per address per hour, one count across signup, login, address changes and
# referrals: enough for a person retrying, too few to turn the store into a mail cannon.
UNPROVEN_MAILS_PER_HOUR = 5
EXPIRED_OR_USED = "This link has expired or was already used."
# A known address signing up again gets one mail of this decision, never a second welcome
# (P11). Which mail it is waits for the send: by then a pending account may have been
# confirmed, or an active one closed. The account's status at send time picks the template
# and the link; a deactivated account gets nothing (the kinds table refuses it first).
SIGNUP_AGAIN = "signup_again"
SIGNUP_AGAIN_MAILS = {AccountStatus.pending.value: ("confirm_link", "confirm"),
                      AccountStatus.active.value: ("signin_link", "signin")}


class CheckYourEmail(BaseModel):
    """The one answer of signup and of a sign-in request, whatever the address."""

    model_config = ConfigDict(defer_build=True)

    status: str = "check_your_email"


def mint(account_id: str, purpose: str, ports: Ports, ref: str | None = None, generation: int | None = None,
         return_to: str | None = None) -> str:
    """A fresh link for the account (and, for an address change, its request); returns its URL.
    It belongs to the account's current link generation (read here unless given), so it dies
    when the address moves or the account closes. A confirm link also restarts the wait
    before an unconfirmed account is purged, so the account is kept as long as its newest
    confirm link works (minted as its mail is sent)."""
    if generation is None:
        account = ports.accounts.get(account_id)
        generation = account.link_generation if account else 0
    if purpose == "confirm":  # before the token: no link exists without the wait it restarts
        _record_confirm_link_sent(account_id, ports)
    token = new_secret_token()
    expires_at = int(ports.clock.now()) + LIFETIMES[purpose]
    ports.sign_in.put_login_token(LoginToken(token_hash(token), account_id, purpose, expires_at, ref, generation,
                                             return_to))
    return f"{ports.settings.base_url}/login/{token}"


def _record_confirm_link_sent(account_id: str, ports: Ports) -> None:
    tx = Transaction()
    ports.accounts.add_confirm_link_sent(tx, account_id, ports.clock.iso())
    try:
        ports.table.commit(tx)
    except ConditionFailed:  # confirmed (or gone) meanwhile: no purge to put off
        pass


def peek(token: str, ports: Ports) -> LoginToken:
    """Is the link usable? Reads only: mail scanners prefetch links, so a GET must not use it."""
    login = ports.sign_in.login_token(token_hash(token), ports.clock.now())
    if login is None:
        raise InvalidToken(EXPIRED_OR_USED)
    return login


def link_mail(account_id: str, purpose: str, template: str, ports: Ports, to_address: str | None = None,
              ref: str | None = None, return_to: str | None = None) -> MailJob:
    """A mail that carries a link; the token is minted when it is sent (with the page a
    sign-in goes back to, if any)."""
    context = {"login_link": purpose, **({"link_ref": ref} if ref else {}), **({"return_to": return_to} if return_to else {})}
    return MailJob(job_id=new_id(), kind=MailKind.transactional.value, template=template,
                   created_at=ports.clock.iso(), account_id=account_id, to_address=to_address, context=context)


def add_unproven_mail_room_check(tx: Transaction, mailbox: str, ports: Ports) -> None:
    """The mailbox (its `mailbox_key`: the cap counts mailboxes, not spellings) may still get
    one more unproven mail this hour (LINK_MAIL_CAP otherwise)."""
    ports.sign_in.add_link_mail_room_check(tx, mailbox, int(ports.clock.now() // 3600), UNPROVEN_MAILS_PER_HOUR)


def add_unproven_mail_count(tx: Transaction, mailbox: str, ports: Ports) -> None:
    """One more mail this hour to a mailbox (its `mailbox_key`) that has not proven itself
    (LINK_MAIL_CAP fails past the cap, and the caller drops the mail silently)."""
    ports.sign_in.add_link_mail_count(tx, mailbox, int(ports.clock.now() // 3600), UNPROVEN_MAILS_PER_HOUR)


def signup_again_mail(account_id: str, ports: Ports) -> MailJob:
    """The one mail a known address gets when it signs up again (see SIGNUP_AGAIN)."""
    return MailJob(job_id=new_id(), kind=MailKind.transactional.value, template=SIGNUP_AGAIN,
                   created_at=ports.clock.iso(), account_id=account_id)


# -- at send time ----------------------------------------------------------------------------
def link_parts(job: MailJob, account: Account, facts: SendTimeFacts, ports: Ports) -> MailParts:
    """A fresh link for the mail, minted now. A signup again is decided only now, by the
    account's status: a pending account gets its confirm link again, an active one a sign-in
    link (a deactivated one was refused before this)."""
    template, purpose = job.template, job.context.get("login_link")
    if template == SIGNUP_AGAIN:
        decided = SIGNUP_AGAIN_MAILS.get(account.status)
        if decided is None:
            raise MailDefect("a signup-again job for an account in no state to receive it")
        template, purpose = decided
    if not isinstance(purpose, str):
        raise MailDefect("a link mail names no link")
    return_to = job.context.get("return_to") if purpose == "signin" else None
    url = mint(account.account_id, purpose, ports, ref=job.context.get("link_ref"), generation=account.link_generation,
               return_to=return_to if isinstance(return_to, str) else None)
    return MailParts(template, {"login_url": url})


LINK_MAIL = AccountMail(link_parts)
MAIL = {"confirm_link": LINK_MAIL, "signin_link": LINK_MAIL, SIGNUP_AGAIN: LINK_MAIL}
