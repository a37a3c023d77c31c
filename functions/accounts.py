"""My Account (P04, P28): read and change the profile, preferences, deactivation, export."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictBool

from functions.consent import change_topics
from functions.validation import EmailAddress, PersonName
from shared.errors import InvalidInput, NotFound
from shared.ids import mailbox_key, normalize_email
from shared.models import ALL_TOPICS
from shared.ports import Ports
from shared.store.accounts import ALREADY_DEACTIVATED, Account
from shared.store.table import ConditionFailed, ItemNotFound, Transaction


class Topics(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

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


def preferences_of(account_id: str, ports: Ports) -> PreferencesBody:
    stored = ports.accounts.preferences(account_id)
    topics = {t: bool(stored and stored.topics.get(t)) for t in ALL_TOPICS}
    return PreferencesBody(topics=Topics(**topics))


def view(account: Account, ports: Ports) -> AccountView:
    return AccountView(
        account_id=account.account_id,
        email=account.email,
        name=account.name,
        status=account.status,
        policy_version=account.policy_version,
        preferences=preferences_of(account.account_id, ports),
    )


def set_preferences(account: Account, body: PreferencesBody, source: str, ports: Ports) -> PreferencesBody:
    """Switch topics on or off with a consent event; audiences follow in the same write."""
    change_topics(account.account_id, body.topics.model_dump(), source, ports,
                  join_audiences=account.status == "active")
    return preferences_of(account.account_id, ports)


def update_profile(account: Account, update: ProfileUpdate, ports: Ports) -> ProfileUpdated:
    """A new name applies at once; a new address only once the link sent to it is used (P04).

    An address that already has an account gets nothing, and the answer is the same, so
    the form reveals no other customer."""
    if update.name is None and update.email is None:
        raise InvalidInput("Nothing to change: give a name or an email.", code="validation_error")
    if update.name is not None and update.name != account.name:
        try:
            ports.accounts.update_name(account.account_id, update.name)
        except ItemNotFound:
            raise NotFound("No such account.") from None
        account.name = update.name
    pending = None
    if update.email is not None and normalize_email(update.email) != normalize_email(account.email):
        from functions import email_change  # with referrals behind it: not for every account page's cold start

        pending = "check_your_email"
        email_change.request_change(account, update.email, ports)
    return ProfileUpdated(account=view(account, ports), email_change=pending)


def deactivate(account: Account, ports: Ports) -> bool:
    """P28: no more mail or sign-in, out of every audience and index, every session ended;
    the data stays for disputes. False when it already was deactivated."""
    tx = Transaction()
    ports.accounts.add_deactivation(tx, account.account_id, ports.clock.iso(), ALL_TOPICS)
    try:
        ports.table.commit(tx)
        done = True
    except ConditionFailed as failed:
        if ALREADY_DEACTIVATED not in failed.tags:
            raise
        if failed.old[ALREADY_DEACTIVATED] is None:
            raise NotFound("No such account.") from None
        done = False
    ports.sign_in.delete_sessions_of(account.account_id)
    return done


def export(account: Account, ports: Ports) -> dict[str, Any]:
    """Everything held about the caller (P04), by the kinds `shared.data_kinds` classifies:
    each kind about a person is listed under its section, or named with its retention where
    its items cannot be found by person; `data_held` names every kind with how long it is
    kept. ops_dispute_lookup shows the same (P28)."""
    from functions import contests
    from functions.referrals import referrals_of
    from shared import data_kinds

    now, account_id, email_hash = ports.clock.now(), account.account_id, account.email_hash
    orders = sorted(ports.commerce.orders_of(account_id), key=lambda o: (o.created_at, o.order_id), reverse=True)
    session_ids = list(dict.fromkeys(s for o in orders for s in (*o.earlier_session_ids, o.session_id, o.paid_session_id)
                                     if s))
    # A second payment is made through one of its order's own sessions: read by their keys,
    # never through the operators' list of every exception.
    exceptions = [asdict(e) for e in map(ports.commerce.payment_exception, session_ids) if e]
    change = ports.sign_in.email_change(account_id, now)
    suppressed = ports.outbox.suppression(email_hash, now)
    return {
        "profile": {"account_id": account_id, "email": account.email, "email_hash": email_hash, "name": account.name,
                    "status": account.status, "created_at": account.created_at, "policy_version": account.policy_version},
        "preferences": preferences_of(account_id, ports).model_dump(),
        "consent_history": ports.accounts.consent_history(account_id),
        "audiences": [t for t in ALL_TOPICS if ports.accounts.in_audience(t, account_id)],
        "sessions": [{"started_at": s.created_at, "expires_at": ports.clock.iso(s.expires_at)}
                     for s in ports.sign_in.sessions_of(account_id, now)],
        "pending_email_change": {"new_email": change.new_email, "expires_at": ports.clock.iso(change.expires_at)}
        if change else None,
        "suppression": {"reason": suppressed} if suppressed else None,
        "forgotten_as_friend": any(ports.outbox.is_forgotten(h) for h in (email_hash, mailbox_key(
            account.email, ports.settings.hash_key()))),
        "orders": [asdict(o) for o in orders],
        "checkout_sessions": [asdict(s) for s in map(ports.commerce.checkout_session, session_ids) if s],
        "payment_exceptions": exceptions,
        # Each PIN item allocated to an order says so; the PIN itself is on the order's page.
        "pins": [{"sku": sku, "pin_id": pin, "status": "allocated", "order_id": o.order_id}
                 for o in orders for sku, pin in o.pins],
        # The caller's own referrals: status and dates, never the friend's address (P08).
        "referrals": referrals_of(account, ports).model_dump(mode="json")["referrals"],
        "contest_entries": contests.entries_of(email_hash, ports),
        "contact_questions": [{"question_id": q.question_id, "email": q.email, "message": q.message,
                               "asked_at": q.created_at, "kept_until": ports.clock.iso(q.expires_at)}
                              for q in ports.questions.questions_of(email_hash, now)],
        "data_held": [{"kind": k.name, "holds": k.holds, "kept": k.kept, "deleted": k.deleted,
                       "shown": data_kinds.shown_in(k)} for k in data_kinds.ABOUT_A_PERSON],
    }
