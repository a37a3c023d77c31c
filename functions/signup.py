"""Signup (P11): one account per address, one welcome mail, no account enumeration."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, StrictBool

from functions.sign_in_links import LINK_MAILS_PER_HOUR, CheckYourEmail, queue_link_mail
from functions.validation import EmailAddress, PersonName
from shared.ids import email_hash, new_id
from shared.models import ALL_TOPICS, AccountStatus, MailKind
from shared.store import AddressTaken
from shared.store.entities import Account, ConsentEvent, MailJob, Preferences

CURRENT_POLICY_VERSION = 1


class SignupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    email: EmailAddress
    name: PersonName
    promotions: StrictBool


def sign_up(request: SignupRequest, ports) -> CheckYourEmail:
    """Create a pending account, or send the existing address the one mail it may get."""
    settings, store, clock = ports.settings, ports.store, ports.clock
    now, at = clock.now(), clock.iso()
    address_hash = email_hash(request.email, settings.hash_key())
    account_id = new_id()
    topics = {topic: request.promotions for topic in ALL_TOPICS}
    welcome = MailJob(
        job_id=new_id(),
        kind=MailKind.transactional.value,
        template="welcome",
        created_at=at,
        account_id=account_id,
        context={"login_link": "confirm", "unsubscribe_topics": list(ALL_TOPICS), "promotions": request.promotions},
    )
    try:
        store.create_account(
            Account(account_id, request.email, address_hash, request.name, AccountStatus.pending.value, at,
                    CURRENT_POLICY_VERSION),
            Preferences(account_id, topics, at),
            ConsentEvent(account_id=account_id, at=at, event_id=new_id(), source="signup", topics=topics),
            welcome,
            link_mail_hour=int(now // 3600),
            link_mail_cap=LINK_MAILS_PER_HOUR,
        )
    except AddressTaken as taken:
        _mail_existing_address(taken.account_id, ports)
    return CheckYourEmail()


def _mail_existing_address(account_id: str, ports) -> None:
    """Never a second welcome: a pending address gets its confirm link again, an active one
    a sign-in link, a deactivated one nothing. Over the hourly cap: nothing, silently."""
    account = ports.store.get_account(account_id)
    if account is None or account.status == AccountStatus.deactivated:
        return
    if account.status == AccountStatus.pending:
        queue_link_mail(account, "confirm", "confirm_link", ports)
    else:
        queue_link_mail(account, "signin", "signin_link", ports)
