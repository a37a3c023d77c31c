"""Fixtures the use-case tests share: a fixed clock, a recording mailer, and the fake ports
built over them (tests/fakes.py)."""
from __future__ import annotations

import pytest

from shared.clock import FixedClock
from tests.fakes import RecordingMailer, fake_ports


@pytest.fixture
def clock():
    return FixedClock(1_800_000_000)


@pytest.fixture
def mailer():
    return RecordingMailer()


@pytest.fixture
def ports(clock, mailer):
    return fake_ports(clock, mailer=mailer)
