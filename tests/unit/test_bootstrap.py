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
        "import json, sys; from shared.bootstrap import ports; built = ports(); "
        "print(json.dumps({'heavy': sorted(m for m in ('boto3', 'botocore', 'stripe', 'jinja2') if m in sys.modules),"
        " 'processor': type(built.processor).__name__}))"
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
