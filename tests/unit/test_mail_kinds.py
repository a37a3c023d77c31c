"""The mail-kind table the sender obeys (P05, P07, P28 are enforced by this one function)."""
from __future__ import annotations

import pytest

from shared.mail.kinds import Recipient, refusal

ACTIVE, PENDING, GONE = "active", "pending", "deactivated"


@pytest.mark.parametrize("kind, recipient, allowed", [
    ("transactional", Recipient(PENDING, None), True),
    ("transactional", Recipient(ACTIVE, "complaint"), True),
    ("transactional", Recipient(ACTIVE, "hard_bounce"), False),
    ("transactional", Recipient(ACTIVE, "repeated_soft_bounce"), False),
    ("transactional", Recipient(GONE, None), False),
    ("service", Recipient(ACTIVE, None, topic_on=False), True),
    ("service", Recipient(PENDING, None), False),
    ("service", Recipient(GONE, None), False),
    ("service", Recipient(ACTIVE, "complaint"), False),
    ("promotional", Recipient(ACTIVE, None, topic_on=True), True),
    ("promotional", Recipient(ACTIVE, None, topic_on=False), False),
    ("promotional", Recipient(PENDING, None, topic_on=True), False),
    ("promotional", Recipient(GONE, None, topic_on=True), False),
    ("promotional", Recipient(ACTIVE, "complaint", topic_on=True), False),
    ("invitation", Recipient(None, None), True),
    ("invitation", Recipient(ACTIVE, None), False),
    ("invitation", Recipient(None, None, forgotten_friend=True), False),
    ("invitation", Recipient(None, "hard_bounce"), False),
    ("contest_confirmation", Recipient(None, None), True),  # P07: a referred address asked for it by entering
    ("contest_confirmation", Recipient(ACTIVE, None), True),
    ("contest_confirmation", Recipient(GONE, None), False),
    ("contest_confirmation", Recipient(None, None, forgotten_friend=True), False),
    ("contest_confirmation", Recipient(None, "complaint"), False),
    ("contest", Recipient(None, None), True),
    ("contest", Recipient(None, "complaint"), False),
    ("contest", Recipient(GONE, None), False),  # P28: a winner whose account was closed since
    ("newsletter", Recipient(ACTIVE, None, topic_on=True), False),
])
def test_mail_kind_rules(kind, recipient, allowed):
    assert (refusal(kind, recipient) is None) is allowed


def test_p14_a_contest_entrys_confirmation_link_is_sent_first_like_other_mail_a_person_waits_for():
    from shared.store.mail import Priority, priority_of

    assert priority_of("contest_confirmation") == priority_of("transactional") == Priority.TRANSACTIONAL
    assert {priority_of(k) for k in ("invitation", "promotional", "service", "contest")} == {Priority.BULK}


# -- P28 at send time: one check of the address each mail goes to ----------------------------
def _closed(ports, n):
    from functions.accounts import deactivate
    from tests.unit.people import subscriber

    account = subscriber(ports, n)
    assert deactivate(account, ports)
    return account


def test_p28_a_contest_winner_whose_account_was_closed_gets_no_winner_mail(ports, clock, mailer):
    """The winner's mail goes to the entry's address, not to an account: the sender's check
    of the address still finds the closed account behind it."""
    from functions import contests, mail_outbox
    from functions.contests import DrawInput
    from functions.mail_handlers import MAIL_HANDLERS
    from functions.surveys import SubmissionRequest, submit
    from shared.mail.render import SUBJECTS
    from tests.unit.contest_helpers import confirm_by_mail
    from tests.unit.people import subscriber
    from tests.unit.test_surveys import define

    winner = subscriber(ports, 1)
    contest_id = define(ports, days_open=1)
    submit(contest_id, SubmissionRequest.model_validate(
        {"answers": {"destination": "Mexico"}, "email": winner.email, "consent": True}), ports)
    confirm_by_mail(ports, mailer, winner.email)
    from functions.accounts import deactivate

    assert deactivate(winner, ports)
    clock.advance(24 * 3600 + 1)
    assert contests.commit_closed_contests(ports) == 1
    contests.draw(DrawInput(survey_id=contest_id, winners=1), ports)
    outcomes = mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert [m for m in mailer.to(winner.email) if m.subject == SUBJECTS["contest_winner"]] == []
    assert outcomes.get("skipped:account_deactivated") == 1


@pytest.mark.parametrize("kind", ["transactional", "service", "promotional"])
def test_p28_mail_for_one_account_to_the_address_of_a_closed_one_is_refused(ports, mailer, kind):
    """A job that carries its own `to_address` (an address change's mails do) is checked by
    that address too, whatever account the job is for."""
    from functions import mail_outbox
    from functions.mail_handlers import MAIL_HANDLERS
    from shared.store.mail import MailJob
    from tests.unit.people import subscriber

    sender, closed = subscriber(ports, 1), _closed(ports, 2)
    job = MailJob("job-to-closed", kind, "email_changed_notice", ports.clock.iso(), account_id=sender.account_id,
                  topic="newsletter", to_address=closed.email)
    ports.outbox.add_missing_jobs([job])
    before = len(mailer.to(closed.email))
    assert mail_outbox.send_job(job.job_id, ports, MAIL_HANDLERS) == "skipped:account_deactivated"
    assert len(mailer.to(closed.email)) == before
