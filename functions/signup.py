"""Signup (P11): one account per address, one welcome mail, no account enumeration.

Enumeration hides in more than the answer: a request's time follows the AWS calls it
makes. So a new and a known address go through the same three calls, in the same order:
the transaction that creates the account with its welcome (for a known address it fails
and names the account that holds the address), a read of that holder, and a transaction
that counts the link mail against the address's hourly cap, with the one mail a known
address may get. The holder is read even when it is the new account itself.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, StrictBool

from functions.one_time_links import CheckYourEmail, add_link_mail_count, add_link_mail_for
from functions.validation import EmailAddress, PersonName
from shared.ids import email_hash, new_id
from shared.models import ALL_TOPICS, AccountStatus, MailKind
from shared.ports import Ports
from shared.store.accounts import ADDRESS_TAKEN, Account, ConsentEvent, Preferences
from shared.store.mail import MailJob
from shared.store.table import ConditionFailed, Transaction

CURRENT_POLICY_VERSION = 1


class SignupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailAddress
    name: PersonName
    promotions: StrictBool


def sign_up(request: SignupRequest, ports: Ports) -> CheckYourEmail:
    """Create a pending account with its welcome mail in one transaction, or queue the one
    mail an existing address may get, within the hourly link-mail cap (over it: nothing).
    The welcome goes with its account and is counted after it: an address that has no
    account has had at most the links of an account purged or moved away this hour. The
    same calls and the same answer for a new and a known address."""
    at = ports.clock.iso()
    account = Account(new_id(), request.email, email_hash(request.email, ports.settings.hash_key()), request.name,
                      AccountStatus.pending.value, at, CURRENT_POLICY_VERSION)
    holder_id = _open(account, request.promotions, ports)
    if holder_id is None:  # no holder named (a clash of fresh account ids): nobody to mail
        return CheckYourEmail()
    holder = ports.accounts.get(holder_id)
    tx = Transaction()
    if holder_id == account.account_id:
        add_link_mail_count(tx, account.email_hash, ports)  # the welcome, which went with the account
    else:
        _add_existing_address_mail(tx, holder, account.email_hash, ports)
    try:
        ports.table.commit(tx)
    except ConditionFailed:  # over the hourly cap, or the holder was confirmed meanwhile: silently nothing
        pass
    return CheckYourEmail()


def _open(account: Account, promotions: bool, ports: Ports) -> str | None:
    """Create the pending account, with its preferences, consent event and welcome (which
    carries the confirm link), unless the address has one: the id of the account that
    holds the address now (None: unknown)."""
    topics = {topic: promotions for topic in ALL_TOPICS}
    welcome = MailJob(
        job_id=new_id(), kind=MailKind.transactional.value, template="welcome", created_at=account.created_at,
        account_id=account.account_id,
        context={"login_link": "confirm", "unsubscribe_topics": list(ALL_TOPICS), "promotions": promotions},
    )
    tx = Transaction()
    ports.accounts.add_new(tx, account, Preferences(account.account_id, topics, account.created_at),
                           ConsentEvent(account_id=account.account_id, at=account.created_at, event_id=new_id(),
                                        source="signup", topics=topics))
    ports.mail.add_job(tx, welcome)
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        return failed.old.get(ADDRESS_TAKEN) or None
    return account.account_id


def _add_existing_address_mail(tx: Transaction, holder: Account | None, address_hash: str, ports: Ports) -> None:
    """Never a second welcome: a pending address gets its confirm link again, an active one
    a sign-in link, a deactivated one nothing; each attempt counts against the cap."""
    if holder is None or holder.status == AccountStatus.deactivated:
        add_link_mail_count(tx, address_hash, ports)
    elif holder.status == AccountStatus.pending:
        add_link_mail_for(tx, holder, "confirm", "confirm_link", ports)
    else:
        add_link_mail_for(tx, holder, "signin", "signin_link", ports)
