"""The composition root: one read-only Ports per process, every repository and adapter built
on first use, each typed with its concrete class."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_building_the_ports_imports_no_boto3_stripe_or_jinja2():
    """A cold request pays for an adapter's library only when it uses the adapter."""
    probe = (
        "import json, sys; from shared.ports import process_ports; made = process_ports(); "
        "heavy = sorted(m for m in ('boto3', 'botocore', 'stripe', 'jinja2') if m in sys.modules); "
        "print(json.dumps({'heavy': heavy, 'processor': type(made.processor).__name__}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    answer = json.loads(result.stdout)
    assert answer == {"heavy": [], "processor": "SandboxProcessor"}


def test_ports_are_read_only_and_built_once_per_process():
    from shared.ports import process_ports

    first = process_ports()
    assert process_ports() is first
    with pytest.raises(AttributeError):
        first.clock = None  # type: ignore[misc]
    with pytest.raises(AttributeError):
        first.outbox = None  # type: ignore[misc]


def test_a_repository_module_loads_with_the_first_use_of_its_repository():
    """A cold signup pays for the accounts repository, not for the shop's or the surveys'."""
    probe = (
        "import json, sys; from shared.ports import process_ports; made = process_ports(); "
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith(('shared.store.', 'shared.mail.', "
        "'shared.processor', 'shared.pins')) and m not in ('shared.store.table', 'shared.store.expressions')); "
        "before = loaded(); made.accounts.account_id_for; after = loaded(); "
        "print(json.dumps({'before': before, 'after': after, 'same': made.accounts is made.accounts}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    answer = json.loads(result.stdout)
    assert answer == {"before": [], "after": ["shared.store.accounts"], "same": True}


def test_a_repository_is_its_concrete_class():
    """No stand-in: isinstance, type() and "go to definition" all see the real repository."""
    from shared.ports import Ports
    from shared.processor.sandbox import SandboxProcessor
    from shared.store.accounts import AccountRepository
    from tests.fakes import MemoryTable, fake_settings

    made = Ports(fake_settings(), MemoryTable())
    assert type(made.processor) is SandboxProcessor and type(made.accounts) is AccountRepository


def test_replace_swaps_one_part_and_keeps_what_was_built():
    from shared.clock import FixedClock
    from shared.store.mail import MailRepository
    from tests.fakes import MemoryTable, fake_ports

    ports = fake_ports()
    accounts = ports.accounts
    later = ports.replace(clock=FixedClock(2_000_000_000))
    assert later.clock.now() == 2_000_000_000 and ports.clock.now() != 2_000_000_000
    assert later.accounts is accounts and later.mailer is ports.mailer

    class Outbox(MailRepository):
        pass

    swapped = ports.replace(outbox=Outbox(ports.table))
    assert type(swapped.outbox) is Outbox and type(ports.outbox) is MailRepository

    elsewhere = ports.replace(table=MemoryTable())
    assert elsewhere.accounts is not accounts and elsewhere.mailer is ports.mailer
    with pytest.raises(TypeError, match="mail"):
        ports.replace(mail=None)
