"""Changing the account's address (P04): the new address gets a link, and only using it
moves the account; the old address is told."""
from __future__ import annotations

from functions import referrals
from functions.mail_compose import AccountMail
from functions.one_time_links import LIFETIMES, link_mail, link_parts
from shared.errors import InvalidToken
from shared.ids import email_hash, new_id
from shared.models import AccountStatus, MailKind
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.mail import MailJob
from shared.store.sign_in import EmailChange, LoginToken

REPLACED_OR_USED = "This link has expired, was already used, or a newer address change replaced it."
from shared.store.table import ConditionFailed, Transaction


def request_change(account: Account, new_email: str, ports: Ports) -> None:
    """Mail a confirmation link to the new address. An address that already has an account
    gets nothing, and the caller's answer is the same, so the form reveals no customer."""
    new_hash = email_hash(new_email, ports.settings.hash_key())
    if ports.accounts.account_id_for(new_hash) is not None:
        return
    # Each request replaces the one before, and its link names this request: an older link
    # (to an address the owner mistyped, say) can no longer change anything.
    change = EmailChange(account.account_id, new_email, new_hash, int(ports.clock.now()) + LIFETIMES["email_change"],
                         change_id=new_id())
    tx = Transaction()
    ports.sign_in.add_email_change(tx, change)
    confirm = link_mail(account.account_id, "email_change", "email_change_confirm", ports, to_address=new_email,
                        ref=change.change_id)
    confirm.context["to_unconfirmed"] = True  # the new address is not proven until its link is used
    ports.outbox.add_job(tx, confirm)
    ports.table.commit(tx)


def complete(login: LoginToken, ports: Ports) -> Account:
    """The new address's link was used: spend it, move the account to the address it was
    sent to and tell the old address, in one transaction. Only the link of the latest
    request does anything; it confirms the address and starts no session."""
    account_id = login.account_id
    change = ports.sign_in.email_change(account_id, ports.clock.now())
    account = ports.accounts.get(account_id)
    if change is None or account is None or account.status != AccountStatus.active or change.change_id != login.ref:
        raise InvalidToken(REPLACED_OR_USED)
    notice = MailJob(job_id=new_id(), kind=MailKind.transactional.value, template="email_changed_notice",
                     created_at=ports.clock.iso(), account_id=account_id, to_address=account.email)
    tx = Transaction()
    ports.sign_in.add_token_use(tx, login.token_hash, ports.clock.now())
    ports.accounts.add_address_change(tx, account, change.new_email, change.new_email_hash)
    ports.sign_in.add_email_change_done(tx, account_id, change.change_id)
    ports.outbox.add_job(tx, notice)
    referrals.add_conversion(tx, change.new_email_hash, ports)  # an invited friend's address, now a customer's
    try:
        ports.table.commit(tx)
    except ConditionFailed:  # the new address got an account meanwhile, or a race: nothing changed
        raise InvalidToken("This address change can no longer be completed.") from None
    account.email, account.email_hash = change.new_email, change.new_email_hash
    return account


# The new address's link (to an address not proven yet, so without the name), and the
# notice to the old address once the change is done.
MAIL = {"email_change_confirm": AccountMail(link_parts), "email_changed_notice": AccountMail()}
