"""Signup's decisions, with a recording fake store: one welcome, then only the mail the
address's state allows (P11)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from functions.signup import LINK_MAILS_PER_HOUR, SignupRequest, sign_up
from shared.clock import FixedClock
from shared.ports import Ports
from shared.store import AddressTaken
from shared.store.entities import Account


@dataclass
class FakeSettings:
    base_url: str = "http://store.test"

    def hash_key(self) -> bytes:
        return b"unit-test-key"


@dataclass
class FakeStore:
    existing: Account | None = None
    created: list = field(default_factory=list)
    link_mails: list = field(default_factory=list)

    def create_account(self, account, preferences, consent, welcome, link_mail_hour, link_mail_cap):
        if self.existing:
            raise AddressTaken(self.existing.account_id)
        self.created.append((account, preferences, consent, welcome))

    def get_account(self, account_id):
        return self.existing

    def queue_link_mail(self, email_hash, hour, cap, job):
        assert cap == LINK_MAILS_PER_HOUR
        self.link_mails.append(job)
        return True


def run(store) -> FakeStore:
    ports = Ports(settings=FakeSettings(), store=store, mailer=None, clock=FixedClock(1_800_000_000))
    answer = sign_up(SignupRequest(email="New.Person@Example.org", name="New Person", promotions=True), ports)
    assert answer.status == "check_your_email"
    return store


def existing(status: str) -> Account:
    return Account("acc", "x@example.org", "h", "X", status, "2026-01-01", 1)


def test_p11_a_new_address_gets_a_pending_account_and_one_welcome_job():
    store = run(FakeStore())
    [(account, preferences, consent, welcome)] = store.created
    assert account.status == "pending"
    assert account.email == "New.Person@example.org"
    assert preferences.topics == {"newsletter": True, "promotions": True}
    assert consent.source == "signup"
    assert (welcome.kind, welcome.template) == ("transactional", "welcome")
    assert welcome.context["unsubscribe_topics"] == ["newsletter", "promotions"]
    assert "New.Person" not in str(welcome)  # the job holds no address


@pytest.mark.parametrize("status, template", [("pending", "confirm_link"), ("active", "signin_link"), ("deactivated", None)])
def test_p11_a_known_address_never_gets_a_second_welcome(status, template):
    store = run(FakeStore(existing=existing(status)))
    assert [job.template for job in store.link_mails] == ([template] if template else [])
