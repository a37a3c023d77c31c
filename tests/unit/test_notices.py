"""Policy versions and notices on the fake ports (P25, P26)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from functions import mail_outbox, notices
from functions.mail_handlers import MAIL_HANDLERS
from functions.notices import PostNoticeInput, PublishPolicyInput
from shared.errors import InvalidInput
from shared.models import MailKind
from tests.unit.people import subscriber

DAY = 24 * 3600
NEW_TEXT = "# Privacy policy, version 3\n\nWe now keep access trends for a year."


def test_p25_a_material_change_is_stored_mailed_once_to_every_active_account_and_shown_at_home(ports, mailer):
    customers = [subscriber(ports, n) for n in range(3)]
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    mailer.sent.clear()
    notices.publish_policy(PublishPolicyInput(version=3, text_markdown=NEW_TEXT, material=True), ports)
    notices.publish_policy(PublishPolicyInput(version=4, text_markdown=NEW_TEXT, material=False), ports)
    assert [(v.version, v.material) for v in notices.versions(ports)] == [(1, True), (2, False), (3, True),
                                                                          (4, False)]
    assert notices.current(ports).version == 4 and "access trends" in notices.current(ports).text()
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    changed = [m for m in mailer.sent if "privacy policy has changed" in m.subject]
    assert sorted(m.to for m in changed) == sorted(c.email for c in customers)  # once each, version 4 is not material
    assert all(m.kind == MailKind.service for m in changed)
    [shown] = notices.home_notices(ports)
    assert shown.kind == "policy_change" and shown.link == "/privacy"


def test_p25_my_account_tells_a_customer_about_an_unseen_material_change_until_they_accept_it(ports, clock):
    customer = subscriber(ports, 1)
    assert notices.unseen_material_change(customer, ports) is None
    clock.advance(60)
    notices.publish_policy(PublishPolicyInput(version=3, text_markdown=NEW_TEXT, material=True), ports)
    assert notices.unseen_material_change(customer, ports).version == 3
    notices.accept(customer, 3, ports)
    assert notices.unseen_material_change(ports.accounts.get(customer.account_id), ports) is None
    assert ports.accounts.get(customer.account_id).policy_version == 3
    later = subscriber(ports, 2)  # signed up after the change: read the current version then
    assert notices.unseen_material_change(later, ports) is None


@pytest.mark.parametrize("body, field", [
    ({"version": 1, "text_markdown": NEW_TEXT, "material": True}, "version"),
    ({"version": 3, "text_markdown": "", "material": True}, "text_markdown"),
    ({"version": 3, "text_markdown": NEW_TEXT}, "material"),
])
def test_p25_a_version_not_newer_or_an_empty_text_is_refused_and_nothing_is_written(ports, body, field):
    with pytest.raises(ValidationError, match=field):
        PublishPolicyInput.model_validate(body)
    with pytest.raises(InvalidInput, match="version"):  # the shipped version 2 is there already
        notices.publish_policy(PublishPolicyInput(version=2, text_markdown=NEW_TEXT, material=True), ports)
    notices.publish_policy(PublishPolicyInput(version=3, text_markdown=NEW_TEXT, material=False), ports)
    with pytest.raises(InvalidInput, match="version"):
        notices.publish_policy(PublishPolicyInput(version=3, text_markdown=NEW_TEXT, material=True), ports)
    assert [v.version for v in notices.versions(ports)] == [1, 2, 3] and notices.home_notices(ports) == []


def test_p26_a_business_transition_is_mailed_to_every_active_account_and_shown_for_exactly_30_days(ports, clock,
                                                                                                mailer):
    customers = [subscriber(ports, n) for n in range(2)]
    posted = notices.post_notice(PostNoticeInput(kind="business_transition",
                                                 text="The store is joining Example Telecom on 1 March."), ports)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert sorted(m.to for m in mailer.sent if "important notice" in m.subject) == sorted(c.email for c in customers)
    clock.advance(30 * DAY - 1)
    assert [n.notice_id for n in notices.home_notices(ports)] == [posted["notice_id"]]  # just before 30 days
    clock.advance(1)
    assert notices.home_notices(ports) == []  # exactly 30 days on: gone, with no job having run


def test_p26_an_unknown_notice_kind_is_refused():
    with pytest.raises(ValidationError, match="kind"):
        PostNoticeInput.model_validate({"kind": "sale", "text": "Everything must go, today only."})


def test_p25_a_hidden_notice_is_left_out_for_that_browser_only(ports):
    notices.publish_policy(PublishPolicyInput(version=3, text_markdown=NEW_TEXT, material=True), ports)
    [shown] = notices.home_notices(ports)
    assert notices.home_notices(ports, hidden=frozenset({shown.notice_id})) == []
    assert notices.home_notices(ports) == [shown]


def test_p25_version_2_states_how_long_copies_last_and_is_not_material(ports, mailer):
    """Version 2 ships with the code: it says how long backups, the table stream and the
    feedback reports keep data. A change that uses nothing more is no material change: no
    mail, no notice, and nobody is asked to read it."""
    customer = subscriber(ports, 1)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    [first, second] = notices.versions(ports)
    assert (second.version, second.effective, second.material) == (2, "2026-12-06", False)
    assert "7 days" in second.text() and "24 hours" in second.text() and "4 days" in second.text()
    assert first.text() != second.text() and "Copies" not in first.text()  # version 1 stays as published
    assert notices.current(ports).version == 2 and notices.home_notices(ports) == []
    assert notices.unseen_material_change(customer, ports) is None
