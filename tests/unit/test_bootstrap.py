"""The composition root: one frozen Ports per process, every adapter built lazily."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_building_the_ports_imports_no_boto3_stripe_or_jinja2():
    """A cold request pays for an adapter's library only when it uses the adapter."""
    probe = (
        "import json, sys; from shared.bootstrap import ports; made = ports(); "
        "print(json.dumps({'heavy': sorted(m for m in ('boto3', 'botocore', 'stripe', 'jinja2') if m in sys.modules),"
        " 'processor': made.processor.__class__.__name__}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    answer = json.loads(result.stdout)
    assert answer == {"heavy": [], "processor": "SandboxProcessor"}


def test_ports_are_frozen_and_built_once_per_process():
    from shared.bootstrap import ports

    first = ports()
    assert ports() is first
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.clock = None  # type: ignore[misc]


def test_a_repository_module_loads_with_the_first_use_of_its_repository():
    """A cold signup pays for the accounts repository, not for the shop's or the surveys'."""
    probe = (
        "import json, sys; from shared.bootstrap import ports; made = ports(); "
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith(('shared.store.', 'shared.mail.', "
        "'shared.processor', 'shared.pins')) and m not in ('shared.store.table', 'shared.store.expressions')); "
        "before = loaded(); made.accounts.account_id_for; after = loaded(); "
        "print(json.dumps({'before': before, 'after': after, 'same': made.accounts.account_id_for.__self__ is "
        "made.accounts.account_id_for.__self__}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    answer = json.loads(result.stdout)
    assert answer == {"before": [], "after": ["shared.store.accounts"], "same": True}


def test_a_port_built_on_first_use_passes_for_its_object_in_isinstance():
    """The local stage's card processor page asks whether the processor is the sandbox one."""
    from shared.bootstrap import build_ports
    from shared.processor.sandbox import SandboxProcessor
    from shared.store.accounts import AccountRepository
    from tests.fakes import MemoryTable, fake_settings

    made = build_ports(fake_settings(), table=MemoryTable())
    assert isinstance(made.processor, SandboxProcessor) and isinstance(made.accounts, AccountRepository)
    assert not isinstance(made.accounts, SandboxProcessor)
