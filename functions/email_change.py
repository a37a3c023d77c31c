"""Changing the account's address (P04): the new address gets a link, and only using it
moves the account; the old address is told.

A request leaves the same trace whether or not the new address has an account: the
pending change is replaced, and the account's requests this hour counted, in a write of
their own, always; the mail goes in a second transaction that checks the address is free,
counts it against the address's hourly cap on unproven mail, checks the account's count is
within its cap, and fails (dropping only the mail) otherwise. (Counting only the requests
that mailed would let a customer count their own mails to learn which addresses are taken.) So neither the answer, the calls, nor what becomes of an earlier link tells a
signed-in customer whether an address has an account.

An address that has an account gets nothing. A notice ("someone tried to move an account to
your address") would let any customer send mail to any customer at will, and its reader
could do nothing with it: the move cannot happen while the address is taken.
"""
from __future__ import annotations

from functions import referrals
from functions.mail_compose import AccountMail
from functions.one_time_links import LIFETIMES, add_unproven_mail_count, link_mail, link_parts
from shared.errors import InvalidToken
from shared.ids import address_hash, mailbox_key, new_id
from shared.models import AccountStatus, MailKind
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.mail import MailJob
from shared.store.sign_in import EmailChange, LoginToken
from shared.store.table import ConditionFailed, Transaction

REPLACED_OR_USED = "This link has expired, was already used, or a newer address change replaced it."
# Address-change requests per account per hour that may mail their link; past it the change is
# still recorded (the owner's own account), but no more mail goes out.
CHANGE_REQUESTS_PER_HOUR = 3


def request_change(account: Account, new_email: str, ports: Ports) -> None:
    """Record the change and mail its link to the new address, when it is free and within the
    caps. Each request replaces the one before, and its link names this request: an older
    link (to an address the owner mistyped, say) can no longer change anything."""
    new_hash = address_hash(new_email, ports.settings.hash_key())
    change = EmailChange(account.account_id, new_email, new_hash, int(ports.clock.now()) + LIFETIMES["email_change"],
                         change_id=new_id())
    hour = int(ports.clock.now() // 3600)
    replace = Transaction()  # the change and the account's request count, whatever the address
    ports.sign_in.add_email_change(replace, change)
    ports.sign_in.add_email_change_count(replace, account.account_id, hour)
    ports.table.commit(replace)
    confirm = link_mail(account.account_id, "email_change", "email_change_confirm", ports, to_address=new_email,
                        ref=change.change_id)
    confirm.context["to_unconfirmed"] = True  # the new address is not proven until its link is used
    tx = Transaction()
    ports.accounts.add_address_free_check(tx, new_hash)
    add_unproven_mail_count(tx, mailbox_key(new_email, ports.settings.hash_key()), ports)
    ports.sign_in.add_email_change_room_check(tx, account.account_id, hour, CHANGE_REQUESTS_PER_HOUR)
    ports.outbox.add_job(tx, confirm)
    try:
        ports.table.commit(tx)
    except ConditionFailed:  # taken, or over a cap: the change stands, its mail does not go
        pass


def complete(login: LoginToken, ports: Ports, keep_session: str | None = None) -> Account:
    """The new address's link was used: spend it, move the account to the address it was
    sent to and tell the old address, in one transaction. Only the link of the latest
    request of the account's current link generation does anything; it confirms the address
    and starts no session. Every link mailed before is retired with the move (the old
    address's holder may not be the account's owner any more), and every session but the
    one the confirming request came with ends."""
    account_id = login.account_id
    change = ports.sign_in.email_change(account_id, ports.clock.now())
    account = ports.accounts.get(account_id)
    if (change is None or account is None or account.status != AccountStatus.active
            or change.change_id != login.ref or account.link_generation != login.generation):
        raise InvalidToken(REPLACED_OR_USED)
    notice = MailJob(job_id=new_id(), kind=MailKind.transactional.value, template="email_changed_notice",
                     created_at=ports.clock.iso(), account_id=account_id, to_address=account.email)
    tx = Transaction()
    ports.sign_in.add_token_use(tx, login.token_hash, ports.clock.now())
    ports.accounts.add_address_change(tx, account, change.new_email, change.new_email_hash)
    ports.sign_in.add_email_change_done(tx, account_id, change.change_id)
    ports.outbox.add_job(tx, notice)
    referrals.add_conversion(tx, change.new_email, ports)  # an invited friend's address, now a customer's
    try:
        ports.table.commit(tx)
    except ConditionFailed:  # the new address got an account meanwhile, or a race: nothing changed
        raise InvalidToken("This address change can no longer be completed.") from None
    ports.sign_in.delete_sessions_of(account_id, keep=keep_session)
    account.email, account.email_hash = change.new_email, change.new_email_hash
    account.link_generation += 1
    return account


# The new address's link (to an address not proven yet, so without the name), and the
# notice to the old address once the change is done.
MAIL = {"email_change_confirm": AccountMail(link_parts), "email_changed_notice": AccountMail()}
