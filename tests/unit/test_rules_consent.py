"""Topic changes (functions/consent.change_topics) on the fake ports: every change writes
its consent event and moves audiences with it; no change writes nothing."""
from __future__ import annotations

import pytest

from functions.consent import change_topics, stop_topics
from functions.one_time_links import mint
from functions.sign_in_links import ConfirmChoice, use
from functions.signup import SignupRequest, sign_up
from shared.clock import FixedClock
from shared.errors import NotFound
from shared.ids import address_hash
from shared.ports import Ports
from tests.fakes import fake_ports


def signed_up(ports: Ports, promotions: bool, active: bool = True) -> str:
    sign_up(SignupRequest(email="ann@example.org", name="Ann", promotions=promotions), ports)
    account_id = ports.accounts.account_id_for(address_hash("ann@example.org", ports.settings.hash_key()))
    assert account_id is not None
    if active:
        use(mint(account_id, "confirm", ports).rsplit("/", 1)[1], ports,
            choice=ConfirmChoice(topics={"newsletter": promotions, "promotions": promotions}))
    return account_id


def test_unchanged_topics_answer_false_and_write_no_consent_event() -> None:
    ports = fake_ports()
    account_id = signed_up(ports, promotions=True)
    assert change_topics(account_id, {"newsletter": True, "promotions": True}, "preferences", ports) is False
    assert len(ports.accounts.consent_history(account_id)) == 2  # only signup's and the confirm page's


def test_a_change_records_consent_and_moves_the_audience() -> None:
    clock = FixedClock(1_800_000_000)
    ports = fake_ports(clock)
    account_id = signed_up(ports, promotions=False)
    clock.advance(60)  # consent events sort by time: a later change is listed later
    assert change_topics(account_id, {"newsletter": True}, "preferences", ports, join_audiences=True) is True
    preferences = ports.accounts.preferences(account_id)
    assert preferences is not None and preferences.topics == {"newsletter": True, "promotions": False}
    assert ports.accounts.in_audience("newsletter", account_id)
    sources = [e["source"] for e in ports.accounts.consent_history(account_id)]
    assert sorted(sources[:2]) == ["confirm_page", "signup"] and sources[2:] == ["preferences"]  # the first two: one instant
    assert stop_topics(account_id, ["newsletter"], "unsubscribe", ports) is True
    assert not ports.accounts.in_audience("newsletter", account_id)
    assert stop_topics(account_id, ["newsletter"], "unsubscribe", ports) is False


def test_an_unknown_account_is_not_found() -> None:
    ports = fake_ports()
    with pytest.raises(NotFound):
        change_topics("no-such-account", {"newsletter": False}, "preferences", ports)
    assert ports.accounts.consent_history("no-such-account") == []
