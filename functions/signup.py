"""Signup (P11): one account per address, one welcome mail, no account enumeration."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, StrictBool

from functions.one_time_links import CheckYourEmail, add_link_mail, queue_link_mail
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
    """Create a pending account with its welcome mail in one transaction, or send the
    existing address the one mail it may get. Over the hourly link-mail cap: nothing."""
    at = ports.clock.iso()
    account_id = new_id()
    topics = {topic: request.promotions for topic in ALL_TOPICS}
    account = Account(account_id, request.email, email_hash(request.email, ports.settings.hash_key()), request.name,
                      AccountStatus.pending.value, at, CURRENT_POLICY_VERSION)
    welcome = MailJob(
        job_id=new_id(), kind=MailKind.transactional.value, template="welcome", created_at=at, account_id=account_id,
        context={"login_link": "confirm", "unsubscribe_topics": list(ALL_TOPICS), "promotions": request.promotions},
    )
    tx = Transaction()
    ports.accounts.add_new(tx, account, Preferences(account_id, topics, at),
                           ConsentEvent(account_id=account_id, at=at, event_id=new_id(), source="signup", topics=topics))
    add_link_mail(tx, account, welcome, ports)  # the welcome carries the confirm link
    try:
        ports.table.commit(tx)
    except ConditionFailed as failed:
        if ADDRESS_TAKEN in failed.tags and failed.old[ADDRESS_TAKEN]:
            _mail_existing_address(failed.old[ADDRESS_TAKEN], ports)
    return CheckYourEmail()


def _mail_existing_address(account_id: str, ports: Ports) -> None:
    """Never a second welcome: a pending address gets its confirm link again, an active one
    a sign-in link, a deactivated one nothing. Over the hourly cap: nothing, silently."""
    account = ports.accounts.get(account_id)
    if account is None or account.status == AccountStatus.deactivated:
        return
    if account.status == AccountStatus.pending:
        queue_link_mail(account, "confirm", "confirm_link", ports)
    else:
        queue_link_mail(account, "signin", "signin_link", ports)
