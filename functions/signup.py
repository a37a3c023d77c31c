"""Signup (P11): one account per address, one welcome mail, no account enumeration.

Enumeration hides in more than the answer: a request's time follows the AWS calls it
makes. So a new and a known address go through the same two calls, in the same order:
the transaction that creates the account with its welcome (for a known address it fails,
and its condition failure names the account that holds the address; it also fails, creating
nothing, when the address has had its hour's share of unproven mail), then a transaction
that counts one mail against the address's hourly cap, with, for a known address, the one
mail it may get. What that mail becomes (a confirm link, a sign-in link or
nothing) is decided when it is sent, from the account's status then
(functions.one_time_links), so no read of the holder is needed here.
"""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, ConfigDict, StrictBool

from functions.mail_compose import AccountMail, MailParts, SendTimeFacts
from functions.one_time_links import (
    CheckYourEmail,
    add_unproven_mail_count,
    add_unproven_mail_room_check,
    link_parts,
    signup_again_mail,
)
from functions.validation import EmailAddress, PersonName
from shared.ids import address_hash, mailbox_key, new_id
from shared.models import ALL_TOPICS, AccountStatus, MailKind
from shared.ports import Ports
from shared.store.accounts import ADDRESS_TAKEN, Account, ConsentEvent, Preferences
from shared.store.mail import MailJob
from shared.store.table import ConditionFailed, Transaction

CURRENT_POLICY_VERSION = 1


class SignupRequest(BaseModel):
    """The contract's signup body. `name` and `promotions` are still accepted from API
    clients, checked and then dropped: the name and the topics come from the confirm page."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailAddress
    name: Optional[PersonName] = None
    promotions: StrictBool = False


def sign_up(request: SignupRequest, ports: Ports) -> CheckYourEmail:
    """Create a pending account with its welcome mail in one transaction, or queue the one
    mail an existing address may get, within the hourly cap on unproven mail (over it:
    nothing, not even the account). The same calls and the same answer for a new and a
    known address."""
    at = ports.clock.iso()
    # Neither the name nor the promotions choice typed here is kept: whoever signs up an
    # address may not hold it, so the name and consent come from the confirm page (P02).
    account = Account(new_id(), request.email, address_hash(request.email, ports.settings.hash_key()), "",
                      AccountStatus.pending.value, at, CURRENT_POLICY_VERSION)
    holder_id = _create_pending_account(account, ports)
    tx = Transaction()
    add_unproven_mail_count(tx, mailbox_key(request.email, ports.settings.hash_key()), ports)  # welcome, or another
    if holder_id is not None and holder_id != account.account_id:  # never a second welcome
        ports.outbox.add_job(tx, signup_again_mail(holder_id, ports))
    else:  # in the place of that mail, the same count of operations: the new account is there
        ports.accounts.add_exists_check(tx, account.account_id)
    try:
        ports.table.commit(tx)
    except ConditionFailed:  # over the hourly cap: silently nothing
        pass
    return CheckYourEmail()


def _create_pending_account(account: Account, ports: Ports) -> str | None:
    """Create the pending account, every topic off, with its consent event and welcome (which
    carries the confirm link), unless the address has one: the id of the account that
    holds the address now (None: unknown, after a clash of fresh account ids)."""
    topics = {topic: False for topic in ALL_TOPICS}
    welcome = MailJob(
        job_id=new_id(), kind=MailKind.transactional.value, template="welcome", created_at=account.created_at,
        account_id=account.account_id, context={"login_link": "confirm"},
    )
    tx = Transaction()
    ports.accounts.add_new(tx, account, Preferences(account.account_id, topics, account.created_at),
                           ConsentEvent(account_id=account.account_id, at=account.created_at, event_id=new_id(),
                                        source="signup", topics=topics))
    ports.outbox.add_job(tx, welcome)
    # the welcome is counted once it exists
    add_unproven_mail_room_check(tx, mailbox_key(account.email, ports.settings.hash_key()), ports)
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        return failed.old.get(ADDRESS_TAKEN) or None
    return account.account_id


WELCOME_UNSUBSCRIBE_REASON = ("You get this because you signed up. The link below stops all newsletters and offers.")


def _welcome_parts(job: MailJob, account: Account, facts: SendTimeFacts, ports: Ports) -> MailParts:
    """The welcome carries the confirm link and the link that stops every topic (P11)."""
    from functions import unsubscribe  # sending only: signup's own request path does not load it

    stop_all = unsubscribe.mail_parts(account.account_id, ALL_TOPICS, WELCOME_UNSUBSCRIBE_REASON, ports)
    return link_parts(job, account, facts, ports).add(stop_all)


MAIL = {"welcome": AccountMail(_welcome_parts)}
