"""Sign-in by link: a request mails one to an active account; using one confirms a pending
address or signs in."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

import random
import time
from dataclasses import dataclass

from functions import email_change, referrals
from functions.one_time_links import EXPIRED_OR_USED, CheckYourEmail, peek, queue_link_mail
from functions.validation import EmailAddress
from shared.errors import Conflict, InvalidToken
from shared.ids import email_hash
from shared.models import AccountStatus
from shared.ports import Ports
from shared.store.accounts import NOT_PENDING, Account
from shared.store.sign_in import TOKEN_SPENT, LoginToken
from shared.store.table import ConditionFailed, Transaction, TransactionConflict

CONFLICT_RETRIES = 3

NO_LONGER_VALID = "This link is no longer valid."


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailAddress


def request_sign_in(request: SignInRequest, ports: Ports) -> CheckYourEmail:
    """Only an active account gets a link; every address gets the same answer."""
    account_id = ports.accounts.account_id_for(email_hash(request.email, ports.settings.hash_key()))
    account = ports.accounts.get(account_id) if account_id else None
    if account is not None and account.status == AccountStatus.active:
        queue_link_mail(account, "signin", "signin_link", ports)
    return CheckYourEmail()


@dataclass(frozen=True)
class UsedLink:
    account: Account
    purpose: str

    @property
    def starts_session(self) -> bool:
        """An address-change link confirms an address; it never signs anyone in."""
        return self.purpose != "email_change"


def use(token: str, ports: Ports) -> UsedLink:
    """Use the link (it is gone afterwards) with the change it makes, in one transaction."""
    login = peek(token, ports)
    for attempt in range(CONFLICT_RETRIES):
        try:
            return UsedLink(_use(login, ports), login.purpose)
        except TransactionConflict:  # another request touched the account at that moment: nothing written
            time.sleep(random.uniform(0, 0.05 * 2 ** attempt))
    raise Conflict("Your link is still good: please press Continue again.", code="try_again")


def _use(login: LoginToken, ports: Ports) -> Account:
    if login.purpose == "email_change":
        return email_change.complete(login, ports)
    account = ports.accounts.get(login.account_id)
    if account is None or account.status == AccountStatus.deactivated:
        raise InvalidToken(NO_LONGER_VALID)  # a link never revives a closed account
    tx = Transaction()
    ports.sign_in.add_token_use(tx, login.token_hash, ports.clock.now())
    if login.purpose == "confirm" and account.status == AccountStatus.pending:
        preferences = ports.accounts.preferences(account.account_id)
        ports.accounts.add_activation(tx, account.account_id,
                                      [t for t, on in (preferences.topics if preferences else {}).items() if on])
        referrals.add_conversion(tx, account.email_hash, ports)  # an invited friend who joins (P08)
    elif account.status != AccountStatus.active:
        raise InvalidToken(NO_LONGER_VALID)
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if TOKEN_SPENT in failed.tags:
            raise InvalidToken(EXPIRED_OR_USED) from None
        if NOT_PENDING in failed.tags or referrals.CONVERTED_MEANWHILE in failed.tags:
            return _use(login, ports)  # confirmed or forgotten meanwhile: read again and redo
        raise
    account.status = AccountStatus.active.value
    return account
