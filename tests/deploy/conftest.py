"""The packaged stage, built once per run for every deploy test."""
from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from local_stage import emulator

ROOT = emulator.ROOT
INSTALLED = ".venv/.installed"  # the Makefile's mark of the tests' own virtual environment
PACKAGE_VENV = ".venv-package"


# The start of a probe run in the runtime's interpreter: `compiled` collects every module
# compiled from source from then on (a missing, stale-checked or foreign-version .pyc means
# a compile; an unchecked-hash .pyc of the runtime's version means none).
COMPILE_SPY = """
import importlib.machinery, json, sys
compiled = []
original = importlib.machinery.SourceFileLoader.source_to_code
def source_to_code(self, data, path, *args, **kwargs):
    compiled.append(path)
    return original(self, data, path, *args, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = source_to_code
"""


def stage_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    return {**env, "AWS_DEFAULT_REGION": "us-east-1", **extra}


@pytest.fixture(scope="session")
def package(tmp_path_factory) -> Path:
    """`make package STAGE=prod`, into a folder of the test's own: the deployed runtime's
    interpreter (PACKAGE_PYTHON) is required, and its absence fails every deploy test.
    The running virtual environment is taken as it is (-o), never reinstalled under the tests."""
    out = tmp_path_factory.mktemp("package")
    command = ["make", "--no-print-directory", "-o", INSTALLED, "package", "STAGE=prod", f"PACKAGE_OUT={out / 'prod'}"]
    built = subprocess.run(command, cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, f"make package failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}"
    return out / "prod"


@pytest.fixture(scope="session")
def runtime_python(package) -> str:
    """The interpreter of the deployed runtime, from the virtual environment make package used."""
    python = ROOT / PACKAGE_VENV / "bin" / "python"
    assert python.exists(), f"{python} is missing after make package"
    return str(python)


@pytest.fixture(scope="session")
def unpacked(package, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        archive.extractall(folder)
    return folder
