"""Sign-in by link: a request mails one to an active account; using one confirms a pending
address or signs in."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from functions import email_change
from functions.one_time_links import CheckYourEmail, consume, queue_link_mail
from functions.validation import EmailAddress
from shared.errors import InvalidToken
from shared.ids import email_hash
from shared.models import AccountStatus
from shared.ports import Ports
from shared.store.accounts import NOT_PENDING, Account
from shared.store.table import ConditionFailed, Transaction

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


def use(token: str, ports: Ports) -> Account:
    """Use the link (it is gone afterwards) and return the account it signs in."""
    login = consume(token, ports)
    if login.purpose == "email_change":
        return email_change.complete(login.account_id, ports)
    account = ports.accounts.get(login.account_id)
    if account is None or account.status == AccountStatus.deactivated:
        raise InvalidToken(NO_LONGER_VALID)  # a link never revives a closed account
    if login.purpose == "confirm" and account.status == AccountStatus.pending:
        return _activate(account, ports)
    if account.status != AccountStatus.active:
        raise InvalidToken(NO_LONGER_VALID)
    return account


def _activate(account: Account, ports: Ports) -> Account:
    """pending → active, joining the audiences of the topics already switched on."""
    preferences = ports.accounts.preferences(account.account_id)
    tx = Transaction()
    ports.accounts.add_activation(tx, account.account_id,
                                  [t for t, on in (preferences.topics if preferences else {}).items() if on])
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if NOT_PENDING not in failed.tags:
            raise
        return ports.accounts.get(account.account_id) or account  # confirmed meanwhile by another click
    account.status = AccountStatus.active.value
    return account
