"""The adversary model's rules played in the order of each finding that was confirmed by
hand, so each stays caught whatever the random search reaches: the model's own invariants
decide (P02, P04, P28)."""
from __future__ import annotations

import pytest

from tests.adversary import test_adversary_model as model
from tests.adversary.world import OWNER, STRANGER, V


@pytest.fixture
def machine(monkeypatch):
    monkeypatch.setattr(model, "note", lambda text: None)  # hypothesis's notes exist only inside its runs
    model.INVARIANT_CHECKS.clear()
    run = model.AdversaryModel()
    yield run
    run.teardown()


def test_p04_p28_the_former_holder_of_an_address_cannot_use_its_old_sign_in_link(machine):
    """Finding 1: a sign-in link mailed to the old address still signed in after the owner
    moved the account; whoever holds the old mailbox got the account."""
    machine.owner_starts(with_account=True, promotions=False)
    machine.request_sign_in(actor=OWNER, address=V)  # a sign-in link waits in V's mailbox
    machine.owner_moves_account()  # the address change, then its link
    machine.recycle_address()  # V's provider gives the address to the stranger
    machine.use_login_link(actor=STRANGER, pick=0, name=None, newsletter=False, promotions=False)
    assert model.INVARIANT_CHECKS["p04_p28_sessions_only_for_the_address_holder"] >= 5


def test_p02_a_strangers_signup_decides_neither_the_owners_name_nor_consent(machine):
    """Finding 4: the stranger signed the owner's address up with a name and promotions on;
    the owner's own signup only queued a "signup again"; the owner's confirm link activated
    the stranger's choices."""
    machine.sign_up(actor=STRANGER, address=V, name=0, promotions=True)
    machine.sign_up(actor=OWNER, address=V, name=0, promotions=False)
    machine.use_login_link(actor=OWNER, pick=0, name=None, newsletter=False, promotions=False)
    machine.send_campaign(topic="promotions")
    assert model.INVARIANT_CHECKS["p02_topics_on_only_by_the_holders_own_action"] >= 4
