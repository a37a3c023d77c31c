"""The harness: AWS variables of its own, a registry of the personal data tests use, and a
capture of every log line the run writes, audited at the end (P27)."""
from __future__ import annotations

import io
import itertools
import logging
import os
import secrets
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local_stage import emulator  # noqa: E402
pytest_plugins = ["tests.evidence.plugin"]  # out/evidence/: each promise, its tests, their results, the code they ran

# Nothing from the caller's environment or ~/.aws: set before boto3 is ever imported.
for _name in [n for n in os.environ if n.startswith("AWS_")]:
    del os.environ[_name]
os.environ.update(emulator.AWS_ENVIRONMENT)
os.environ.update(emulator.stage_environment("local"))

# Every log line of the run, as the real handlers format it, for the P27 audit.
LOG_CAPTURE = io.StringIO()
PERSONAL_DATA: set[str] = set()
SERVER_LOGS: list[Path] = []  # output files of local stages started by the e2e tests
_serial = itertools.count()


def _capture_logs() -> None:
    from shared.logs import install_redaction

    root = logging.getLogger()
    capture = logging.StreamHandler(LOG_CAPTURE)
    capture.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(traceback_redacted)s", defaults={"traceback_redacted": ""}))
    root.addHandler(capture)
    root.setLevel(logging.INFO)
    install_redaction(capture)
    import app  # the Powertools handler: redirect its stream into the capture as well

    app.logger.registered_handler.setStream(LOG_CAPTURE)
    app.logger.setLevel(logging.DEBUG)


_capture_logs()


class Person:
    """A customer made up for one test; its name and address are registered as personal data."""

    def __init__(self, tag: str = "customer") -> None:
        n = next(_serial)
        token = secrets.token_hex(4)
        self.name = f"Zelda{token.capitalize()} Quill{n}"
        self.email = f"{tag}.{token}{n}@example.org"
        PERSONAL_DATA.update({self.name, self.email, self.email.lower()})


@pytest.fixture
def person() -> Person:
    return Person()


@pytest.fixture
def make_person():
    return Person


@pytest.fixture(scope="session")
def emulated_aws():
    """One moto emulator for the whole run (moto keeps its state per process), provisioned
    from infra/ like `make run`."""
    from shared import aws as clients

    started = emulator.start("local")
    clients.reset()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def aws(emulated_aws):
    """A freshly provisioned stage for each module, so tables stay small and modules apart."""
    return emulator.reset(emulated_aws)


def pytest_collection_modifyitems(items):
    """Audits of the whole run go last."""
    items.sort(key=lambda item: item.get_closest_marker("runs_last") is not None)
