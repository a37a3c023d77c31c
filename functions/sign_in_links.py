"""One-time links that confirm an address, sign in, or confirm a new address (the
`/login/{token}` links).

The token exists only in the mail: it is minted when the mail is sent and only its hash
is stored, with its expiry. Using it deletes it (single use).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from functions.validation import EmailAddress
from shared.errors import InvalidToken
from shared.ids import email_hash, new_id, new_secret_token, token_hash
from shared.models import AccountStatus, MailKind
from shared.store.entities import LoginToken, MailJob

LIFETIMES = {"confirm": 7 * 24 * 3600, "signin": 15 * 60, "email_change": 24 * 3600}
# Link mails (confirm and sign-in) per address per hour, counted across signup and login:
# enough for a person retrying, too few to turn the store into a mail cannon.
LINK_MAILS_PER_HOUR = 5


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailAddress


class CheckYourEmail(BaseModel):
    model_config = ConfigDict(defer_build=True)

    status: str = "check_your_email"


def mint(account_id: str, purpose: str, ports) -> str:
    """A fresh link for the account; returns its URL."""
    token = new_secret_token()
    expires_at = int(ports.clock.now()) + LIFETIMES[purpose]
    ports.store.put_login_token(LoginToken(token_hash(token), account_id, purpose, expires_at))
    return f"{ports.settings.base_url}/login/{token}"


def queue_link_mail(account, purpose: str, template: str, ports) -> bool:
    """A link mail to the account's address, within the per-address hourly cap (else nothing)."""
    job = MailJob(
        job_id=new_id(),
        kind=MailKind.transactional.value,
        template=template,
        created_at=ports.clock.iso(),
        account_id=account.account_id,
        context={"login_link": purpose},
    )
    return ports.store.queue_link_mail(account.email_hash, int(ports.clock.now() // 3600), LINK_MAILS_PER_HOUR, job)


def request_sign_in(request: SignInRequest, ports) -> CheckYourEmail:
    """Only an active account gets a link; every address gets the same answer."""
    account_id = ports.store.account_id_for(email_hash(request.email, ports.settings.hash_key()))
    account = ports.store.get_account(account_id) if account_id else None
    if account is not None and account.status == AccountStatus.active:
        queue_link_mail(account, "signin", "signin_link", ports)
    return CheckYourEmail()


def check(token: str, ports) -> LoginToken:
    """Is the link usable? Reads only: mail scanners prefetch links, so a GET must not use it."""
    return ports.store.peek_login_token(token_hash(token), ports.clock.now())


def use(token: str, ports):
    """Use the link (it is gone afterwards) and return the account it signs in."""
    login = ports.store.consume_login_token(token_hash(token), ports.clock.now())
    if login.purpose == "confirm":
        return ports.store.activate_account(login.account_id)
    if login.purpose == "email_change":
        from functions.accounts import complete_email_change

        return complete_email_change(login.account_id, ports)
    account = ports.store.get_account(login.account_id)
    if account is None or account.status != AccountStatus.active:
        raise InvalidToken("This link is no longer valid.")
    return account
