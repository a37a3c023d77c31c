"""The benchmark's own AWS environment: the emulator's fake credentials and the local
stage's variables, nothing from the caller's environment or ~/.aws."""
from __future__ import annotations

import os
import sys

from local_stage import emulator

ROOT = emulator.ROOT


def isolate() -> None:
    """Replace every AWS_* variable of this process; call before boto3 is imported."""
    if "boto3" in sys.modules or "botocore" in sys.modules:
        raise RuntimeError("bench.environment.isolate() must run before boto3 is imported")
    for name in [n for n in os.environ if n.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(emulator.AWS_ENVIRONMENT)
    os.environ.update(emulator.stage_environment("local"))


def child_environment(**extra: str) -> dict[str, str]:
    """What a child interpreter gets: this process's (isolated) environment with the repo
    root importable; the caller's PYTHON* settings are dropped so every child starts alike."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env
