"""SignInRepository's and MailRepository's contract on both tables."""
from __future__ import annotations

from typing import Callable

import pytest

from shared.store.mail import MailJob, MailRepository
from shared.store.sign_in import LINK_MAIL_CAP, EmailChange, LoginToken, Session, SignInRepository
from shared.store.table import ConditionFailed, Put, Table, Transaction

Ids = Callable[[], str]
NOW = 1_800_000_000.5


@pytest.fixture
def sign_in(table: Table) -> SignInRepository:
    return SignInRepository(table)


@pytest.fixture
def mail(table: Table) -> MailRepository:
    return MailRepository(table)


# -- login tokens ---------------------------------------------------------------------------
def test_a_fresh_login_token_is_used_once(sign_in: SignInRepository, uid: Ids) -> None:
    token = LoginToken(uid(), uid(), "confirm", int(NOW) + 60)
    sign_in.put_login_token(token)
    assert sign_in.login_token(token.token_hash, NOW) == token  # looking does not use it
    assert sign_in.use_login_token(token.token_hash, NOW) == token
    assert sign_in.use_login_token(token.token_hash, NOW) is None  # single use
    assert sign_in.login_token(token.token_hash, NOW) is None


def test_an_expired_login_token_is_refused_and_not_used_up(sign_in: SignInRepository, uid: Ids) -> None:
    token = LoginToken(uid(), uid(), "signin", int(NOW))  # expires at this very second
    sign_in.put_login_token(token)
    assert sign_in.login_token(token.token_hash, NOW) is None
    assert sign_in.use_login_token(token.token_hash, NOW) is None
    assert sign_in.use_login_token(token.token_hash, NOW - 1) == token  # it was still there, unexpired then


def test_an_unknown_login_token_is_refused(sign_in: SignInRepository, uid: Ids) -> None:
    assert sign_in.use_login_token(uid(), NOW) is None
    assert sign_in.login_token(uid(), NOW) is None


def test_a_login_token_hash_too_long_for_a_key_finds_nothing(sign_in: SignInRepository) -> None:
    assert sign_in.login_token("x" * 3000, NOW) is None


# -- link-mail counter ----------------------------------------------------------------------
def test_add_link_mail_count_counts_up_to_the_cap_then_fails_and_writes_nothing(
        table: Table, sign_in: SignInRepository, mail: MailRepository, uid: Ids) -> None:
    email_hash, hour, cap = uid(), int(NOW // 3600), 3
    for n in range(cap):
        tx = Transaction()
        sign_in.add_link_mail_count(tx, email_hash, hour, cap)
        mail.add_job(tx, MailJob(uid(), "transactional", "signin_link", "2027-01-01", account_id="a"))
        table.commit(tx)
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
    change = EmailChange(uid(), "new@example.org", uid(), int(NOW) + 100)
    tx = Transaction()
    sign_in.add_email_change(tx, change)
    table.commit(tx)
    assert sign_in.email_change(change.account_id, NOW) == change
    assert sign_in.email_change(change.account_id, NOW + 100) is None
    tx = Transaction()
    sign_in.add_email_change_done(tx, change.account_id)
    table.commit(tx)
    assert sign_in.email_change(change.account_id, NOW) is None


# -- mail jobs ------------------------------------------------------------------------------
def _job(uid: Ids, created_at: str = "2027-01-01T00:00:00.000+00:00", **values: object) -> MailJob:
    return MailJob(uid(), "transactional", "welcome", created_at, account_id=uid(), **values)  # type: ignore[arg-type]


def test_a_job_reads_back_as_written(table: Table, mail: MailRepository, uid: Ids) -> None:
    job = _job(uid, context={"login_link": "confirm", "unsubscribe_topics": ["newsletter"]}, topic="newsletter")
    tx = Transaction()
    mail.add_job(tx, job)
    table.commit(tx)
    assert mail.job(job.job_id) == job
    assert mail.job(uid()) is None


def test_claim_takes_a_pending_job_once_per_lease(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid)
    mail.put_job(job)
    claimed = mail.claim(job.job_id, NOW, 60)
    assert claimed is not None and claimed.attempts == 1 and claimed.status == "pending"
    assert mail.claim(job.job_id, NOW + 59, 60) is None  # leased
    again = mail.claim(job.job_id, NOW + 61, 60)  # the lease expired
    assert again is not None and again.attempts == 2
    stored = mail.job(job.job_id)
    assert stored is not None and stored.attempts == 2


def test_claim_refuses_a_finished_or_unknown_job_and_creates_nothing(mail: MailRepository, uid: Ids) -> None:
    job = _job(uid)
    mail.put_job(job)
    mail.finish(job.job_id, "sent", "2027-01-01T00:01:00.000+00:00")
    assert mail.claim(job.job_id, NOW, 60) is None
    unknown = uid()
    assert mail.claim(unknown, NOW, 60) is None
    assert mail.job(unknown) is None


def test_finish_takes_the_job_out_of_the_unsent_index(table: Table, mail: MailRepository, uid: Ids) -> None:
    job = _job(uid, created_at="!finish")
    mail.put_job(job)
    assert job.job_id in mail.unsent_job_ids(limit=1000)
    mail.claim(job.job_id, NOW, 60)
    mail.finish(job.job_id, "skipped", "2027-01-01T00:01:00.000+00:00", "suppressed")
    assert job.job_id not in mail.unsent_job_ids(limit=1000)
    finished = mail.job(job.job_id)
    assert finished is not None and (finished.status, finished.attempts) == ("skipped", 1)
    stored = table.get(MailJob.key(job.job_id))
    assert stored is not None
    assert (stored["detail"], stored["finished_at"]) == ("suppressed", "2027-01-01T00:01:00.000+00:00")
    assert "lease_until" not in stored and "gsi1pk" not in stored


def test_unsent_job_ids_are_oldest_first_and_limited(mail: MailRepository, uid: Ids) -> None:
    # "!" sorts before every timestamp, so these are the oldest jobs in the shared table.
    jobs = [_job(uid, created_at=f"!unsent-{n}") for n in (3, 1, 2)]
    mail.put_jobs(jobs)
    oldest = [j.job_id for j in sorted(jobs, key=lambda j: j.created_at)]
    assert mail.unsent_job_ids(limit=2) == oldest[:2]
    assert [i for i in mail.unsent_job_ids(limit=1000) if i in oldest] == oldest


def test_put_jobs_writes_more_than_one_batch(mail: MailRepository, uid: Ids) -> None:
    jobs = [_job(uid) for _ in range(30)]
    mail.put_jobs(jobs)
    assert all(mail.job(j.job_id) == j for j in jobs)


# -- suppression ----------------------------------------------------------------------------
def test_suppress_writes_the_first_reason(mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    assert mail.suppression(email_hash) is None
    assert mail.suppress(email_hash, "hard_bounce", "2027-01-01") is True
    assert mail.suppression(email_hash) == "hard_bounce"


def test_suppress_without_keep_never_overwrites(mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    mail.suppress(email_hash, "repeated_soft_bounce", "2027-01-01")
    assert mail.suppress(email_hash, "hard_bounce", "2027-01-02") is False
    assert mail.suppression(email_hash) == "repeated_soft_bounce"


def test_suppress_overwrites_a_reason_not_kept(mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    mail.suppress(email_hash, "repeated_soft_bounce", "2027-01-01")
    assert mail.suppress(email_hash, "complaint", "2027-01-02", keep=["complaint", "hard_bounce"]) is True
    assert mail.suppression(email_hash) == "complaint"


def test_suppress_keeps_a_kept_reason(mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    mail.suppress(email_hash, "complaint", "2027-01-01")
    assert mail.suppress(email_hash, "hard_bounce", "2027-01-02", keep=["complaint"]) is False
    assert mail.suppression(email_hash) == "complaint"


def test_count_soft_bounce_counts_in_a_window_that_restarts(mail: MailRepository, uid: Ids) -> None:
    email_hash, window = uid(), 100
    assert mail.count_soft_bounce(email_hash, NOW, window) == 1
    assert mail.count_soft_bounce(email_hash, NOW + 50, window) == 2
    assert mail.count_soft_bounce(email_hash, NOW + 99, window) == 3
    assert mail.count_soft_bounce(email_hash, NOW + 101, window) == 1  # the window ended: a new one
    assert mail.count_soft_bounce(email_hash, NOW + 150, window) == 2


def test_a_forgotten_address_stays_forgotten(mail: MailRepository, uid: Ids) -> None:
    email_hash = uid()
    assert mail.is_forgotten(email_hash) is False
    mail.mark_forgotten(email_hash, "2027-01-01")
    assert mail.is_forgotten(email_hash) is True
    mail.mark_forgotten(email_hash, "2027-01-02")
    assert mail.is_forgotten(email_hash) is True
    assert mail.is_forgotten(uid()) is False


def test_suppression_and_forgotten_markers_are_separate_items(table: Table, mail: MailRepository,
                                                              uid: Ids) -> None:
    email_hash = uid()
    mail.count_soft_bounce(email_hash, NOW, 100)
    assert mail.suppression(email_hash) is None  # a counter is no suppression
    table.put(Put({"pk": f"SUPPRESS#{email_hash}", "sk": "SUPPRESS", "reason": "complaint", "at": "x"}))
    assert mail.is_forgotten(email_hash) is False
