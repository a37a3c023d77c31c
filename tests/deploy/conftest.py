"""The packaged stage, built once per run for every deploy test."""
from __future__ import annotations

import json
import os
import re
import subprocess
import warnings
import zipfile
from pathlib import Path

import pytest

from local_stage import emulator

ROOT = emulator.ROOT
INSTALLED = ".venv/.installed"  # the Makefile's mark of the tests' own virtual environment
# The deployed stages' runtime: the interpreter the Makefile looks for (PACKAGE_PYTHON).
_VERSION = re.search(r"^PACKAGE_PYTHON_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)[1]
DEPLOYED_RUNTIME = f"python{_VERSION}"
# What the package fixture built with, for the run's summary.
_BUILT: dict = {}


class PackagedWithoutTheDeployedRuntime(pytest.PytestWarning):
    """No CPython of the deployed runtime was found: the deploy tests' package was built by
    the default interpreter (make package PACKAGE_FOR_TESTS=1), and is not deployable."""


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
    """`make package STAGE=prod PACKAGE_FOR_TESTS=1`, into a folder of the test's own. The
    running virtual environment is taken as it is (-o), never reinstalled under the tests.

    Where the Makefile finds a CPython 3.12 (PACKAGE_PYTHON), this is the operator's package:
    chalice runs from .venv-package, the runtime is python3.12 and so is the bytecode.
    Where it finds none (or is told none: `PACKAGE_PYTHON=` or `PACKAGE_PYTHON_CANDIDATES=`,
    on make's command line or in the environment), PACKAGE_FOR_TESTS has make package with
    .venv's interpreter instead: the package's runtime is that interpreter's (python3.11, say),
    its bytecode is compiled for it, and SnapStart is put over that runtime with a warning,
    so that every check of the template (cfn-lint, checkov, its shape) still runs. Either way
    the tests compare against the interpreter that built the package (`runtime_python`), and
    the run says which one it was: a PackagedWithoutTheDeployedRuntime warning for the
    fallback and a line in the terminal summary. Without PACKAGE_FOR_TESTS, make package
    refuses where there is no CPython 3.12 (test_snapstart proves it)."""
    out = tmp_path_factory.mktemp("package")
    command = ["make", "--no-print-directory", "-o", INSTALLED, "package", "STAGE=prod", "PACKAGE_FOR_TESTS=1",
               f"PACKAGE_OUT={out / 'prod'}"]
    built = subprocess.run(command, cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, f"make package failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}"
    report = json.loads((out / "prod" / "bytecode.json").read_text())
    _BUILT.update(runtime=report["runtime"], python=report["python"])
    if report["runtime"] != DEPLOYED_RUNTIME:
        warnings.warn(PackagedWithoutTheDeployedRuntime(
            f"the deploy tests packaged prod with {report['python']} ({report['runtime']}), not the deployed "
            f"{DEPLOYED_RUNTIME}: make found no CPython {_VERSION} (PACKAGE_FOR_TESTS=1); the runtime and bytecode "
            f"checks are against {report['runtime']}, and the SnapStart template is checked over it"))
    return out / "prod"


@pytest.fixture(scope="session")
def runtime_python(package) -> str:
    """The interpreter that built the package (its runtime's, and its bytecode's): .venv-package's
    python3.12, or .venv's where make package found no CPython 3.12 (see `package`)."""
    python = json.loads((package / "bytecode.json").read_text())["python"]
    assert Path(python).exists(), f"{python}, which built the package, is missing"
    return python


def pytest_terminal_summary(terminalreporter) -> None:
    if not _BUILT:
        return
    line = f"deploy tests' package: {_BUILT['runtime']}, built by {_BUILT['python']}"
    if _BUILT["runtime"] == DEPLOYED_RUNTIME:
        terminalreporter.write_line(line + " (the deployed runtime)")
    else:
        terminalreporter.write_line(line + f", not the deployed {DEPLOYED_RUNTIME}: make found no CPython "
                                    f"{_VERSION} (PACKAGE_FOR_TESTS=1); never deploy such a package", yellow=True)


@pytest.fixture(scope="session")
def unpacked(package, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        archive.extractall(folder)
    return folder
