"""Sign-in by link: a request mails one to an active account; using one confirms a pending
address or signs in."""
from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, StrictBool, StringConstraints

import random
import time
from dataclasses import dataclass

from functions import email_change, referrals
from functions.one_time_links import EXPIRED_OR_USED, CheckYourEmail, add_unproven_mail_count, link_mail, peek
from functions.validation import EmailAddress
from shared.errors import Conflict, InvalidToken
from shared.ids import address_hash, mailbox_key, new_id
from shared.models import ALL_TOPICS, AccountStatus, Topic
from shared.ports import Ports
from shared.store.accounts import LINKS_RETIRED, NOT_PENDING, Account, ConsentEvent
from shared.store.sign_in import TOKEN_SPENT, LoginToken
from shared.store.table import ConditionFailed, Transaction, TransactionConflict

CONFLICT_RETRIES = 3

NO_LONGER_VALID = "This link is no longer valid."


class ConfirmChoice(BaseModel):
    """What the person holding a confirm link chose on its page (GET /login/{token}) before
    pressing Continue: the name to be greeted by (optional) and each promotional topic.

    The boxes start unticked, and nothing typed at signup is shown or applied: the signup
    that minted the link may be a stranger's, and a box ticked for someone is not their
    choice. So consent (P02) is only ever what the address's holder ticks here, or later
    in Email Preferences; the ledger records it with its source and time."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: Optional[Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]] = None
    topics: dict[Topic, StrictBool] = {}


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailAddress


def request_sign_in(request: SignInRequest, ports: Ports, return_to: str | None = None) -> CheckYourEmail:
    """Only an active account gets a link, within its mailbox's hourly cap. Every address
    gets the same answer and the same two calls: the address's lookup, then one transaction
    that checks the account it names is active (a random id for an address with none, so the
    check fails there too), counts the mail and queues it; a failed check drops the mail.
    `return_to`: the page the sign-in goes back to, already checked by the edge."""
    key = ports.settings.hash_key()
    account_id = ports.accounts.account_id_for(address_hash(request.email, key)) or new_id()
    tx = Transaction()
    ports.accounts.add_active_check(tx, account_id)
    add_unproven_mail_count(tx, mailbox_key(request.email, key), ports)
    ports.outbox.add_job(tx, link_mail(account_id, "signin", "signin_link", ports, return_to=return_to))
    try:
        ports.table.commit(tx)
    except ConditionFailed:  # no active account, or over the cap: nothing, silently
        pass
    return CheckYourEmail()


@dataclass(frozen=True)
class UsedLink:
    account: Account
    purpose: str
    return_to: str | None = None

    @property
    def starts_session(self) -> bool:
        """An address-change link confirms an address; it never signs anyone in."""
        return self.purpose != "email_change"


def use(token: str, ports: Ports, choice: ConfirmChoice | None = None, session: str | None = None) -> UsedLink:
    """Use the link (it is gone afterwards) with the change it makes, in one transaction.
    `choice`: what the holder of a confirm link chose on its page (nothing ticked if None);
    `session`: the token hash of the session the request came with, which an address change
    keeps while it ends the account's others."""
    login = peek(token, ports)
    for attempt in range(CONFLICT_RETRIES):
        try:
            return UsedLink(_use(login, ports, choice or ConfirmChoice(), session), login.purpose, login.return_to)
        except TransactionConflict:  # another request touched the account at that moment: nothing written
            time.sleep(random.uniform(0, 0.05 * 2 ** attempt))
    raise Conflict("Your link is still good: please press Continue again.", code="try_again")


def _use(login: LoginToken, ports: Ports, choice: ConfirmChoice, session: str | None) -> Account:
    """A link works only for the account as it was when the link was minted: the same link
    generation (no address change or closing since) and the state its purpose needs."""
    if login.purpose == "email_change":
        return email_change.complete(login, ports, keep_session=session)
    account = ports.accounts.get(login.account_id)
    if account is None or account.link_generation != login.generation:
        raise InvalidToken(EXPIRED_OR_USED)  # mailed to an address the account has left, or before it closed
    if account.status == AccountStatus.deactivated:
        raise InvalidToken(NO_LONGER_VALID)  # a link never revives a closed account
    tx = Transaction()
    ports.sign_in.add_token_use(tx, login.token_hash, ports.clock.now())
    if login.purpose == "confirm" and account.status == AccountStatus.pending:
        _add_confirmation(tx, account, login.generation, choice, ports)
    elif login.purpose == "signin" and account.status == AccountStatus.active:
        ports.accounts.add_sign_in_check(tx, account.account_id, login.generation)
    else:  # a confirm link on a confirmed account, a sign-in link on a pending one
        raise InvalidToken(EXPIRED_OR_USED)
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if TOKEN_SPENT in failed.tags:
            raise InvalidToken(EXPIRED_OR_USED) from None
        if {NOT_PENDING, LINKS_RETIRED, referrals.CONVERTED_MEANWHILE} & set(failed.tags):
            return _use(login, ports, choice, session)  # changed meanwhile: read again and decide again
        raise
    if login.purpose == "confirm":
        account.status, account.name = AccountStatus.active.value, choice.name or account.name
    return account


def _add_confirmation(tx: Transaction, account: Account, generation: int, choice: ConfirmChoice,
                      ports: Ports) -> None:
    """pending → active with the name and topics the holder of the link chose, recorded in
    the consent ledger as the confirm page's (P02); an invited friend who joins (P08)."""
    topics = {topic: bool(choice.topics.get(Topic(topic))) for topic in ALL_TOPICS}
    consent = ConsentEvent(account_id=account.account_id, at=ports.clock.iso(), event_id=new_id(),
                           source="confirm_page", topics=topics)
    ports.accounts.add_activation(tx, account.account_id, [t for t, on in topics.items() if on], generation,
                                  name=choice.name or None, consent=consent)
    referrals.add_conversion(tx, account.email, ports)
