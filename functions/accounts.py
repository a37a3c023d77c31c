"""My Account (P04, P28): read and change the profile, preferences, deactivation, export."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, StrictBool

from functions.sign_in_links import LIFETIMES
from functions.validation import EmailAddress, PersonName
from shared.errors import InvalidInput
from shared.ids import email_hash, new_id, normalize_email
from shared.models import ALL_TOPICS, MailKind
from shared.store.entities import Account, ConsentEvent, EmailChange, MailJob


class Topics(BaseModel):
    model_config = ConfigDict(extra="forbid")

    newsletter: StrictBool
    promotions: StrictBool


class PreferencesBody(BaseModel):
    """Every promotional topic, on or off. Service mail is not a topic (P05)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    topics: Topics


class AccountView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    account_id: str
    email: str
    name: str
    status: str
    policy_version: int
    preferences: PreferencesBody


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: PersonName | None = None
    email: EmailAddress | None = None


class ProfileUpdated(BaseModel):
    model_config = ConfigDict(defer_build=True)

    account: AccountView
    email_change: str | None = None  # "check_your_email" while a new address awaits its link


def preferences_of(account_id: str, ports) -> PreferencesBody:
    stored = ports.store.get_preferences(account_id)
    topics = {t: bool(stored and stored.topics.get(t)) for t in ALL_TOPICS}
    return PreferencesBody(topics=Topics(**topics))


def view(account: Account, ports) -> AccountView:
    return AccountView(
        account_id=account.account_id,
        email=account.email,
        name=account.name,
        status=account.status,
        policy_version=account.policy_version,
        preferences=preferences_of(account.account_id, ports),
    )


def set_preferences(account: Account, body: PreferencesBody, source: str, ports) -> PreferencesBody:
    """Switch topics on or off with a consent event; audiences follow in the same write."""
    changes = body.topics.model_dump()
    consent = ConsentEvent(account_id=account.account_id, at=ports.clock.iso(), event_id=new_id(),
                           source=source, topics=changes)
    ports.store.set_topics(account.account_id, changes, consent, in_audience=account.status == "active")
    return preferences_of(account.account_id, ports)


def update_profile(account: Account, update: ProfileUpdate, ports) -> ProfileUpdated:
    """A new name applies at once; a new address only once the link sent to it is used (P04).

    An address that already has an account gets nothing, and the answer is the same, so
    the form reveals no other customer."""
    if update.name is None and update.email is None:
        raise InvalidInput("Nothing to change: give a name or an email.", code="validation_error")
    if update.name is not None and update.name != account.name:
        ports.store.update_name(account.account_id, update.name)
        account.name = update.name
    pending = None
    if update.email is not None and normalize_email(update.email) != normalize_email(account.email):
        pending = "check_your_email"
        new_hash = email_hash(update.email, ports.settings.hash_key())
        if ports.store.account_id_for(new_hash) is None:
            now = int(ports.clock.now())
            confirm = MailJob(
                job_id=new_id(), kind=MailKind.transactional.value, template="email_change_confirm",
                created_at=ports.clock.iso(), account_id=account.account_id, to_address=update.email,
                context={"login_link": "email_change"},
            )
            change = EmailChange(account.account_id, update.email, new_hash, now + LIFETIMES["email_change"])
            ports.store.put_email_change(change, confirm)
    return ProfileUpdated(account=view(account, ports), email_change=pending)


def complete_email_change(account_id: str, ports) -> Account:
    """The new address's link was used: switch to it, and tell the old address."""
    old = ports.store.get_account(account_id)
    notice = MailJob(
        job_id=new_id(), kind=MailKind.transactional.value, template="email_changed_notice",
        created_at=ports.clock.iso(), account_id=account_id, to_address=old.email if old else None,
    )
    return ports.store.apply_email_change(account_id, ports.clock.now(), notice)


def deactivate(account: Account, ports) -> None:
    """P28: no more mail or sign-in, out of every audience; the data stays for disputes."""
    ports.store.deactivate_account(account.account_id, ports.clock.iso())


def export(account: Account, ports) -> dict:
    """Everything held about the caller."""
    return {
        "profile": {
            "account_id": account.account_id,
            "email": account.email,
            "name": account.name,
            "status": account.status,
            "created_at": account.created_at,
            "policy_version": account.policy_version,
        },
        "preferences": preferences_of(account.account_id, ports).model_dump(),
        "consent_history": ports.store.consent_history(account.account_id),
        "orders": [],
        "referrals": [],
    }
