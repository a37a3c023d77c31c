"""Signup's decisions on the fake ports: one welcome, then only the mail the address's
state allows (P11). Which mail a known address gets is decided when the sender sends it,
from the account's state then, so these tests check what the sender sent."""
from __future__ import annotations

import pytest

from functions import accounts as my_account
from functions.mail_outbox import sweep
from functions.mail_handlers import MAIL_HANDLERS
from functions.one_time_links import LIFETIMES, UNPROVEN_MAILS_PER_HOUR, mint
from functions.sign_in_links import use
from functions.signup import SignupRequest, sign_up
from shared.clock import FixedClock
from shared.ids import address_hash, token_hash
from shared.mail.render import SUBJECTS
from shared.mail.ses import OutgoingMail
from shared.ports import Ports
from shared.store.accounts import Account, ConsentEvent, Preferences
from shared.store.mail import MailJob
from shared.store.table import Transaction
from tests.fakes import RecordingMailer, fake_ports

ADDRESS = "New.Person@Example.org"


def run(ports: Ports, name: str = "New Person") -> None:
    answer = sign_up(SignupRequest(email=ADDRESS, name=name, promotions=True), ports)
    assert answer.status == "check_your_email"


def unsent_jobs(ports: Ports) -> list[MailJob]:
    """Oldest first (the outbox keeps them in shards, in no global order)."""
    jobs = [ports.outbox.job(job_id) for job_id in ports.outbox.unsent_job_ids(limit=1000)]
    return sorted((job for job in jobs if job is not None), key=lambda job: job.created_at)


def account_at(address: str, ports: Ports) -> Account | None:
    account_id = ports.accounts.account_id_for(address_hash(address, ports.settings.hash_key()))
    return ports.accounts.get(account_id) if account_id else None


def existing(status: str, ports: Ports) -> Account:
    """An account under ADDRESS in the given state, written as signup writes one."""
    account = Account("acc", "new.person@example.org", address_hash(ADDRESS, ports.settings.hash_key()), "X", status,
                      "2026-01-01", 1)
    topics = {"newsletter": True, "promotions": True}
    tx = Transaction()
    ports.accounts.add_new(tx, account, Preferences("acc", topics, "2026-01-01"),
                           ConsentEvent("acc", "2026-01-01", "ev", "signup", topics))
    ports.table.commit(tx)
    return account


def link_of(mail: OutgoingMail, ports: Ports) -> tuple[str, str, int]:
    """The account, purpose and lifetime of the one-time link a mail carries, as stored."""
    [url] = {word for word in mail.text.split() if "/login/" in word}
    login = ports.sign_in.login_token(token_hash(url.rsplit("/login/", 1)[1]), ports.clock.now())
    assert login is not None, "the mail's link does not work"
    return login.account_id, login.purpose, login.expires_at - int(ports.clock.now())


def test_p11_a_new_address_gets_a_pending_account_and_one_welcome_job() -> None:
    ports = fake_ports()
    run(ports)
    account = account_at(ADDRESS, ports)
    assert account is not None
    assert account.status == "pending"
    assert account.email == "New.Person@example.org"
    preferences = ports.accounts.preferences(account.account_id)
    # P02: promotions=True at signup turns nothing on; the confirm page's choice does
    assert preferences is not None and preferences.topics == {"newsletter": False, "promotions": False}
    assert account.name == ""  # the typed name is not kept: the signup may be a stranger's
    assert [event["source"] for event in ports.accounts.consent_history(account.account_id)] == ["signup"]
    [welcome] = unsent_jobs(ports)
    assert (welcome.kind, welcome.template) == ("transactional", "welcome")
    assert welcome.account_id == account.account_id
    assert welcome.context == {"login_link": "confirm"}
    assert welcome.to_address is None
    assert "new.person" not in str(welcome).lower()  # the job holds no address


@pytest.mark.parametrize("status, template, purpose",
                         [("pending", "confirm_link", "confirm"), ("active", "signin_link", "signin"),
                          ("deactivated", None, None)])
def test_p11_a_known_address_never_gets_a_second_welcome(status: str, template: str | None,
                                                         purpose: str | None) -> None:
    mailer = RecordingMailer()
    ports = fake_ports(mailer=mailer)
    holder = existing(status, ports)
    run(ports)
    [job] = unsent_jobs(ports)  # one job, whatever the state: the request cannot tell them apart
    assert job.account_id == holder.account_id and job.template != "welcome"
    assert job.to_address is None and "new person" not in str(job).lower()  # no address, nothing typed
    assert account_at(ADDRESS, ports) == holder  # no second account, the holder unchanged
    outcomes = sweep(ports, MAIL_HANDLERS)
    if template is None:
        assert mailer.sent == []
        assert outcomes == {"skipped:account_deactivated": 1}
        skipped = ports.outbox.job(job.job_id)
        assert skipped is not None and (skipped.status, skipped.detail) == ("skipped", "account_deactivated")
        return
    assert purpose is not None
    [mail] = mailer.sent
    assert (mail.to, mail.kind, mail.subject) == ("new.person@example.org", "transactional", SUBJECTS[template])
    assert link_of(mail, ports) == (holder.account_id, purpose, LIFETIMES[purpose])


def test_p11_the_mail_a_known_address_gets_follows_its_state_when_it_is_sent() -> None:
    """Queued while pending, confirmed before the sender ran: a sign-in link, not a second
    confirm link. Queued while active, deactivated before the sender ran: nothing."""
    mailer = RecordingMailer()
    ports = fake_ports(mailer=mailer)
    holder = existing("pending", ports)
    run(ports)
    use(mint(holder.account_id, "confirm", ports).rsplit("/login/", 1)[1], ports)
    assert sweep(ports, MAIL_HANDLERS) == {"sent": 1}
    [mail] = mailer.sent
    assert mail.subject == SUBJECTS["signin_link"]
    assert link_of(mail, ports) == (holder.account_id, "signin", LIFETIMES["signin"])
    run(ports)
    active = ports.accounts.get(holder.account_id)
    assert active is not None and my_account.deactivate(active, ports)
    assert sweep(ports, MAIL_HANDLERS) == {"skipped:account_deactivated": 1}
    assert len(mailer.sent) == 1


def test_p11_signing_up_again_sends_the_confirm_link_again_never_a_welcome() -> None:
    clock = FixedClock(1_800_000_000)
    mailer = RecordingMailer()
    ports = fake_ports(clock, mailer=mailer)
    run(ports)
    account = account_at(ADDRESS, ports)
    assert account is not None
    clock.advance(60)
    run(ports, name="Another Name at bad.example")
    assert sweep(ports, MAIL_HANDLERS) == {"sent": 2}
    welcome, again = sorted(mailer.sent, key=lambda mail: mail.subject != SUBJECTS["welcome"])
    assert [welcome.subject, again.subject] == [SUBJECTS["welcome"], SUBJECTS["confirm_link"]]
    for mail in (welcome, again):  # the address is not proven: no text either signup typed
        assert link_of(mail, ports) == (account.account_id, "confirm", LIFETIMES["confirm"])
        assert "New Person" not in mail.text + mail.html and "bad.example" not in mail.text + mail.html
    assert account_at(ADDRESS, ports) == account  # the first signup's name stays; nothing else changed


def test_link_mails_to_one_address_stop_at_the_hourly_cap() -> None:
    mailer = RecordingMailer()
    ports = fake_ports(mailer=mailer)
    for _ in range(UNPROVEN_MAILS_PER_HOUR + 2):
        run(ports)
    assert len(unsent_jobs(ports)) == UNPROVEN_MAILS_PER_HOUR
    sweep(ports, MAIL_HANDLERS)
    subjects = [mail.subject for mail in mailer.sent]
    assert len(subjects) == UNPROVEN_MAILS_PER_HOUR and subjects.count(SUBJECTS["welcome"]) == 1
