"""SignInRepository's contract on both tables, and the link-mail cap that guards the mail
job queued with a sign-in link (MailRepository's own contract is in test_repositories_mail.py)."""
from __future__ import annotations

from typing import Callable

import pytest

from shared.store.mail import MailJob, MailRepository
from shared.store.sign_in import (
    CHANGE_REPLACED,
    LINK_MAIL_CAP,
    TOKEN_SPENT,
    EmailChange,
    LoginToken,
    Session,
    SignInRepository,
)
from shared.store.table import ConditionFailed, Table, Transaction

Ids = Callable[[], str]
NOW = 1_800_000_000.5


@pytest.fixture
def sign_in(table: Table) -> SignInRepository:
    return SignInRepository(table)


@pytest.fixture
def mail(table: Table) -> MailRepository:
    return MailRepository(table)


# -- login tokens ---------------------------------------------------------------------------
def _spend(table: Table, sign_in: SignInRepository, token_hash: str, now: float) -> bool:
    """Use a token in a transaction of its own; False when TOKEN_SPENT failed."""
    tx = Transaction()
    sign_in.add_token_use(tx, token_hash, now)
    try:
        table.commit(tx)
    except ConditionFailed as failed:
        assert failed.tags == {TOKEN_SPENT}
        return False
    return True


def test_a_fresh_login_token_is_used_once(table: Table, sign_in: SignInRepository, uid: Ids) -> None:
    token = LoginToken(uid(), uid(), "email_change", int(NOW) + 60, ref="change-1")
    sign_in.put_login_token(token)
    assert sign_in.login_token(token.token_hash, NOW) == token  # looking does not use it
    assert _spend(table, sign_in, token.token_hash, NOW)
    assert not _spend(table, sign_in, token.token_hash, NOW)  # single use
    assert sign_in.login_token(token.token_hash, NOW) is None


def test_an_expired_login_token_is_refused_and_not_used_up(table: Table, sign_in: SignInRepository, uid: Ids) -> None:
    token = LoginToken(uid(), uid(), "signin", int(NOW))  # expires at this very second
    sign_in.put_login_token(token)
    assert sign_in.login_token(token.token_hash, NOW) is None
    assert not _spend(table, sign_in, token.token_hash, NOW)
    assert _spend(table, sign_in, token.token_hash, NOW - 1)  # it was still there, unexpired then


def test_an_unknown_login_token_is_refused(table: Table, sign_in: SignInRepository, uid: Ids) -> None:
    assert not _spend(table, sign_in, uid(), NOW)
    assert sign_in.login_token(uid(), NOW) is None


def test_a_token_spent_in_a_transaction_that_fails_stays_usable(table: Table, sign_in: SignInRepository,
                                                                 uid: Ids) -> None:
    from shared.store.expressions import ITEM_EXISTS
    from shared.store.table import Check

    token = LoginToken(uid(), uid(), "confirm", int(NOW) + 60)
    sign_in.put_login_token(token)
    tx = Transaction()
    sign_in.add_token_use(tx, token.token_hash, NOW)
    tx.add(Check({"pk": f"NOTHING#{uid()}", "sk": "X"}, ITEM_EXISTS, tag="other"))
    with pytest.raises(ConditionFailed):
        table.commit(tx)
    assert sign_in.login_token(token.token_hash, NOW) == token


def test_a_change_is_done_only_by_the_request_that_made_it(table: Table, sign_in: SignInRepository, uid: Ids) -> None:
    account_id = uid()
    for change_id in ("first", "second"):
        tx = Transaction()
        sign_in.add_email_change(tx, EmailChange(account_id, f"{change_id}@example.org", f"h-{change_id}",
                                                 int(NOW) + 60, change_id))
        table.commit(tx)
    tx = Transaction()
    sign_in.add_email_change_done(tx, account_id, "first")
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == {CHANGE_REPLACED}
    tx = Transaction()
    sign_in.add_email_change_done(tx, account_id, "second")
    table.commit(tx)
    assert sign_in.email_change(account_id, NOW) is None


def test_a_login_token_hash_too_long_for_a_key_finds_nothing(sign_in: SignInRepository) -> None:
    assert sign_in.login_token("x" * 3000, NOW) is None


# -- link-mail counter ----------------------------------------------------------------------
def test_add_link_mail_count_counts_up_to_the_cap_then_fails_and_writes_nothing(
        table: Table, sign_in: SignInRepository, mail: MailRepository, uid: Ids) -> None:
    email_hash, hour, cap = uid(), int(NOW // 3600), 3
    for n in range(cap):
        tx = Transaction()
        sign_in.add_link_mail_count(tx, email_hash, hour, cap)
        job = MailJob(uid(), "transactional", "signin_link", "2027-01-01", account_id="a")
        mail.add_job(tx, job)
        table.commit(tx)
        assert mail.job(job.job_id) == job  # the job lands with the count
        counter = table.get({"pk": f"LINKMAIL#{email_hash}", "sk": f"HOUR#{hour}"})
        assert counter is not None and counter["sent"] == n + 1
        assert counter["expires_at"] == (hour + 2) * 3600
    refused_job = MailJob(uid(), "transactional", "signin_link", "2027-01-01", account_id="a")
    tx = Transaction()
    sign_in.add_link_mail_count(tx, email_hash, hour, cap)
    mail.add_job(tx, refused_job)
    with pytest.raises(ConditionFailed) as failed:
        table.commit(tx)
    assert failed.value.tags == frozenset({LINK_MAIL_CAP})
    assert mail.job(refused_job.job_id) is None
    counter = table.get({"pk": f"LINKMAIL#{email_hash}", "sk": f"HOUR#{hour}"})
    assert counter is not None and counter["sent"] == cap
    tx = Transaction()
    sign_in.add_link_mail_count(tx, email_hash, hour + 1, cap)  # a new hour counts afresh
    table.commit(tx)


# -- sessions -------------------------------------------------------------------------------
def test_a_session_is_found_until_it_expires_and_until_deleted(sign_in: SignInRepository, uid: Ids) -> None:
    session = Session(uid(), uid(), "2027-01-01T00:00:00.000+00:00", int(NOW) + 10)
    sign_in.put_session(session)
    assert sign_in.session(session.token_hash, NOW) == session
    assert sign_in.session(session.token_hash, NOW + 10) is None
    sign_in.delete_session(session.token_hash)
    assert sign_in.session(session.token_hash, NOW) is None
    sign_in.delete_session(session.token_hash)  # deleting again is fine


def test_delete_sessions_of_ends_every_session_of_one_account_only(sign_in: SignInRepository, uid: Ids) -> None:
    account_id, other = uid(), uid()
    mine = [Session(uid(), account_id, f"2027-01-0{n}T00:00:00.000+00:00", int(NOW) + 60) for n in (1, 2, 2)]
    theirs = Session(uid(), other, "2027-01-01T00:00:00.000+00:00", int(NOW) + 60)
    for session in [*mine, theirs]:
        sign_in.put_session(session)
    assert sign_in.delete_sessions_of(account_id) == 3
    assert all(sign_in.session(s.token_hash, NOW) is None for s in mine)
    assert sign_in.session(theirs.token_hash, NOW) == theirs
    assert sign_in.delete_sessions_of(account_id) == 0


# -- address changes ------------------------------------------------------------------------
def test_p04_an_email_change_is_found_until_it_expires_and_until_done(
        table: Table, sign_in: SignInRepository, uid: Ids) -> None:
    change = EmailChange(uid(), "new@example.org", uid(), int(NOW) + 100, uid())
    tx = Transaction()
    sign_in.add_email_change(tx, change)
    table.commit(tx)
    assert sign_in.email_change(change.account_id, NOW) == change
    assert sign_in.email_change(change.account_id, NOW + 100) is None
    tx = Transaction()
    sign_in.add_email_change_done(tx, change.account_id, change.change_id)
    table.commit(tx)
    assert sign_in.email_change(change.account_id, NOW) is None
